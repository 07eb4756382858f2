//go:build integration

package kube_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/sources/kube"
	"github.com/sphera/atrium/internal/store"
)

// BenchmarkImageChangeToReplica is the end-to-end time from a Deployment's image change in a real kube-apiserver
// to the new version in a desktop replica: collector (default timings) → portal store → change feed (HTTP long
// poll, portal on loopback, `atrium serve`'s own server) → replica. The cluster runs 2,000 workloads, each mapped to
// a service.
func BenchmarkImageChangeToReplica(b *testing.B) {
	const workloads = 2000
	ctx := context.Background()
	eu := env.Clusters(b, "eu")[0]
	cs := admin(b, eu)
	ns := "bench-e2e"
	if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
			metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range workloads {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				name := fmt.Sprintf("bench-%04d", i)
				deploy(b, cs, ns, name, fmt.Sprintf("registry.example/%s:1.0.0", name),
					map[string]string{kube.NameLabel: name}, nil, 3, 3)
			}()
		}
		wg.Wait()
		fmt.Fprintf(os.Stderr, "bench: created %d Deployments (with status) in %v\n", workloads, time.Since(start).Round(time.Millisecond))
	}

	dir := b.TempDir()
	db, err := store.Open(filepath.Join(dir, "portal.db"))
	if err != nil {
		b.Fatal(err)
	}
	var svcs []catalog.Service
	for i := range workloads {
		svcs = append(svcs, catalog.Service{Name: fmt.Sprintf("bench-%04d", i), Owner: "bench", Lifecycle: "production",
			Type: "service", Language: "Go"})
	}
	if _, err := db.ReplaceSource(ctx, "github", svcs); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	const token = "atr_kube_bench_admin_0123456789"
	sctx, stop := context.WithCancel(ctx)
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- server.Serve(sctx, server.Config{Addr: "127.0.0.1:0", DataDir: dir, AdminToken: token, Demo: "off",
			Log: quietLog(b), Kube: kube.Config{Clusters: []kube.ClusterConfig{withDefaults(reader(b, eu, "atrium-reader", "eu-west-1", "production"))}}},
			func(a string) { ready <- a })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()

	rdb, err := store.Open(filepath.Join(b.TempDir(), "replica.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := rdb.Close(); err != nil {
			b.Error(err)
		}
	}()
	loop := replica.New(rdb, client.New("http://"+addr, token), "http://"+addr, quietLog(b))
	lctx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); loop.Run(lctx) }()
	defer func() { stopLoop(); wg.Wait() }()

	version := func(svc string) string {
		s, err := rdb.GetService(ctx, svc)
		if err != nil || len(s.Deployments) == 0 {
			return ""
		}
		return s.Deployments[0].Version
	}
	start := time.Now()
	waitFor(b, "the first sync of every workload", 120*time.Second, func() bool {
		n, _ := rdb.CountServices(ctx)
		return n == workloads && version(fmt.Sprintf("bench-%04d", workloads-1)) != ""
	})
	firstSync := time.Since(start)

	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("bench-%04d", (i*37)%workloads)
		v := fmt.Sprintf("2.%d.%d", i, time.Now().UnixNano()%1000)
		t0 := time.Now()
		setImage(b, cs, ns, name, fmt.Sprintf("registry.example/%s:%s", name, v))
		waitFor(b, name+" "+v+" in the replica", 30*time.Second, func() bool { return version(name) == v })
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1e3 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
	b.ReportMetric(ms(1), "max-ms")
	b.ReportMetric(firstSync.Seconds(), "first-sync-s")
}

func withDefaults(cc kube.ClusterConfig) kube.ClusterConfig {
	cc.Timeout, cc.Resync, cc.ExcludeNamespaces = kube.DefaultTimeout, kube.DefaultResync, kube.DefaultExcludeNamespaces
	return cc
}
