package gitops

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/drift/diff"
)

// repoFiles reads testdata/repo as the GitHub collector hands a repository over: slash paths → contents.
func repoFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	root := filepath.Join("testdata", "repo")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestReadKubernetes(t *testing.T) {
	ms, ps := ReadKubernetes(repoFiles(t))
	var got []string
	for _, m := range ms {
		got = append(got, m.Kind()+" "+m.Namespace()+"/"+m.Name()+" "+m.Path)
	}
	want := []string{
		// The kustomization of prod-eu-1 renders base/ledger.yaml: namespace, labels, image tag and replicas.
		"StatefulSet payments/ledger clusters/prod-eu-1/base/ledger.yaml",
		"Deployment payments/payments-api clusters/prod-eu-1/payments/api.yaml",
		"HorizontalPodAutoscaler payments/payments-api clusters/prod-eu-1/payments/api.yaml",
		"ConfigMap payments/payments-api-config clusters/prod-eu-1/payments/api.yaml",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("manifests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ledger := ms[0].Object
	if ms[0].Kustomization != "clusters/prod-eu-1/kustomization.yaml" {
		t.Errorf("rendered by %q", ms[0].Kustomization)
	}
	if v, _ := diff.Get(ledger, mustPath(t, "spec.replicas")); v != 3.0 {
		t.Errorf("replicas: %v", v)
	}
	if v, _ := diff.Get(ledger, mustPath(t, "spec.template.spec.containers[ledger].image")); v != "registry.sphera.internal/payments/ledger:2.0.1" {
		t.Errorf("image: %v", v)
	}
	if v, _ := diff.Get(ledger, mustPath(t, "metadata.labels.team")); v != "payments" {
		t.Errorf("labels: %v", v)
	}
	if ms[2].Doc != 1 {
		t.Errorf("the HPA is document %d", ms[2].Doc)
	}
	// The staging kustomization patches: not rendered, reported, and its file not read as if it were plain.
	if len(ps) != 1 || !strings.Contains(ps[0].Summary, "clusters/staging-eu-1/web/kustomization.yaml not read") ||
		!strings.Contains(ps[0].Detail, "uses patches") {
		t.Fatalf("problems: %+v", ps)
	}
}

func mustPath(t *testing.T, s string) diff.Path {
	t.Helper()
	p, err := diff.ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadKubernetesRefusesWhatItCannotRender(t *testing.T) {
	for name, k := range map[string]string{
		"remote":  "resources: [https://github.com/acme/base//deploy]",
		"outside": "resources: [../../elsewhere.yaml]",
		"missing": "resources: [nope.yaml]",
		"helm":    "helmCharts: [{name: x}]",
	} {
		ms, ps := ReadKubernetes(map[string][]byte{"k/kustomization.yaml": []byte(k)})
		if len(ms) != 0 || len(ps) != 1 {
			t.Errorf("%s: %d manifests, problems %+v", name, len(ms), ps)
		}
	}
	if _, ps := ReadKubernetes(map[string][]byte{"a.yaml": []byte("kind: [")}); len(ps) != 1 || !strings.Contains(ps[0].Summary, "a.yaml is not valid YAML") {
		t.Errorf("bad YAML: %+v", ps)
	}
	// Values are what Kubernetes reads (YAML as JSON): numbers as float64, dates as the strings written.
	ms, _ := ReadKubernetes(map[string][]byte{"a.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, " +
		"annotations: {since: 2026-01-01}}\nspec: {replicas: 3}\n")})
	if len(ms) != 1 || ms[0].Object["spec"].(map[string]any)["replicas"] != 3.0 ||
		ms[0].Object["metadata"].(map[string]any)["annotations"].(map[string]any)["since"] != "2026-01-01" {
		t.Errorf("values: %#v", ms)
	}
}

func TestReadTerraform(t *testing.T) {
	rs, ps := ReadTerraform(repoFiles(t))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	byType := map[string]Resource{}
	for _, r := range rs {
		byType[r.Type] = r
	}
	q := byType["sqs_queue"]
	if q.Name != "orders-events" || q.Label != "orders-events" || q.Attrs["visibility_timeout_seconds"] != "45" ||
		q.Attrs["fifo_queue"] != "false" || q.Tags["atrium:service"] != "payments-api" || q.Line != 2 {
		t.Errorf("queue: %+v", q)
	}
	if _, ok := q.Attrs["delay_seconds"]; ok {
		t.Error("an attribute set from a variable is read as if known")
	}
	if s := byType["sns_subscription"]; s.Attrs["topic"] != "payments-settled" || s.Attrs["queue"] != "ledger-inbox" || s.Attrs["protocol"] != "sqs" {
		t.Errorf("subscription: %+v", s)
	}
	if _, ps := ReadTerraform(map[string][]byte{"x.tf": []byte(`resource "aws_sqs_queue" {`)}); len(ps) != 1 {
		t.Errorf("bad HCL: %+v", ps)
	}
}

func TestLayout(t *testing.T) {
	l, err := ParseLayout("envs/{environment}/{region}/{service}")
	if err != nil {
		t.Fatal(err)
	}
	vars, ok := l.Match("envs/production/eu-west-1/payments-api/sqs.tf")
	if !ok || vars["environment"] != "production" || vars["region"] != "eu-west-1" || vars["service"] != "payments-api" {
		t.Fatalf("match: %v %v", vars, ok)
	}
	if _, ok := l.Match("envs/production/eu-west-1/sqs.tf"); ok {
		t.Error("a file above the layout's depth matched")
	}
	if l.Prefix() != "envs/" || l.Dir(vars) != "envs/production/eu-west-1/payments-api" {
		t.Errorf("prefix %q dir %q", l.Prefix(), l.Dir(vars))
	}
	if _, err := ParseLayout("clusters/{clustr}"); err == nil {
		t.Error("an unknown placeholder parsed")
	}
}

func TestSetYAMLField(t *testing.T) {
	files := repoFiles(t)
	src := files["clusters/prod-eu-1/payments/api.yaml"]
	out, err := SetYAMLField(src, 1, mustPath(t, "spec.maxReplicas"), 25.0)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "maxReplicas: 25") || strings.Contains(s, "maxReplicas: 10") ||
		!strings.Contains(s, "# the HPA takes over from here") || !strings.Contains(s, "# payments-api in prod-eu-1") ||
		strings.Count(s, "---") != 2 {
		t.Fatalf("edited:\n%s", s)
	}
	ms, _ := ReadKubernetes(map[string][]byte{"a.yaml": out})
	if len(ms) != 3 || ms[0].Kind() != "Deployment" {
		t.Fatalf("after the edit: %+v", ms)
	}
	out, err = SetYAMLField(src, 0, mustPath(t, "spec.template.spec.containers[api].image"), "registry.sphera.internal/payments/payments-api:1.4.3")
	if err != nil || !strings.Contains(string(out), "payments-api:1.4.3") {
		t.Fatalf("image: %v\n%s", err, out)
	}
	out, err = SetYAMLField(src, 0, mustPath(t, "metadata.labels.tier"), "backend")
	if err != nil || !strings.Contains(string(out), "tier: backend") {
		t.Fatalf("new label: %v\n%s", err, out)
	}
	out, err = SetYAMLField(src, 0, mustPath(t, "spec.replicas"), nil)
	if err != nil || strings.Contains(string(out), "replicas: 3") {
		t.Fatalf("removed: %v\n%s", err, out)
	}
	if _, err := SetYAMLField(src, 0, mustPath(t, "spec.template.spec.containers[sidecar].image"), "x"); err == nil {
		t.Error("an item that does not exist was invented")
	}
	if _, err := SetYAMLField(src, 7, mustPath(t, "spec.replicas"), 1.0); err == nil {
		t.Error("document 8 of 3")
	}
}

func TestSetTerraformAttribute(t *testing.T) {
	files := repoFiles(t)
	out, err := SetTerraformAttribute(files["envs/production/eu-west-1/payments-api/sqs.tf"], "sqs.tf", "aws_sqs_queue",
		"orders-events", "visibility_timeout_seconds", "90")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "visibility_timeout_seconds = 90") || !strings.Contains(s, "# Managed by Atrium") ||
		!strings.Contains(s, "delay_seconds              = var.delay") {
		t.Fatalf("edited:\n%s", s)
	}
	rs, _ := ReadTerraform(map[string][]byte{"sqs.tf": out})
	if len(rs) != 1 || rs[0].Attrs["visibility_timeout_seconds"] != "90" {
		t.Fatalf("read back: %+v", rs)
	}
	if _, err := SetTerraformAttribute(out, "sqs.tf", "aws_sqs_queue", "nope", "x", "1"); err == nil {
		t.Error("a resource that is not there")
	}
}
