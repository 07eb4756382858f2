package kube_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/sphera/atrium/internal/sources/kube"
)

// Benchmarks of the collector; results and the commands that produce them are in bench/RESULTS.md.

// syntheticDeployment is a Deployment as clusters really serve them: server-side-apply managed fields, kubectl's
// last-applied annotation, a pod template with an app container and a sidecar (env, resources, probes, mounts).
func syntheticDeployment(cluster, i int) []byte {
	name := fmt.Sprintf("svc-%04d", i)
	image := fmt.Sprintf("registry.example/team-%02d/%s:1.%d.%d", i%20, name, i%7, cluster%3)
	env := make([]map[string]string, 12)
	for k := range env {
		env[k] = map[string]string{"name": fmt.Sprintf("SETTING_%02d", k), "value": fmt.Sprintf("value-%d-%d", i, k)}
	}
	container := func(n, img string) map[string]any {
		return map[string]any{"name": n, "image": img, "env": env,
			"ports":     []map[string]any{{"containerPort": 8080, "name": "http", "protocol": "TCP"}},
			"resources": map[string]any{"requests": map[string]string{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]string{"memory": "512Mi"}},
			"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080},
				"periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
			"livenessProbe": map[string]any{"httpGet": map[string]any{"path": "/livez", "port": 8080},
				"periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
			"volumeMounts":             []map[string]any{{"name": "config", "mountPath": "/etc/" + n}, {"name": "tmp", "mountPath": "/tmp"}},
			"terminationMessagePath":   "/dev/termination-log",
			"terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
	}
	labels := map[string]string{kube.NameLabel: name, "app.kubernetes.io/part-of": fmt.Sprintf("team-%02d", i%20),
		"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": name + "-0.1.0", "app.kubernetes.io/version": "1.0"}
	spec := map[string]any{"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
		"selector": map[string]any{"matchLabels": map[string]string{"app": name}},
		"strategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]string{"maxSurge": "25%", "maxUnavailable": "25%"}},
		"template": map[string]any{"metadata": map[string]any{"labels": labels, "annotations": map[string]string{"checksum/config": fmt.Sprintf("%064x", i)}},
			"spec": map[string]any{"containers": []any{container(name, image), container("envoy", "envoyproxy/envoy:v1.31.2")},
				"volumes":       []map[string]any{{"name": "config", "configMap": map[string]any{"name": name}}, {"name": "tmp", "emptyDir": map[string]any{}}},
				"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
				"serviceAccountName": name, "securityContext": map[string]any{"runAsNonRoot": true}, "schedulerName": "default-scheduler"}}}
	lastApplied, _ := json.Marshal(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "apps", "labels": labels}, "spec": spec})
	fields, _ := json.Marshal(map[string]any{"f:metadata": map[string]any{"f:labels": labels}, "f:spec": spec})
	obj := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "apps", "uid": fmt.Sprintf("%08x-0000-4000-8000-%012x", cluster, i),
			"resourceVersion": fmt.Sprint(1000 + i), "generation": 4, "creationTimestamp": "2026-10-01T00:00:00Z",
			"labels": labels, "annotations": map[string]string{"deployment.kubernetes.io/revision": "4",
				"meta.helm.sh/release-name": name, "meta.helm.sh/release-namespace": "apps",
				"kubectl.kubernetes.io/last-applied-configuration": string(lastApplied)},
			"managedFields": []map[string]any{
				{"manager": "helm", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-10-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": json.RawMessage(fields)},
				{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-10-01T00:00:00Z", "fieldsType": "FieldsV1", "subresource": "status",
					"fieldsV1": json.RawMessage(`{"f:status":{"f:availableReplicas":{},"f:conditions":{},"f:observedGeneration":{},"f:readyReplicas":{},"f:replicas":{},"f:updatedReplicas":{}}}`)}}},
		"spec": spec,
		"status": map[string]any{"observedGeneration": 4, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
			"conditions": []map[string]any{
				{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability.", "lastUpdateTime": "2026-10-01T00:00:00Z", "lastTransitionTime": "2026-10-01T00:00:00Z"},
				{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": fmt.Sprintf("ReplicaSet %q has successfully progressed.", name+"-7d9f8b6c5d"), "lastUpdateTime": "2026-10-01T00:00:00Z", "lastTransitionTime": "2026-10-01T00:00:00Z"}}},
	}
	b, _ := json.Marshal(obj)
	return b
}

// memoryListWatch serves a cluster's Deployments from memory, decoding each object from JSON as the reflector's
// client would, so every cached object owns its strings; its watch never sends anything.
type memoryListWatch struct{ cluster, n int }

func (m memoryListWatch) lw() *cache.ListWatch {
	return &cache.ListWatch{
		ListWithContextFunc: func(context.Context, metav1.ListOptions) (kruntime.Object, error) {
			list := &appsv1.DeploymentList{ListMeta: metav1.ListMeta{ResourceVersion: "5000"}}
			list.Items = make([]appsv1.Deployment, m.n)
			for i := range list.Items {
				if err := json.Unmarshal(syntheticDeployment(m.cluster, i), &list.Items[i]); err != nil {
					return nil, err
				}
			}
			return list, nil
		},
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) {
			return watch.NewFake(), nil
		},
	}
}

// noWatchList tells the reflector to list, not stream (the in-memory source cannot stream).
type noWatchList struct{}

func (noWatchList) IsWatchListSemanticsUnSupported() bool { return true }

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkInformerMemory is the heap the Deployment informers of 50 clusters × 2,000 workloads hold once synced,
// with Atrium's transform and without one (the baseline: client-go's default, whole objects).
func BenchmarkInformerMemory(b *testing.B) {
	const clusters, workloads = 50, 2000
	for _, v := range []struct {
		name      string
		transform cache.TransformFunc
	}{{"whole-objects", nil}, {"atrium-transform", kube.Transform}} {
		b.Run(v.name, func(b *testing.B) {
			var perWorkload float64
			for range b.N {
				before := heap()
				ctx, cancel := context.WithCancel(context.Background())
				var informers []cache.SharedIndexInformer
				for c := range clusters {
					lw := cache.ToListWatcherWithWatchListSemantics(memoryListWatch{c, workloads}.lw(), noWatchList{})
					inf := cache.NewSharedIndexInformerWithOptions(lw, &appsv1.Deployment{},
						cache.SharedIndexInformerOptions{ResyncPeriod: kube.DefaultResync})
					if v.transform != nil {
						if err := inf.SetTransform(v.transform); err != nil {
							b.Fatal(err)
						}
					}
					go inf.RunWithContext(ctx)
					if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
						b.Fatal("not synced")
					}
					informers = append(informers, inf)
				}
				after := heap()
				n := 0
				for _, inf := range informers {
					n += len(inf.GetStore().ListKeys())
				}
				if n != clusters*workloads {
					b.Fatalf("cached %d objects", n)
				}
				perWorkload = float64(after-before) / float64(n)
				b.ReportMetric(float64(after-before)/(1<<20), "MiB")
				b.ReportMetric(perWorkload, "B/workload")
				cancel()
				runtime.KeepAlive(informers)
			}
		})
	}
}
