package diff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// options is a case's -options.yaml.
type options struct {
	Ignore        []IgnoreRule `json:"ignore"`
	ReplicasOwned bool         `json:"replicas_owned"`
	Only          []string     `json:"only"`
}

func readObject(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// TestDiffPairs compares each testdata/NAME-config.yaml (declared) with NAME-live.yaml (as the API server returns
// it), with NAME-options.yaml's ignore rules and flags, and expects NAME-want.txt: one "path desired → live" line
// per difference, none when the pair is in sync once normalised.
func TestDiffPairs(t *testing.T) {
	configs, err := filepath.Glob("testdata/*-config.yaml")
	if err != nil || len(configs) < 10 {
		t.Fatalf("cases: %v %v", configs, err)
	}
	for _, cfgPath := range configs {
		name := strings.TrimSuffix(filepath.Base(cfgPath), "-config.yaml")
		t.Run(name, func(t *testing.T) {
			config := readObject(t, cfgPath)
			live := readObject(t, filepath.Join("testdata", name+"-live.yaml"))
			var o options
			if b, err := os.ReadFile(filepath.Join("testdata", name+"-options.yaml")); err == nil {
				if err := yaml.UnmarshalStrict(b, &o); err != nil {
					t.Fatal(err)
				}
			}
			rules, err := CompileRules(o.Ignore)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Ignore: rules.For(config["kind"].(string)), ReplicasOwned: o.ReplicasOwned}
			for _, s := range o.Only {
				p, err := ParsePath(s)
				if err != nil {
					t.Fatal(err)
				}
				opts.Only = append(opts.Only, p)
			}
			want, err := os.ReadFile(filepath.Join("testdata", name+"-want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range Diff(config, live, opts) {
				got = append(got, f.String())
			}
			if g, w := strings.Join(got, "\n"), strings.TrimSpace(string(want)); g != w {
				t.Errorf("diff:\n%s\nwant:\n%s", g, w)
			}
			// Neither input is changed, and an object compared with itself has no drift.
			if again := readObject(t, cfgPath); !equalObjects(again, config) {
				t.Error("Diff changed its config")
			}
			if d := Diff(live, live, opts); len(d) != 0 {
				t.Errorf("live against itself: %v", d)
			}
		})
	}
}

func equalObjects(a, b map[string]any) bool {
	x, _ := yaml.Marshal(a)
	y, _ := yaml.Marshal(b)
	return string(x) == string(y)
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct{ in, out, err string }{
		{in: "spec.replicas", out: "spec.replicas"},
		{in: "spec.template.spec.containers[api].image", out: "spec.template.spec.containers[api].image"},
		{in: "spec.template.spec.containers[*].resources", out: "spec.template.spec.containers[*].resources"},
		{in: `metadata.labels["app.kubernetes.io/name"]`, out: `metadata.labels["app.kubernetes.io/name"]`},
		{in: "spec.ports[0].port", out: "spec.ports[0].port"},
		{in: "metadata.*", out: "metadata.*"},
		{in: "", err: "empty"},
		{in: "spec..replicas", err: "empty segment"},
		{in: "spec.containers[api", err: "[ without ]"},
		{in: "spec.containers[]", err: "empty []"},
	} {
		p, err := ParsePath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.out {
			t.Errorf("%q: %q %v, want %q", tc.in, p.String(), err, tc.out)
		}
	}
}

func TestCompileRules(t *testing.T) {
	if _, err := CompileRules([]IgnoreRule{{Paths: []string{"spec.replicas"}}}); err == nil || !strings.Contains(err.Error(), "kind is required") {
		t.Errorf("no kind: %v", err)
	}
	if _, err := CompileRules([]IgnoreRule{{Kind: "Deployment", Paths: []string{"spec..x"}}}); err == nil || !strings.Contains(err.Error(), "ignore[0].paths[0]") {
		t.Errorf("bad path: %v", err)
	}
	r, err := CompileRules([]IgnoreRule{{Kind: "*", Paths: []string{"metadata.labels"}}, {Kind: "Deployment", Paths: []string{"spec.replicas"}}})
	if err != nil || len(r.For("Deployment")) != 2 || len(r.For("DaemonSet")) != 1 {
		t.Errorf("rules: %v %v", r, err)
	}
}

// A field rendered for a person and the values kept for a fix.
func TestFieldValues(t *testing.T) {
	c := map[string]any{"kind": "HorizontalPodAutoscaler", "spec": map[string]any{"maxReplicas": 10}}
	l := map[string]any{"kind": "HorizontalPodAutoscaler", "spec": map[string]any{"maxReplicas": int64(25)}}
	d := Diff(c, l, Options{})
	if len(d) != 1 || d[0].String() != "spec.maxReplicas 10 → 25" || d[0].LiveValue != 25.0 || d[0].At.String() != "spec.maxReplicas" {
		t.Fatalf("%+v", d)
	}
	if v, ok := Get(l, d[0].At); !ok || v != int64(25) {
		t.Fatalf("Get: %v %v", v, ok)
	}
}
