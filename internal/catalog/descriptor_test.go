package catalog

import (
	"strings"
	"testing"
)

func snap(files map[string]string) RepoSnapshot {
	s := RepoSnapshot{Name: "My_Repo", URL: "https://github.com/acme/my_repo", Provider: "github", Files: map[string][]byte{}}
	for k, v := range files {
		s.Files[k] = []byte(v)
	}
	return s
}

func findingWith(s Service, sub string) bool {
	for _, f := range s.Findings {
		if strings.Contains(f.Summary+" "+f.Detail, sub) {
			return true
		}
	}
	return false
}

func TestParseRepository(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, svcs []Service)
	}{
		{
			name: "atrium descriptor with go.mod",
			files: map[string]string{
				"atrium.yaml": "name: payments-api\ndescription: Takes payments.\nowner: payments\nlifecycle: Production\n" +
					"tags: [pci, payments]\nlinks:\n  - title: Runbook\n    url: https://runbooks.example/payments\n",
				"go.mod": "module example.com/payments\n\ngo 1.22\n\nrequire (\n\tgithub.com/go-chi/chi/v5 v5.0.12\n" +
					"\tgolang.org/x/text v0.14.0 // indirect\n)\n",
			},
			check: func(t *testing.T, svcs []Service) {
				if len(svcs) != 1 {
					t.Fatalf("got %d services, want 1", len(svcs))
				}
				s := svcs[0]
				if s.Name != "payments-api" || s.Owner != "payments" || s.Lifecycle != "production" || s.Language != "Go" {
					t.Errorf("fields: %+v", s)
				}
				if len(s.Dependencies) != 1 || s.Dependencies[0].Name != "github.com/go-chi/chi/v5" ||
					s.Dependencies[0].Version != "v5.0.12" {
					t.Errorf("dependencies (indirect ones excluded): %+v", s.Dependencies)
				}
				if len(s.Links) != 1 || s.Links[0].URL != "https://runbooks.example/payments" {
					t.Errorf("links: %+v", s.Links)
				}
				if len(s.Findings) != 0 {
					t.Errorf("unexpected findings: %+v", s.Findings)
				}
				if strings.Join(s.Tags, ",") != "payments,pci" {
					t.Errorf("tags sorted: %v", s.Tags)
				}
			},
		},
		{
			name: "backstage descriptor with several documents and npm lockfile",
			files: map[string]string{
				"catalog-info.yaml": `apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: checkout}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-web
  description: The checkout pages.
  tags: [web]
  links: [{url: "https://grafana.example/d/1", title: Dashboard}]
spec:
  type: website
  lifecycle: experimental
  owner: group:default/Growth
  system: system:checkout
`,
				"package.json":      `{"dependencies": {"react": "^18.2.0", "zod": "~3.21"}, "devDependencies": {"typescript": "5.4.5"}}`,
				"package-lock.json": `{"lockfileVersion": 3, "packages": {"": {}, "node_modules/react": {"version": "18.3.1"}, "node_modules/a/node_modules/react": {"version": "16.0.0"}}}`,
			},
			check: func(t *testing.T, svcs []Service) {
				if len(svcs) != 1 {
					t.Fatalf("got %d services, want 1 (System entities ignored)", len(svcs))
				}
				s := svcs[0]
				if s.Name != "checkout-web" || s.Owner != "growth" || s.Type != "website" || s.System != "checkout" ||
					s.Language != "TypeScript" || s.Lifecycle != "experimental" {
					t.Errorf("fields: %+v", s)
				}
				got := map[string]Dependency{}
				for _, d := range s.Dependencies {
					got[d.Name] = d
				}
				if got["react"].Version != "18.3.1" || got["react"].Constraint != "^18.2.0" {
					t.Errorf("react should resolve from the lockfile's top level: %+v", got["react"])
				}
				if got["zod"].Version != "3.21.0" {
					t.Errorf("zod without lockfile entry takes the range's lowest version: %+v", got["zod"])
				}
				if !got["typescript"].Dev {
					t.Errorf("typescript is a dev dependency: %+v", got["typescript"])
				}
			},
		},
		{
			name: "created from a template: atrium.yaml's template, Backstage's source-template annotation",
			files: map[string]string{
				"atrium.yaml": "name: orders\nowner: payments\ntemplate: go-http-service@v1\n",
				"web/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders-web\n" +
					"  annotations: {backstage.io/source-template: template:default/React-App}\nspec: {owner: payments}\n",
				"old/atrium.yaml": "name: legacy\nowner: payments\n",
			},
			check: func(t *testing.T, svcs []Service) {
				got := map[string]string{}
				for _, s := range svcs {
					got[s.Name] = s.Template
					if len(s.Findings) != 0 {
						t.Errorf("%s: findings %+v", s.Name, s.Findings)
					}
				}
				if got["orders"] != "go-http-service@v1" || got["orders-web"] != "React-App" || got["legacy"] != "" {
					t.Errorf("templates: %v", got)
				}
			},
		},
		{
			name:  "no descriptor",
			files: map[string]string{"package.json": `{"dependencies": {"express": "4.18.2"}}`},
			check: func(t *testing.T, svcs []Service) {
				s := svcs[0]
				if s.Name != "my-repo" || s.Owner != "unowned" || s.Language != "JavaScript" {
					t.Errorf("defaults: %+v", s)
				}
				if !findingWith(s, "No service descriptor") {
					t.Errorf("want a finding asking for a descriptor: %+v", s.Findings)
				}
			},
		},
		{
			name:  "broken YAML becomes a finding with the line",
			files: map[string]string{"atrium.yaml": "name: x\nowner: [unclosed\n"},
			check: func(t *testing.T, svcs []Service) {
				s := svcs[0]
				if s.Name != "my-repo" {
					t.Errorf("falls back to the repository name: %q", s.Name)
				}
				if !findingWith(s, "atrium.yaml could not be read") || !findingWith(s, "line") {
					t.Errorf("findings: %+v", s.Findings)
				}
			},
		},
		{
			name:  "unknown field and invalid name",
			files: map[string]string{"atrium.yaml": "name: Bad Name!\nowner: core\nownr: typo\n"},
			check: func(t *testing.T, svcs []Service) {
				if !findingWith(svcs[0], "ownr") {
					t.Errorf("unknown fields are reported: %+v", svcs[0].Findings)
				}
			},
		},
		{
			name:  "invalid service name",
			files: map[string]string{"atrium.yaml": "name: Bad Name!\nowner: core\n"},
			check: func(t *testing.T, svcs []Service) {
				if svcs[0].Name != "my-repo" || !findingWith(svcs[0], "not a valid service name") {
					t.Errorf("%+v", svcs[0])
				}
			},
		},
		{
			name: "monorepo gives one service per descriptor directory",
			files: map[string]string{
				"services/ios-bff/atrium.yaml":      "name: ios-bff\nowner: mobile\n",
				"services/ios-bff/go.mod":           "module x\n\nrequire github.com/a/b v1.0.0\n",
				"services/android-bff/atrium.yaml":  "owner: mobile\n",
				"services/android-bff/package.json": `{"dependencies": {"fastify": "^4.0.0"}}`,
				"package.json":                      `{"devDependencies": {"turbo": "^1.0.0"}}`,
			},
			check: func(t *testing.T, svcs []Service) {
				if len(svcs) != 2 {
					t.Fatalf("got %d services: %+v", len(svcs), svcs)
				}
				a, i := svcs[0], svcs[1]
				if a.Name != "android-bff" || a.Repository.Path != "services/android-bff" || a.Language != "JavaScript" {
					t.Errorf("android: %+v", a)
				}
				if i.Name != "ios-bff" || i.Language != "Go" || len(i.Dependencies) != 1 {
					t.Errorf("ios: %+v", i)
				}
			},
		},
		{
			name: "malformed manifests become findings",
			files: map[string]string{
				"atrium.yaml":  "name: site\nowner: growth\n",
				"package.json": "{\n  \"dependencies\": {\"a\": \"1.0.0\",}\n}",
				"go.mod":       "module x\nrequire (\n",
			},
			check: func(t *testing.T, svcs []Service) {
				s := svcs[0]
				if !findingWith(s, "package.json could not be read") || !findingWith(s, "line 2") {
					t.Errorf("package.json finding with line: %+v", s.Findings)
				}
				if !findingWith(s, "go.mod could not be read") {
					t.Errorf("go.mod finding: %+v", s.Findings)
				}
			},
		},
		{
			name: "duplicate names in one repository",
			files: map[string]string{
				"a/atrium.yaml": "name: same\nowner: x\n",
				"b/atrium.yaml": "name: same\nowner: y\n",
			},
			check: func(t *testing.T, svcs []Service) {
				if len(svcs) != 1 || !findingWith(svcs[0], "used twice") {
					t.Errorf("%+v", svcs)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs := ParseRepository(snap(tt.files), "test")
			if len(svcs) == 0 {
				t.Fatal("no services")
			}
			for _, s := range svcs {
				if !ValidName(s.Name) {
					t.Errorf("invalid name %q produced", s.Name)
				}
				if s.Source != "test" {
					t.Errorf("source %q", s.Source)
				}
			}
			tt.check(t, svcs)
		})
	}
}

func TestBehind(t *testing.T) {
	tests := []struct{ v, latest, want string }{
		{"1.2.3", "1.2.3", ""},
		{"1.2.3", "1.2.4", "patch"},
		{"1.2.3", "1.3.0", "minor"},
		{"1.2.3", "2.0.0", "major"},
		{"v0.30.1", "v0.37.2", "minor"},
		{"2.0.0", "1.9.9", ""},
		{"1.0.0", "", ""},
		{"latest", "1.0.0", ""},
		{"v0.0.0-20230101000000-abcdefabcdef", "v0.1.0", "minor"},
		{"1.0.0-beta.1", "1.0.0", "patch"},
	}
	for _, tt := range tests {
		if got := Behind(tt.v, tt.latest); got != tt.want {
			t.Errorf("Behind(%q, %q) = %q, want %q", tt.v, tt.latest, got, tt.want)
		}
	}
}

func TestLowestVersion(t *testing.T) {
	tests := map[string]string{
		"^1.2.3": "1.2.3", "~2.1": "2.1.0", ">=3 <4": "3.0.0", "1.x": "1.0.0", "*": "", "latest": "",
		"git+https://x/y.git": "", "^1.0.0 || ^2.0.0": "1.0.0", "5.0.0-rc.1": "5.0.0-rc.1", "file:../lib": "",
	}
	for in, want := range tests {
		if got := LowestVersion(in); got != want {
			t.Errorf("LowestVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWantedFile(t *testing.T) {
	for p, want := range map[string]bool{
		"atrium.yaml": true, "svc/a/catalog-info.yaml": true, "package.json": true, "go.mod": true,
		"node_modules/x/package.json": false, "README.md": false, "vendor/x/go.mod": false, "go.sum": false,
	} {
		if WantedFile(p) != want {
			t.Errorf("WantedFile(%q) = %v", p, !want)
		}
	}
}

func FuzzParseRepository(f *testing.F) {
	f.Add("name: a\nowner: b\n", `{"dependencies": {"x": "^1"}}`, "module m\nrequire a/b v1.0.0\n")
	f.Add("kind: Component\nmetadata: {name: x}\n", "{", "garbage")
	f.Fuzz(func(t *testing.T, desc, pkg, gomod string) {
		for _, name := range []string{"atrium.yaml", "catalog-info.yaml"} {
			svcs := ParseRepository(snap(map[string]string{name: desc, "package.json": pkg, "go.mod": gomod}), "f")
			if len(svcs) == 0 {
				t.Fatal("no service")
			}
			for _, s := range svcs {
				if !ValidName(s.Name) {
					t.Fatalf("invalid name %q", s.Name)
				}
			}
		}
	})
}
