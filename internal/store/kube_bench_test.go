package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// The Kubernetes benchmarks run on 50 clusters × 2,000 workloads: 2,000 services of 20 teams, each running in
// (almost) every cluster, written through the collector's path (ReplaceClusterWorkloads) on a portal database and
// replicated through the change feed to a desktop replica, where the matrix is read. See bench/RESULTS.md.

const (
	kubeBenchClusters  = 50
	kubeBenchWorkloads = 2000
)

var (
	kubeBenchOnce    sync.Once
	kubeBenchPortal  *DB
	kubeBenchReplica *DB
	kubeBenchDir     string
	kubeBenchErr     error
	kubeBenchNames   []string
)

var kubeRegions = []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1", "ap-northeast-1",
	"sa-east-1", "ca-central-1", "af-south-1", "me-south-1"}

// kubeBenchCluster is cluster i: 30 production, 15 staging and 5 development clusters over 10 regions.
func kubeBenchCluster(i int) (name, region, env string) {
	env = "production"
	switch {
	case i >= 45:
		env = "development"
	case i >= 30:
		env = "staging"
	}
	region = kubeRegions[i%len(kubeRegions)]
	return fmt.Sprintf("%s-%s-%02d", env[:4], region, i), region, env
}

// kubeBenchWorkloadsOf is what cluster i runs: every service but a few, most at the service's version, some at
// another.
func kubeBenchWorkloadsOf(i int, version func(svc int) string) []catalog.Workload {
	name, region, env := kubeBenchCluster(i)
	ws := make([]catalog.Workload, 0, kubeBenchWorkloads)
	for j := 0; j < kubeBenchWorkloads; j++ {
		if (i*j)%23 == 5 {
			continue // missing here
		}
		v := version(j)
		if (i+j)%17 == 0 {
			v += "-hotfix" // differs from the service's other regions
		}
		svc := kubeBenchNames[j]
		ws = append(ws, catalog.Workload{LabelService: svc, CreatedAt: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
			Deployment: catalog.Deployment{Cluster: name, Region: region, Environment: env, Namespace: "apps",
				Kind: "Deployment", Name: svc, Image: "registry.example/" + svc + ":" + v, Version: v, Ready: 3,
				Desired: 3, Health: catalog.HealthHealthy,
				Autoscaler: &catalog.Autoscaler{Min: 2, Max: 10, Current: 3, Desired: 3}}})
	}
	return ws
}

func baseVersion(j int) string { return fmt.Sprintf("1.%d.0", j%7) }

func kubeForBench(b *testing.B) (portal, replica *DB) {
	b.Helper()
	kubeBenchOnce.Do(func() {
		ctx := context.Background()
		kubeBenchDir, kubeBenchErr = os.MkdirTemp("", "atrium-kube-bench-")
		if kubeBenchErr != nil {
			return
		}
		if kubeBenchPortal, kubeBenchErr = Open(filepath.Join(kubeBenchDir, "portal.db")); kubeBenchErr != nil {
			return
		}
		if kubeBenchReplica, kubeBenchErr = Open(filepath.Join(kubeBenchDir, "replica.db")); kubeBenchErr != nil {
			return
		}
		var svcs []catalog.Service
		for j := 0; j < kubeBenchWorkloads; j++ {
			name := fmt.Sprintf("svc-%04d", j)
			kubeBenchNames = append(kubeBenchNames, name)
			svcs = append(svcs, catalog.Service{Name: name, Owner: fmt.Sprintf("team-%02d", j%20),
				Lifecycle: "production", Type: "service", Language: "Go"})
		}
		if _, kubeBenchErr = kubeBenchPortal.ReplaceSource(ctx, "github", svcs); kubeBenchErr != nil {
			return
		}
		start := time.Now()
		for i := 0; i < kubeBenchClusters; i++ {
			name, region, env := kubeBenchCluster(i)
			if kubeBenchErr = kubeBenchPortal.PutCluster(ctx, catalog.Cluster{Name: name, Region: region, Environment: env,
				State: "ok", LastOKAt: time.Now()}); kubeBenchErr != nil {
				return
			}
			if _, kubeBenchErr = kubeBenchPortal.ReplaceClusterWorkloads(ctx, name, kubeBenchWorkloadsOf(i, baseVersion)); kubeBenchErr != nil {
				return
			}
		}
		write := time.Since(start)
		start = time.Now()
		cursor, n := "", 0
		for {
			var batch Batch
			if batch, kubeBenchErr = kubeBenchPortal.Changes(ctx, cursor, 1000, 0); kubeBenchErr != nil {
				return
			}
			if kubeBenchErr = kubeBenchReplica.ApplyBatch(ctx, batch); kubeBenchErr != nil {
				return
			}
			n += len(batch.Changes)
			if cursor = batch.Cursor; batch.Remaining == 0 {
				break
			}
		}
		replicate := time.Since(start)
		for _, db := range []*DB{kubeBenchPortal, kubeBenchReplica} {
			if _, kubeBenchErr = db.SQL().Exec(`PRAGMA optimize; ANALYZE`); kubeBenchErr != nil {
				return
			}
		}
		var rows int
		if err := kubeBenchReplica.SQL().QueryRow(`SELECT COUNT(*) FROM deployments`).Scan(&rows); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "kube bench setup: %d clusters × %d workloads written to the portal in %v "+
			"(%.1f ms per cluster's first snapshot); %d services (%d deployment rows) replicated in %v\n",
			kubeBenchClusters, kubeBenchWorkloads, write.Round(time.Millisecond),
			float64(write.Milliseconds())/kubeBenchClusters, n, rows, replicate.Round(time.Millisecond))
	})
	if kubeBenchErr != nil {
		b.Fatal(kubeBenchErr)
	}
	return kubeBenchPortal, kubeBenchReplica
}

func closeKubeBench() {
	for _, db := range []*DB{kubeBenchPortal, kubeBenchReplica} {
		if db != nil {
			if err := db.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "close a benchmark database:", err) // the tests' outcome stands
			}
		}
	}
	if kubeBenchDir != "" {
		if err := os.RemoveAll(kubeBenchDir); err != nil {
			fmt.Fprintln(os.Stderr, "clean up the benchmark catalogs:", err)
		}
	}
}

// BenchmarkMatrix is the matrix view on a desktop replica: the first page, a team, one environment and region,
// and every service at once.
func BenchmarkMatrix(b *testing.B) {
	_, replica := kubeForBench(b)
	ctx := context.Background()
	for _, q := range []struct {
		name string
		q    MatrixQuery
	}{
		{"first-page-100", MatrixQuery{Limit: 100}},
		{"team", MatrixQuery{Teams: []string{"team-07"}, Limit: 100}},
		{"production-eu-west-1", MatrixQuery{Environments: []string{"production"}, Regions: []string{"eu-west-1"}, Limit: 100}},
		{"all-2000-services", MatrixQuery{Limit: 1000}},
	} {
		b.Run(q.name, func(b *testing.B) {
			var m Matrix
			reportLatency(b, []string{""}, func(string) error {
				var err error
				m, err = replica.Matrix(ctx, q.q)
				if err == nil && (len(m.Services) == 0 || len(m.Clusters) == 0) {
					err = fmt.Errorf("empty matrix: %+v", m)
				}
				if q.q.Limit == 1000 && err == nil {
					_, err = replica.Matrix(ctx, MatrixQuery{Limit: 1000, Offset: 1000})
				}
				return err
			})
			b.ReportMetric(float64(len(m.Services)*len(m.Clusters)), "cells")
		})
	}
}

// BenchmarkClusterSnapshot is the write after a burst of events in one cluster of 2,000 workloads: the whole
// snapshot diffed against the stored one. "unchanged" is a resync or a burst that changed nothing Atrium shows;
// "one-image" rolls one service.
func BenchmarkClusterSnapshot(b *testing.B) {
	portal, _ := kubeForBench(b)
	ctx := context.Background()
	name, _, _ := kubeBenchCluster(0)
	b.Run("unchanged", func(b *testing.B) {
		ws := kubeBenchWorkloadsOf(0, baseVersion)
		reportLatency(b, []string{""}, func(string) error {
			n, err := portal.ReplaceClusterWorkloads(ctx, name, ws)
			if err == nil && n != 0 {
				err = fmt.Errorf("unchanged snapshot changed %d services", n)
			}
			return err
		})
	})
	i := 0 // across runs of the sub-benchmark, so each write is a change
	b.Run("one-image", func(b *testing.B) {
		reportLatency(b, []string{""}, func(string) error {
			i++
			ws := kubeBenchWorkloadsOf(0, func(j int) string {
				if j == 1 {
					return fmt.Sprintf("2.0.%d", i)
				}
				return baseVersion(j)
			})
			n, err := portal.ReplaceClusterWorkloads(ctx, name, ws)
			if err == nil && n != 1 {
				err = fmt.Errorf("one image changed %d services", n)
			}
			return err
		})
	})
}
