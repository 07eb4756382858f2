package demo

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
)

// The demo's drift (docs/drift.md): what local mode's drift engine looks at, made from the demo catalog so that
// every kind of drift shows on its data — the engine itself is the real one.
//
//   - Its clusters as the Kubernetes collector would report them: every demo deployment, with its projection.
//   - A gitops repository, sphera/deploy, declaring prod-eu-west-1's workloads (clusters/{cluster}) and the
//     Terraform of production's queues (envs/{environment}/{region}/{service}) — faithfully but for a few
//     differences: an autoscaler's maxReplicas and an image edited by hand (changed), a workload nobody declared
//     (unmanaged), a workload declared and never deployed (missing). prod-us-east-1, declared by nobody, is compared
//     with its sibling: the services missing there are missing.
//   - AWS inventories of production's two regions: a service's queue in one region only (missing in the other),
//     a queue whose visibility timeout differs from its Terraform (changed), one nobody declared (unmanaged).

// DriftRepo is the demo's gitops repository.
const DriftRepo = Org + "/deploy"

// DriftConfig is local mode's drift section: the demo repository's layouts; staging's drift may be re-applied by
// the agent.
func DriftConfig() drift.Config {
	return drift.Config{GitOps: []drift.GitOpsRepo{{Repo: DriftRepo, Kubernetes: "clusters/{cluster}",
		Terraform: "envs/{environment}/{region}/{service}"}}, Reapply: []string{"staging"}}
}

// DriftHead is the commit the demo repository is at.
const DriftHead = "d3m0c0ffee5eed0000000000000000000000beef"

// driftEpoch is when the demo's live objects were last changed.
var driftEpoch = time.Date(2026, 11, 20, 14, 2, 11, 0, time.UTC)

// DriftClusters are the demo's clusters with their workloads as the Kubernetes collector reports them.
func DriftClusters(svcs []catalog.Service) []drift.ClusterView {
	var out []drift.ClusterView
	for _, c := range demoClusters {
		v := drift.ClusterView{Name: c.name, Environment: c.env, Region: c.region, Known: true}
		for _, s := range svcs {
			for _, d := range s.Deployments {
				if d.Cluster == c.name {
					v.Workloads = append(v.Workloads, demoWorkload(s, d))
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// changedByHand is the demo service whose autoscaler and image someone changed by hand in prod-eu-west-1.
func changedByHand(svcs []catalog.Service) (hpa, image string) {
	for _, s := range svcs {
		for _, d := range s.Deployments {
			if d.Cluster != "prod-eu-west-1" {
				continue
			}
			if hpa == "" && d.Autoscaler != nil {
				hpa = s.Name
			} else if image == "" && d.Autoscaler == nil {
				image = s.Name
			}
		}
	}
	return hpa, image
}

func demoWorkload(s catalog.Service, d catalog.Deployment) catalog.Workload {
	w := catalog.Workload{Deployment: d, AnnotationService: s.Name}
	labels := map[string]any{"app.kubernetes.io/name": s.Name, "team": s.Owner}
	spec := map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": d.Name, "image": d.Image}}}}}
	if d.Autoscaler == nil {
		spec["replicas"] = float64(d.Desired)
	} else {
		spec["replicas"] = float64(d.Autoscaler.Current)
	}
	w.Live = &catalog.LiveObject{Object: map[string]any{"apiVersion": "apps/v1", "kind": d.Kind,
		"metadata": map[string]any{"name": d.Name, "namespace": d.Namespace, "labels": labels}, "spec": spec},
		Manager: "argocd-controller", ChangedAt: d.RolloutAt}
	if d.Autoscaler != nil {
		w.AutoscalerLive = &catalog.LiveObject{Object: map[string]any{"apiVersion": "autoscaling/v2",
			"kind": "HorizontalPodAutoscaler", "metadata": map[string]any{"name": d.Name, "namespace": d.Namespace},
			"spec": map[string]any{"minReplicas": float64(d.Autoscaler.Min), "maxReplicas": float64(d.Autoscaler.Max),
				"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": d.Kind, "name": d.Name}}},
			Manager: "argocd-controller", ChangedAt: d.RolloutAt}
	}
	return w
}

// DriftWorld is the demo's drift inputs made from the demo catalog: its clusters (with the hand edits applied),
// its gitops repository's files, and production's AWS inventories.
func DriftWorld(svcs []catalog.Service) ([]drift.ClusterView, map[string][]byte, []awssrc.Inventory) {
	clusters := DriftClusters(svcs)
	hpa, image := changedByHand(svcs)
	files := map[string][]byte{}
	byName := map[string]catalog.Service{}
	for _, s := range svcs {
		byName[s.Name] = s
	}
	// The last service running in prod-eu-west-1 is declared nowhere (someone ran kubectl apply by hand).
	var euNames []string
	for _, s := range svcs {
		for _, d := range s.Deployments {
			if d.Cluster == "prod-eu-west-1" {
				euNames = append(euNames, s.Name)
			}
		}
	}
	sort.Strings(euNames)
	unmanaged := ""
	if len(euNames) > 0 {
		unmanaged = euNames[len(euNames)-1]
	}
	for ci := range clusters {
		c := &clusters[ci]
		if c.Name != "prod-eu-west-1" {
			continue
		}
		for wi := range c.Workloads {
			w := &c.Workloads[wi]
			d := w.Deployment
			s := byName[w.AnnotationService]
			if s.Name == unmanaged {
				continue
			}
			declaredImage := d.Image
			if s.Name == image {
				// A hotfix image set with kubectl set image; the repository still has the release.
				w.Live.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"] =
					[]any{map[string]any{"name": d.Name, "image": d.Image + "-hotfix.1"}}
				w.Live.Manager, w.Live.ChangedAt = "kubectl-set", driftEpoch
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# %s in prod-eu-west-1 — managed by Argo CD from this repository.\n", s.Name)
			fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n", d.Kind, d.Name, d.Namespace)
			fmt.Fprintf(&b, "  labels:\n    app.kubernetes.io/name: %s\n    team: %s\nspec:\n", s.Name, s.Owner)
			if d.Autoscaler == nil {
				fmt.Fprintf(&b, "  replicas: %d\n", d.Desired)
			} else {
				fmt.Fprintf(&b, "  replicas: %d # the HorizontalPodAutoscaler takes over from here\n", d.Autoscaler.Min)
			}
			fmt.Fprintf(&b, "  template:\n    spec:\n      containers:\n        - name: %s\n          image: %s\n", d.Name, declaredImage)
			if d.Autoscaler != nil {
				maxReplicas := d.Autoscaler.Max
				if s.Name == hpa {
					// Raised by hand during an incident (kubectl edit hpa); the repository says otherwise.
					w.AutoscalerLive.Object["spec"].(map[string]any)["maxReplicas"] = float64(25)
					w.AutoscalerLive.Manager, w.AutoscalerLive.ChangedAt = "kubectl-edit", driftEpoch
					maxReplicas = 10
				}
				fmt.Fprintf(&b, "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: %s\n  namespace: %s\n", d.Name, d.Namespace)
				fmt.Fprintf(&b, "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: %s, name: %s}\n  minReplicas: %d\n  maxReplicas: %d\n",
					d.Kind, d.Name, d.Autoscaler.Min, maxReplicas)
			}
			files[fmt.Sprintf("clusters/prod-eu-west-1/%s/%s.yaml", d.Namespace, d.Name)] = []byte(b.String())
		}
	}
	// Declared, never deployed: an experimental service's production Deployment.
	for _, s := range svcs {
		if s.Lifecycle != catalog.LifecycleExperimental || len(s.Deployments) == 0 {
			continue
		}
		files[fmt.Sprintf("clusters/prod-eu-west-1/%s/%s.yaml", s.Owner, s.Name)] = []byte(fmt.Sprintf(
			"# %s goes to production with its 1.0.0 (merged; the rollout has not happened yet).\n"+
				"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\n"+
				"  labels:\n    app.kubernetes.io/name: %s\nspec:\n  replicas: 2\n"+
				"  template:\n    spec:\n      containers:\n        - name: %s\n          image: registry.sphera.internal/%s/%s:1.0.0\n",
			s.Name, s.Name, s.Owner, s.Name, s.Name, s.Owner, s.Name))
		break
	}
	// Terraform of production's queues, and the queues as AWS lists them.
	files["envs/production/eu-west-1/payments-api/sqs.tf"] = []byte(`# Managed by Atrium: payments-api's queues in production/eu-west-1.
resource "aws_sqs_queue" "payment-events" {
  name                       = "payment-events"
  visibility_timeout_seconds = 30
  tags = {
    "atrium:service" = "payments-api"
    "atrium:team"    = "payments"
  }
}
`)
	tag := func(svc, team string) map[string]string {
		return map[string]string{"atrium:service": svc, "atrium:team": team, "managed-by": "atrium"}
	}
	listed := map[string]bool{awssrc.ServiceSQS: true, awssrc.ServiceSNS: true}
	eu := awssrc.Inventory{Environment: "production", Region: "eu-west-1", At: driftEpoch, Listed: listed, Failed: map[string]string{},
		Queues: []awssrc.Queue{
			{Name: "payment-events", Attributes: map[string]string{"VisibilityTimeout": "60"}, Tags: tag("payments-api", "payments"),
				ModifiedAt: driftEpoch},
			{Name: "refund-requests", Attributes: map[string]string{"VisibilityTimeout": "30"}, Tags: tag("refund-processor", "payments"),
				ModifiedAt: driftEpoch.Add(-90 * 24 * time.Hour)},
		},
		Topics: []awssrc.Topic{{Name: "orders-placed", Attributes: map[string]string{}, Tags: tag("checkout-web", "web"),
			Subscriptions: []awssrc.Subscription{}}},
	}
	us := awssrc.Inventory{Environment: "production", Region: "us-east-1", At: driftEpoch, Listed: listed, Failed: map[string]string{},
		Queues: []awssrc.Queue{
			{Name: "refund-requests", Attributes: map[string]string{"VisibilityTimeout": "30"}, Tags: tag("refund-processor", "payments"),
				ModifiedAt: driftEpoch.Add(-90 * 24 * time.Hour)},
			{Name: "manual-backfill-2026-11", Attributes: map[string]string{"VisibilityTimeout": "900"}, Tags: map[string]string{},
				ModifiedAt: driftEpoch.Add(-2 * time.Hour)},
		},
	}
	return clusters, files, []awssrc.Inventory{eu, us}
}
