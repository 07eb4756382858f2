package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift/gitops"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
)

// Benchmarks of detection; results and the commands that produce them are in bench/RESULTS.md. Each has a baseline
// run side by side on the same inputs: the least any comparison costs (find the live counterpart, test equality
// of the raw objects, no normalising, no field diffs), so that the ratio, not the absolute figure on a shared
// machine, says what the normalisers and diffs cost.

const (
	benchClusters  = 50
	benchWorkloads = 2000
	benchRegions   = 5
	benchQueues    = 2000
)

// benchKube is 50 clusters × 2,000 workloads, every one declared in a gitops repository for its cluster; one in
// ten autoscaled; about 1 % changed live (an image, replicas or an autoscaler's maximum), a few missing.
func benchKube() Inputs { return kubeInputs(benchClusters, benchWorkloads) }

// kubeInputs is benchKube's inputs for any number of clusters and workloads.
func kubeInputs(clusters, workloads int) Inputs {
	in := Inputs{Now: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC), Owners: map[string]string{}, Proposals: true}
	for j := range workloads {
		in.Owners[fmt.Sprintf("svc-%04d", j)] = fmt.Sprintf("team-%02d", j%20)
	}
	for i := range clusters {
		c := ClusterView{Name: fmt.Sprintf("prod-%02d", i), Environment: "production",
			Region: []string{"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2"}[i%5], Known: true}
		for j := range workloads {
			name := fmt.Sprintf("svc-%04d", j)
			ns := fmt.Sprintf("team-%02d", j%20)
			image := fmt.Sprintf("registry.example/%s/%s:1.%d.0", ns, name, j%9)
			labels := map[string]any{"app.kubernetes.io/name": name, "team": ns}
			declared := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": name, "namespace": ns, "labels": labels},
				"spec": map[string]any{"replicas": 3.0, "template": map[string]any{"spec": map[string]any{"containers": []any{
					map[string]any{"name": name, "image": image, "resources": map[string]any{
						"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"memory": "512Mi"}},
						"env": []any{map[string]any{"name": "MODE", "value": "live"}}},
					map[string]any{"name": "envoy", "image": "envoyproxy/envoy:v1.31.2"}}}}}}
			in.Manifests = append(in.Manifests, Manifest{Manifest: gitops.Manifest{Path: "clusters/" + c.Name + "/" + name + ".yaml",
				Object: declared}, Repo: "acme/deploy", Head: "abc", Branch: "main", Cluster: c.Name, Service: name})
			if (i*j)%509 == 7 {
				continue // missing live
			}
			liveImage := image
			replicas := 3.0
			if (i+j)%97 == 0 {
				liveImage += "-hotfix"
			}
			autoscaled := j%10 == 0
			if autoscaled {
				replicas = float64(3 + (i+j)%5) // the autoscaler's
			} else if (i+j)%211 == 0 {
				replicas = 5
			}
			live := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{
					"app.kubernetes.io/name": name, "team": ns, "pod-template-hash": "7d9f"}},
				"spec": map[string]any{"replicas": replicas, "template": map[string]any{"spec": map[string]any{"containers": []any{
					map[string]any{"name": "envoy", "image": "envoyproxy/envoy:v1.31.2"},
					map[string]any{"name": name, "image": liveImage, "resources": map[string]any{
						"requests": map[string]any{"cpu": "0.25", "memory": "256Mi"}, "limits": map[string]any{"memory": "512Mi"}}}}}}}}
			w := catalog.Workload{Deployment: catalog.Deployment{Cluster: c.Name, Namespace: ns, Kind: "Deployment", Name: name},
				AnnotationService: name, Live: &catalog.LiveObject{Object: live, Manager: "argocd-controller"}}
			if autoscaled {
				hpaMax := 10.0
				if (i+j)%53 == 0 {
					hpaMax = 25
				}
				hpa := map[string]any{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
					"metadata": map[string]any{"name": name, "namespace": ns},
					"spec": map[string]any{"minReplicas": 3.0, "maxReplicas": 10.0,
						"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}}}
				in.Manifests = append(in.Manifests, Manifest{Manifest: gitops.Manifest{Path: "clusters/" + c.Name + "/" + name + ".yaml",
					Doc: 1, Object: hpa}, Repo: "acme/deploy", Head: "abc", Branch: "main", Cluster: c.Name, Service: name})
				liveHPA := map[string]any{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
					"metadata": map[string]any{"name": name, "namespace": ns},
					"spec": map[string]any{"minReplicas": 3.0, "maxReplicas": hpaMax,
						"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}}}
				w.AutoscalerLive = &catalog.LiveObject{Object: liveHPA, Manager: "kubectl-edit"}
			}
			c.Workloads = append(c.Workloads, w)
		}
		in.Clusters = append(in.Clusters, c)
	}
	return in
}

// benchAWS is 5 regions × 2,000 queues the portal created in every region; about 1 % differ from their request,
// a few are missing, and one region in each run lists a queue nobody declared.
func benchAWS() Inputs {
	in := Inputs{Now: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC), Owners: map[string]string{},
		Creatable: func(string, string) bool { return true }}
	regions := []string{"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2"}
	var acts []actions.Action
	for j := range benchQueues {
		svc := fmt.Sprintf("svc-%04d", j%500)
		in.Owners[svc] = fmt.Sprintf("team-%02d", j%20)
		vis := 30 + j%5
		params, _ := json.Marshal(actions.SQSQueueParams{Name: fmt.Sprintf("queue-%04d", j), VisibilityTimeoutSeconds: &vis})
		for _, r := range regions {
			acts = append(acts, actions.Action{ID: fmt.Sprintf("act-%d-%s", j, r), Kind: actions.KindSQSQueue,
				Service: svc, Team: in.Owners[svc], Environment: "production", Region: r, Delivery: actions.DeliveryDirect,
				Params: params})
		}
	}
	in.Resources = portalResources(acts)
	for ri, r := range regions {
		inv := awssrc.Inventory{Environment: "production", Region: r, Listed: map[string]bool{"sqs": true, "sns": true},
			Failed: map[string]string{}}
		for j := range benchQueues {
			if (ri*j)%401 == 3 {
				continue // missing
			}
			vis := 30 + j%5
			if (ri+j)%101 == 0 {
				vis = 120
			}
			svc := fmt.Sprintf("svc-%04d", j%500)
			inv.Queues = append(inv.Queues, awssrc.Queue{Name: fmt.Sprintf("queue-%04d", j),
				Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(vis), "MessageRetentionPeriod": "345600",
					"QueueArn": fmt.Sprintf("arn:aws:sqs:%s:000000000000:queue-%04d", r, j)},
				Tags: map[string]string{"atrium:service": svc, "atrium:team": in.Owners[svc]}})
		}
		inv.Queues = append(inv.Queues, awssrc.Queue{Name: "manual-" + r, Attributes: map[string]string{}, Tags: map[string]string{}})
		in.Regions = append(in.Regions, RegionView{Environment: "production", Region: r, Services: []string{"sqs", "sns"},
			Inventory: &inv})
	}
	return in
}

var benchSink int

// BenchmarkDetectClusters: one detection over 50 clusters × 2,000 declared workloads (100,000 Deployments and
// 10,000 autoscalers compared through the normalisers).
func BenchmarkDetectClusters(b *testing.B) {
	in := benchKube()
	b.ResetTimer()
	for b.Loop() {
		res := Detect(in)
		benchSink = len(res.Items)
	}
	b.ReportMetric(float64(benchSink), "items")
}

// BenchmarkDetectClustersBaseline: the same inputs, each declaration's live counterpart found and compared for
// raw equality only.
func BenchmarkDetectClustersBaseline(b *testing.B) {
	in := benchKube()
	b.ResetTimer()
	for b.Loop() {
		differ := 0
		for _, c := range in.Clusters {
			live := make(map[string]map[string]any, len(c.Workloads)*2)
			for _, w := range c.Workloads {
				live[kubeKey(w.Deployment.Kind, w.Deployment.Namespace, w.Deployment.Name)] = w.Live.Object
				if w.AutoscalerLive != nil {
					live[kubeKey("HorizontalPodAutoscaler", w.Deployment.Namespace, w.Deployment.Name)] = w.AutoscalerLive.Object
				}
			}
			for _, m := range in.Manifests {
				if m.Cluster != c.Name {
					continue
				}
				if l, ok := live[kubeKey(m.Kind(), m.Namespace(), m.Name())]; !ok || !reflect.DeepEqual(l, m.Object) {
					differ++
				}
			}
		}
		benchSink = differ
	}
}

// BenchmarkDetectRegions: one detection over 5 regions × 2,000 queues the portal created (10,000 queues compared
// with their requests, siblings across regions, undeclared ones).
func BenchmarkDetectRegions(b *testing.B) {
	in := benchAWS()
	b.ResetTimer()
	for b.Loop() {
		res := Detect(in)
		benchSink = len(res.Items)
	}
	b.ReportMetric(float64(benchSink), "items")
}

// BenchmarkDetectRegionsBaseline: the same inputs, each request's queue found and its attributes compared raw.
func BenchmarkDetectRegionsBaseline(b *testing.B) {
	in := benchAWS()
	b.ResetTimer()
	for b.Loop() {
		differ := 0
		live := map[string]awssrc.Queue{}
		for _, r := range in.Regions {
			for _, q := range r.Inventory.Queues {
				live[r.Region+"/"+q.Name] = q
			}
		}
		for _, res := range in.Resources {
			q, ok := live[res.Region+"/"+res.Name]
			if !ok || q.Attributes["VisibilityTimeout"] != res.Attrs["visibility_timeout_seconds"] {
				differ++
			}
		}
		benchSink = differ
	}
}

// BenchmarkEngineDetectClusters: a whole detection of the 50 × 2,000 clusters by the engine — inputs gathered
// (the repository's 110,000 manifests parsed once per commit, from YAML), detected, stored (ReplaceDrift: items
// kept, the feed advanced only for what changed). first-ms is the first detection (parse, every comparison, 1,799
// items opened); the sub-benchmarks are the detections after it: nothing changed (the schedule), and one cluster's
// snapshot changed (a burst of watch events in it: its 2,000 workloads compared again, the others' from the cache).
func BenchmarkEngineDetectClusters(b *testing.B) {
	in := benchKube()
	files := map[string][]byte{}
	for _, m := range in.Manifests {
		y, err := yaml.Marshal(m.Object)
		if err != nil {
			b.Fatal(err)
		}
		if prev, ok := files[m.Path]; ok {
			y = append(append(prev, []byte("---\n")...), y...)
		}
		files[m.Path] = y
	}
	cfg := &Config{GitOps: []GitOpsRepo{{Repo: "acme/deploy", Kubernetes: "clusters/{cluster}"}}}
	if err := cfg.Check(); err != nil {
		b.Fatal(err)
	}
	e := &Engine{DB: testDB(b), Config: cfg, Proposals: true,
		Files: func(context.Context, string, []string) (RepoFiles, error) {
			return RepoFiles{Repo: "acme/deploy", Head: "abc", DefaultBranch: "main", Files: files}, nil
		}}
	for _, c := range in.Clusters {
		e.Clusters = append(e.Clusters, ClusterInfo{Name: c.Name, Environment: c.Environment, Region: c.Region})
		e.ObserveCluster(c)
	}
	ctx := context.Background()
	first := time.Now()
	if _, err := e.Detect(ctx); err != nil {
		b.Fatal(err)
	}
	firstMS := float64(time.Since(first).Milliseconds())
	b.Run("nothing-changed", func(b *testing.B) {
		var res Result
		var err error
		for b.Loop() {
			if res, err = e.Detect(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(res.Items)), "items")
		b.ReportMetric(firstMS, "first-ms")
	})
	b.Run("one-cluster-changed", func(b *testing.B) {
		// Each cluster's snapshot again, as new objects (what the collector hands over after a burst of events).
		again := make([]ClusterView, len(in.Clusters))
		for i, c := range in.Clusters {
			again[i] = c
			again[i].Workloads = make([]catalog.Workload, len(c.Workloads))
			for j, w := range c.Workloads {
				w.Live = &catalog.LiveObject{Object: deepCopy(w.Live.Object), Manager: w.Live.Manager}
				if w.AutoscalerLive != nil {
					w.AutoscalerLive = &catalog.LiveObject{Object: deepCopy(w.AutoscalerLive.Object), Manager: w.AutoscalerLive.Manager}
				}
				again[i].Workloads[j] = w
			}
		}
		i := 0
		var res Result
		var err error
		for b.Loop() {
			if i%2 == 0 {
				e.ObserveCluster(again[(i/2)%len(again)])
			} else {
				e.ObserveCluster(in.Clusters[(i/2)%len(again)])
			}
			i++
			if res, err = e.Detect(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(res.Items)), "items")
	})
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
