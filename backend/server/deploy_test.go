package server_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/sphera/atrium/backend/server"
)

// TestDeployManifests: the Kubernetes manifests of docs/deploy run the server as it is: its arguments are flags the
// server takes, the configuration file they mount loads, and the probes and metrics point at what it serves.
func TestDeployManifests(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy", "atrium.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var obj struct {
			Kind string `json:"kind"`
			Data map[string]string
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args           []string
							ReadinessProbe struct{ HTTPGet struct{ Path string } }
							Ports          []struct{ ContainerPort int }
						}
					}
				}
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		kinds[obj.Kind] = true
		switch obj.Kind {
		case "ConfigMap":
			f := filepath.Join(t.TempDir(), "atrium.yaml")
			if err := os.WriteFile(f, []byte(obj.Data["atrium.yaml"]), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := server.LoadFileConfig(f); err != nil {
				t.Errorf("the ConfigMap's atrium.yaml: %v", err)
			}
		case "Deployment":
			c := obj.Spec.Template.Spec.Containers[0]
			cfg := server.Config{}
			fs := flag.NewFlagSet("atrium-server", flag.ContinueOnError)
			cfg.RegisterFlags(fs)
			if err := fs.Parse(c.Args); err != nil {
				t.Errorf("the Deployment's args %v: %v", c.Args, err)
			}
			if cfg.MetricsAddr != "0.0.0.0:9090" || cfg.Addr != "0.0.0.0:8080" || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
				t.Errorf("addresses %s and %s, probe %s", cfg.Addr, cfg.MetricsAddr, c.ReadinessProbe.HTTPGet.Path)
			}
		}
	}
	for _, k := range []string{"ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Ingress"} {
		if !kinds[k] {
			t.Errorf("no %s in the manifests", k)
		}
	}
}
