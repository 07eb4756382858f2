package drift

import (
	"encoding/json"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift/gitops"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
)

var t0 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// deployment is a workload as the Kubernetes collector reports it: its projection, and its autoscaler's.
func deployment(cluster, env, region, ns, name, image string, replicas int, hpaMax int, manager string) catalog.Workload {
	w := catalog.Workload{Deployment: catalog.Deployment{Cluster: cluster, Environment: env, Region: region,
		Namespace: ns, Kind: "Deployment", Name: name, Image: image}, AnnotationService: name}
	spec := map[string]any{"replicas": float64(replicas), "template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "app", "image": image}}}}}
	w.Live = &catalog.LiveObject{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec}, Manager: manager, ChangedAt: t0}
	if hpaMax > 0 {
		w.AutoscalerLive = &catalog.LiveObject{Object: map[string]any{"apiVersion": "autoscaling/v2",
			"kind": "HorizontalPodAutoscaler", "metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{"minReplicas": 2.0, "maxReplicas": float64(hpaMax),
				"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}}},
			Manager: manager, ChangedAt: t0}
	}
	return w
}

func manifests(t *testing.T, cluster, yaml string) []Manifest {
	t.Helper()
	ms, ps := gitops.ReadKubernetes(map[string][]byte{"clusters/" + cluster + "/app.yaml": []byte(yaml)})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	var out []Manifest
	for _, m := range ms {
		out = append(out, Manifest{Manifest: m, Repo: "sphera/deploy", Head: "1a2b3c4d5e", Cluster: cluster,
			Service: metaString(m.Object, "name")})
	}
	return out
}

func metaString(obj map[string]any, k string) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md[k].(string)
	return s
}

func lines(items []catalog.DriftItem) []string {
	var out []string
	for _, it := range items {
		s := it.Kind + " " + it.Resource + " @" + it.Environment + "/" + it.Region
		if it.Cluster != "" {
			s += "/" + it.Cluster
		}
		s += ": " + it.Summary
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Kubernetes: a cluster a gitops repository declares has a changed autoscaler (who changed it is known), a missing
// Deployment and an unmanaged one; replicas an HPA owns are not drift; a cluster nobody declares is compared with
// its siblings of the environment; an unreachable cluster is unknown and nothing is concluded there.
func TestDetectKubernetes(t *testing.T) {
	declared := manifests(t, "prod-eu-1", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-api, namespace: payments}
spec:
  replicas: 3
  template:
    spec:
      containers: [{name: app, image: "r/payments-api:1.4.2"}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: payments-api, namespace: payments}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: payments-api}
  minReplicas: 2
  maxReplicas: 10
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: payments}
spec:
  template:
    spec:
      containers: [{name: app, image: "r/ledger:2.0.0"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: payments}
`)
	in := Inputs{Now: t0, Proposals: true, Manifests: declared, Owners: map[string]string{"payments-api": "payments", "checkout": "web",
		"tmp-debug": "payments"},
		Reapply: map[string]bool{"production": true},
		Clusters: []ClusterView{
			{Name: "prod-eu-1", Environment: "production", Region: "eu-west-1", Known: true, Workloads: []catalog.Workload{
				// The HPA scaled it to 7 (owned replicas) and someone raised maxReplicas by hand.
				deployment("prod-eu-1", "production", "eu-west-1", "payments", "payments-api", "r/payments-api:1.4.2", 7, 25, "kubectl-edit"),
				deployment("prod-eu-1", "production", "eu-west-1", "payments", "tmp-debug", "r/debug:1", 1, 0, "kubectl-create"),
			}},
			{Name: "prod-us-1", Environment: "production", Region: "us-east-1", Known: true, Workloads: []catalog.Workload{
				deployment("prod-us-1", "production", "us-east-1", "web", "checkout", "r/checkout:3", 2, 0, ""),
			}},
			{Name: "prod-us-2", Environment: "production", Region: "us-east-1", Known: true},
			{Name: "prod-ap-1", Environment: "production", Region: "ap-south-1", Reason: "dial tcp: connection refused"},
		}}
	res := Detect(in)
	got := lines(res.Items)
	want := []string{
		"changed HorizontalPodAutoscaler payments/payments-api @production/eu-west-1/prod-eu-1: spec.maxReplicas 10 → 25",
		"missing Deployment payments/ledger @production/eu-west-1/prod-eu-1: declared in sphera/deploy clusters/prod-eu-1/app.yaml, not in cluster prod-eu-1",
		// prod-us-1 and prod-us-2 are declared by nobody: their siblings say what belongs. prod-eu-1 is declared:
		// its repository says what belongs, not its siblings (checkout is not missing there).
		"missing Deployment payments/payments-api @production/us-east-1/prod-us-1: runs in production/eu-west-1 (prod-eu-1); not in cluster prod-us-1",
		"missing Deployment payments/payments-api @production/us-east-1/prod-us-2: runs in production/eu-west-1 (prod-eu-1); not in cluster prod-us-2",
		"missing Deployment payments/tmp-debug @production/us-east-1/prod-us-1: runs in production/eu-west-1 (prod-eu-1); not in cluster prod-us-1",
		"missing Deployment payments/tmp-debug @production/us-east-1/prod-us-2: runs in production/eu-west-1 (prod-eu-1); not in cluster prod-us-2",
		"missing Deployment web/checkout @production/us-east-1/prod-us-2: runs in production/us-east-1 (prod-us-1); not in cluster prod-us-2",
		"unmanaged Deployment payments/tmp-debug @production/eu-west-1/prod-eu-1: live in cluster prod-eu-1, declared in no gitops repository",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("items:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, it := range res.Items {
		switch {
		case it.Kind == catalog.DriftChanged:
			if it.LastChangedBy != "kubectl-edit" || it.Team != "payments" || it.Service != "payments-api" ||
				strings.Join(it.Fixes, ",") != "pull_request,reapply" || len(it.Fields) != 1 ||
				it.DeclaredIn != "sphera/deploy@1a2b3c4 clusters/prod-eu-1/app.yaml" {
				t.Errorf("changed item: %+v", it)
			}
			if ev := res.Evidence[it.ID]; ev == nil || ev.Manifest == nil || ev.Manifest.Doc != 1 || ev.Fields[0].LiveValue != 25.0 {
				t.Errorf("evidence: %+v", ev)
			}
		case it.Source == catalog.DriftFromSiblings:
			if len(it.ExistsIn) != 1 || len(it.Fixes) != 0 {
				t.Errorf("sibling item: %+v", it)
			}
		}
	}
	// The unreachable cluster is unknown; its items (from an earlier detection) are kept, the others' resolve.
	var places []string
	for _, p := range res.Status.Places {
		places = append(places, p.Cluster+"="+p.State)
	}
	if strings.Join(places, " ") != "prod-eu-1=ok prod-us-1=ok prod-us-2=ok prod-ap-1=unknown" {
		t.Fatalf("places: %v", places)
	}
	if res.Known(catalog.DriftItem{Cluster: "prod-ap-1"}) || !res.Known(catalog.DriftItem{Cluster: "prod-eu-1"}) ||
		!res.Known(catalog.DriftItem{Cluster: "decommissioned"}) {
		t.Fatal("Known")
	}
	// The same detection once the HPA is back at 10 and ledger runs: nothing left in prod-eu-1 but tmp-debug.
	in.Clusters[0].Workloads = []catalog.Workload{
		deployment("prod-eu-1", "production", "eu-west-1", "payments", "payments-api", "r/payments-api:1.4.2", 9, 10, "argocd"),
		deployment("prod-eu-1", "production", "eu-west-1", "payments", "ledger", "r/ledger:2.0.0", 1, 0, "argocd"),
	}
	for _, it := range Detect(in).Items {
		if it.Cluster == "prod-eu-1" {
			t.Errorf("in sync, still: %s %s %v", it.Kind, it.Resource, it.Fields)
		}
	}
}

// inventory is a region as the AWS collector lists it.
func inventory(env, region string, queues ...awssrc.Queue) *awssrc.Inventory {
	return &awssrc.Inventory{Environment: env, Region: region, At: t0, Queues: queues,
		Listed: map[string]bool{awssrc.ServiceSQS: true, awssrc.ServiceSNS: true, awssrc.ServiceSecretsManager: true},
		Failed: map[string]string{}}
}

func queue(name string, attrs map[string]string, service string) awssrc.Queue {
	q := awssrc.Queue{Name: name, Attributes: attrs, Tags: map[string]string{}, ModifiedAt: t0.Add(-time.Hour)}
	if service != "" {
		q.Tags["atrium:service"], q.Tags["atrium:team"] = service, "payments"
	}
	return q
}

// AWS: a queue the portal created is missing in one region (fixable through the same pipeline), a Terraform queue
// differs from its file, a queue nobody declared is unmanaged, a service's queue present in two regions is missing
// in the third — and an unreachable region is unknown, never "everything missing".
func TestDetectAWS(t *testing.T) {
	params, _ := json.Marshal(actions.SQSQueueParams{Name: "orders-events", VisibilityTimeoutSeconds: intp(45)})
	act := func(id, region string) actions.Action {
		return actions.Action{ID: id, Kind: actions.KindSQSQueue, Service: "payments-api", Team: "payments",
			Environment: "production", Region: region, Delivery: actions.DeliveryDirect, Params: params,
			State: actions.StateSucceeded}
	}
	res := portalResources([]actions.Action{act("a-1", "eu-west-1"), act("a-2", "us-east-1"), act("a-3", "ap-south-1")})
	res = append(res, Resource{Type: catalog.DriftSQSQueue, Name: "ledger-inbox", Service: "ledger", Environment: "production",
		Region: "eu-west-1", Attrs: map[string]string{"visibility_timeout_seconds": "30", "fifo_queue": "false"},
		Source: catalog.DriftFromGitOps, DeclaredIn: "sphera/infra@abc1234 envs/production/eu-west-1/ledger/sqs.tf",
		Repo: "sphera/infra", Path: "envs/production/eu-west-1/ledger/sqs.tf", TFType: "aws_sqs_queue", Label: "ledger-inbox"})
	unreachable := &awssrc.Inventory{Environment: "production", Region: "ap-south-1", At: t0, Listed: map[string]bool{},
		Failed: map[string]string{awssrc.ServiceSQS: "SQS in production/ap-south-1: unreachable", awssrc.ServiceSNS: "SNS: unreachable"}}
	all := []string{awssrc.ServiceSQS, awssrc.ServiceSNS}
	in := Inputs{Now: t0, Proposals: true, Resources: res, Owners: map[string]string{"payments-api": "payments", "ledger": "payments"},
		Creatable: func(env, region string) bool { return env == "production" },
		Regions: []RegionView{
			{Environment: "production", Region: "eu-west-1", Services: all, Inventory: inventory("production", "eu-west-1",
				queue("orders-events", map[string]string{"VisibilityTimeout": "45"}, "payments-api"),
				queue("ledger-inbox", map[string]string{"VisibilityTimeout": "90"}, "ledger"),
				queue("audit-trail", map[string]string{"VisibilityTimeout": "30"}, "payments-api"),
				queue("manual-test", nil, ""))},
			{Environment: "production", Region: "us-east-1", Services: all, Inventory: inventory("production", "us-east-1",
				queue("audit-trail", map[string]string{"VisibilityTimeout": "30"}, "payments-api"))},
			{Environment: "production", Region: "eu-central-1", Services: all, Inventory: inventory("production", "eu-central-1")},
			{Environment: "production", Region: "ap-south-1", Services: all, Inventory: unreachable},
		}}
	out := Detect(in)
	got := lines(out.Items)
	want := []string{
		"changed sqs_queue ledger-inbox @production/eu-west-1: visibility_timeout_seconds 30 → 90",
		"missing sqs_queue audit-trail @production/eu-central-1: exists in production/eu-west-1, production/us-east-1; not in production eu-central-1",
		"missing sqs_queue orders-events @production/eu-central-1: exists in production/eu-west-1; not in production eu-central-1",
		"missing sqs_queue orders-events @production/us-east-1: created by action a-2 in production us-east-1; not there any more",
		"unmanaged sqs_queue audit-trail @production/eu-west-1: live in production eu-west-1, declared neither in Terraform nor by a portal action",
		"unmanaged sqs_queue audit-trail @production/us-east-1: live in production us-east-1, declared neither in Terraform nor by a portal action",
		"unmanaged sqs_queue manual-test @production/eu-west-1: live in production eu-west-1, declared neither in Terraform nor by a portal action",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("items:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, it := range out.Items {
		if it.Region == "ap-south-1" {
			t.Errorf("concluded in an unreachable region: %+v", it)
		}
		if it.Kind == catalog.DriftMissing && it.Name == "orders-events" {
			if strings.Join(it.Fixes, ",") != "create" || out.Evidence[it.ID] == nil || out.Evidence[it.ID].Resource.Action == nil {
				t.Errorf("a missing queue the portal created is created again the same way: %+v", it)
			}
		}
		if it.Kind == catalog.DriftChanged && (strings.Join(it.Fixes, ",") != "pull_request" || it.LastChangedAt.IsZero()) {
			t.Errorf("changed: %+v", it)
		}
	}
	var unknown []string
	for _, p := range out.Status.Places {
		if p.State == catalog.DriftPlaceUnknown {
			unknown = append(unknown, p.Region+": "+p.Reason)
		}
	}
	if len(unknown) != 1 || !strings.Contains(unknown[0], "ap-south-1: SQS in production/ap-south-1: unreachable") {
		t.Fatalf("unknown places: %v", unknown)
	}
	if out.Known(catalog.DriftItem{ResourceType: catalog.DriftSQSQueue, Environment: "production", Region: "ap-south-1"}) {
		t.Error("an item in the unreachable region would be resolved")
	}
}

func intp(i int) *int { return &i }

// Secrets: the places the secrets' metadata says a secret is missing are drift, unless AWS there was not listed.
func TestDetectSecrets(t *testing.T) {
	sec := catalog.Secret{ID: "payments-api/db", Service: "payments-api", Team: "payments", Name: "db",
		Locations: []catalog.SecretLocation{{SecretPlace: catalog.SecretPlace{Environment: "production", Region: "eu-west-1", Backend: "aws"}}},
		Missing: []catalog.SecretPlace{{Environment: "production", Region: "us-east-1", Backend: "aws"},
			{Environment: "production", Region: "ap-south-1", Backend: "aws"}}}
	out := Detect(Inputs{Now: t0, Secrets: []catalog.Secret{sec}, Regions: []RegionView{
		{Environment: "production", Region: "ap-south-1", Services: []string{awssrc.ServiceSecretsManager},
			Inventory: &awssrc.Inventory{Listed: map[string]bool{}, Failed: map[string]string{awssrc.ServiceSecretsManager: "refused"}}},
	}})
	got := lines(out.Items)
	if len(got) != 1 || got[0] != "missing secret db @production/us-east-1: exists in production/eu-west-1; missing in production us-east-1 (AWS Secrets Manager)" {
		t.Fatalf("items: %v", got)
	}
}

// TestDetectComparesInParallelAsInSeries: the comparisons spread over the cores find what one goroutine finds, in
// the same order (run with -race, it also checks that they share nothing they write).
func TestDetectComparesInParallelAsInSeries(t *testing.T) {
	in := kubeInputs(3, 400)
	parallel := Detect(in)
	prev := runtime.GOMAXPROCS(1)
	series := Detect(in)
	runtime.GOMAXPROCS(prev)
	if len(series.Items) == 0 {
		t.Fatal("the inputs have no drift: the comparison proves nothing")
	}
	changed := 0
	for _, it := range series.Items {
		if it.Kind == catalog.DriftChanged {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no changed item: no comparison found a difference")
	}
	if !reflect.DeepEqual(parallel.Items, series.Items) {
		t.Errorf("in parallel: %d items, in series: %d; they differ", len(parallel.Items), len(series.Items))
	}
}
