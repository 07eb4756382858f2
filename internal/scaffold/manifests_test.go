package scaffold_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources/kube"
)

func decode(t *testing.T, path string, data []byte) runtime.Object {
	t.Helper()
	obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("%s does not decode as a Kubernetes object: %v\n%s", path, err, data)
	}
	if gvk.Kind == "" {
		t.Fatalf("%s has no kind", path)
	}
	return obj
}

func TestLabelsAreThoseTheKubeCollectorMaps(t *testing.T) {
	if scaffold.AnnotationService != kube.ServiceAnnotation || scaffold.LabelName != kube.NameLabel {
		t.Errorf("scaffold labels %s/%s, collector %s/%s", scaffold.AnnotationService, scaffold.LabelName,
			kube.ServiceAnnotation, kube.NameLabel)
	}
}

func TestGeneratedManifestsAndTerraformParse(t *testing.T) {
	r := registry(t)
	for _, name := range []string{"go-http-service", "node-service", "go-service"} {
		t.Run(name, func(t *testing.T) {
			p, ps := get(t, r, name).Plan(context.Background(), validParams[name], target(), nil)
			if p == nil {
				t.Fatal(ps)
			}
			svc := p.Service
			kinds := map[string]int{}
			check := func(path string, obj runtime.Object) {
				switch o := obj.(type) {
				case *appsv1.Deployment:
					kinds["Deployment"]++
					c := o.Spec.Template.Spec.Containers[0]
					if o.Name != svc || o.Annotations[kube.ServiceAnnotation] != svc || o.Labels[kube.NameLabel] != svc ||
						c.Name != svc || c.ReadinessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
						c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() ||
						o.Spec.Template.Spec.ServiceAccountName != svc || o.Spec.Selector.MatchLabels[kube.NameLabel] != svc ||
						o.Spec.Template.Labels[kube.NameLabel] != svc || c.Image != scaffold.DefaultHelloImage {
						t.Errorf("%s: deployment %+v", path, o)
					}
				case *corev1.Service:
					kinds["Service"]++
					if o.Spec.Ports[0].Port != 8080 || o.Spec.Selector[kube.NameLabel] != svc {
						t.Errorf("%s: service %+v", path, o.Spec)
					}
				case *corev1.ServiceAccount:
					kinds["ServiceAccount"]++
				case *corev1.Namespace:
					kinds["Namespace"]++
				case *autoscalingv2.HorizontalPodAutoscaler:
					kinds["HorizontalPodAutoscaler"]++
					if o.Spec.ScaleTargetRef.Name != svc || *o.Spec.MinReplicas < 1 {
						t.Errorf("%s: autoscaler %+v", path, o.Spec)
					}
				default:
					t.Errorf("%s: unexpected %T", path, obj)
				}
			}
			tf := 0
			for _, f := range p.InfraPullRequest.Files {
				switch {
				case strings.HasSuffix(f.Path, ".yaml"):
					check(f.Path, decode(t, f.Path, []byte(f.Content)))
				case strings.HasSuffix(f.Path, ".tf"):
					tf++
					if _, diags := hclparse.NewParser().ParseHCL([]byte(f.Content), f.Path); diags.HasErrors() {
						t.Errorf("%s does not parse: %v\n%s", f.Path, diags, f.Content)
					}
				default:
					t.Errorf("unexpected file %s", f.Path)
				}
			}
			if tf == 0 || kinds["Deployment"] == 0 || kinds["Deployment"] != kinds["Service"] || kinds["Service"] != kinds["ServiceAccount"] {
				t.Errorf("infra files: %d Terraform, objects %v", tf, kinds)
			}

			for _, d := range p.Deploy {
				kinds = map[string]int{}
				objs, err := d.Objects()
				if err != nil {
					t.Fatal(err)
				}
				for i, f := range d.Files {
					check(f.Path, decode(t, f.Path, []byte(f.Content)))
					check(f.Path+" as JSON", decode(t, f.Path, objs[i]))
				}
				if kinds["Namespace"] != 2 || kinds["Deployment"] != 2 || kinds["Service"] != 2 || kinds["HorizontalPodAutoscaler"] != 0 {
					t.Errorf("deploy objects: %v", kinds)
				}
				if d.Files[0].Path != "namespace.yaml" {
					t.Errorf("the namespace is applied first: %v", d.Files)
				}
			}
		})
	}
}
