package server

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/sources/github"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "atrium.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFile(t *testing.T) {
	t.Setenv("ATRIUM_OIDC_ISSUER", "")
	t.Setenv("ATRIUM_OIDC_AUDIENCE", "")
	good := `oidc:
  issuer: https://login.example
  audience: atrium
  grants:
    platform-team: [platform_approver]
    payments-devs: [developer@payments, team_owner@payments]
actions:
  environments:
    staging: {regions: [eu-west-1], delivery: direct}
    production:
      regions: [eu-west-1, us-east-1]
      delivery: gitops
      gitops: {repo: sphera/infra}
`
	c := Config{Demo: "auto", ConfigFile: writeConfig(t, good)}
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	prod := c.File.Actions.Environments["production"]
	if prod.GitOps.Base != "main" || prod.GitOps.Path != "envs/{environment}/{region}/{service}" ||
		strings.Join(c.File.Actions.ApproversOf("production"), ",") != "platform_approver" ||
		len(c.File.Actions.ApproversOf("staging")) != 0 || c.File.Actions.Worker.Lease == 0 {
		t.Errorf("defaults: %+v", c.File.Actions)
	}
	// The environment overrides the file's issuer.
	t.Setenv("ATRIUM_OIDC_ISSUER", "https://other.example")
	c = Config{Demo: "auto", ConfigFile: writeConfig(t, good)}
	if err := c.FromEnv(); err != nil || c.File.OIDC.Issuer != "https://other.example" {
		t.Errorf("env override: %v %+v", err, c.File.OIDC)
	}
	t.Setenv("ATRIUM_OIDC_ISSUER", "")

	// The documented example is valid (its golden path creates repositories: it needs the GitHub token).
	t.Setenv("ATRIUM_GITHUB_TOKEN", "ghp_example")
	c = Config{Demo: "auto", ConfigFile: filepath.Join("..", "..", "docs", "atrium.example.yaml")}
	if err := c.FromEnv(); err != nil || len(c.File.Actions.Environments) != 3 || len(c.File.OIDC.Grants) != 5 ||
		len(c.File.Actions.ApproversOf("dev")) != 0 || c.File.GoldenPath == nil || c.File.GoldenPath.GitHub.Org != "sphera" ||
		len(c.File.GoldenPath.Templates) != 1 || c.File.GoldenPath.Templates[0].Path != "templates" ||
		c.File.Fleet.UsageRetentionDays != 400 || time.Duration(c.File.Fleet.DirectoryRefresh) != 6*time.Hour {
		t.Errorf("docs/atrium.example.yaml: %v %+v", err, c.File)
	}
	t.Setenv("ATRIUM_GITHUB_TOKEN", "")
	golden := "actions:\n  environments:\n    dev: {regions: [eu-west-1], delivery: direct}\n" +
		"golden_path:\n  github: {org: sphera}\n  infra: {repo: sphera/infra}\n  registry: registry.example.com/sphera\n" +
		"  environments: [{name: dev, regions: [eu-west-1], clusters: [{name: dev-1, region: eu-west-1}]}]\n"
	for _, b := range []struct{ body, want string }{
		{golden, "golden_path: creating repositories needs the portal's GitHub token"},
		{strings.Replace(golden, "dev: {regions", "qa: {regions", 1), `golden_path: the dev environment "dev" must be an environment of the actions section`},
		{strings.Replace(golden, "infra: {repo: sphera/infra}", "infra: {repo: infra}", 1), "golden_path: infra.repo"},
	} {
		c = Config{Demo: "auto", ConfigFile: writeConfig(t, b.body)}
		if err := c.FromEnv(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want %q", b.body, err, b.want)
		}
	}
	c = Config{Demo: "auto", ConfigFile: writeConfig(t, strings.Replace(golden, "delivery: direct", "delivery: preview", 1))}
	if err := c.FromEnv(); err != nil || c.File.GoldenPath == nil {
		t.Errorf("a previewed golden path needs no token: %v", err)
	}

	// Templates repositories: each checked, named once, and read with the github section's credentials.
	previewed := strings.Replace(golden, "delivery: direct", "delivery: preview", 1)
	withTemplates := func(entries string) string { return previewed + "  templates:\n" + entries }
	for _, b := range []struct{ body, want string }{
		{withTemplates("    - {repo: sphera/golden-templates}\n"), "golden_path.templates are read with the github section's credentials: the github section has no credentials"},
		{withTemplates("    - {repo: golden-templates}\n"), `golden_path.templates[0]: repo "golden-templates/" is not owner/name`},
		{withTemplates("    - {repo: sphera/golden/templates}\n"), `golden_path.templates[0]: repo "sphera/golden/templates" is not owner/name`},
		{withTemplates("    - {repo: sphera/t, ref: 'main branch'}\n"), `golden_path.templates[0]: ref "main branch" is not a branch, tag or commit name`},
		{withTemplates("    - {repo: sphera/t, path: ../other}\n"), `golden_path.templates[0]: path "../other" is not a directory of the repository`},
		{withTemplates("    - {repo: sphera/t}\n    - {repo: Sphera/T, path: more}\n"), "golden_path.templates[1]: repo Sphera/T is listed twice"},
		{withTemplates("    - {repo: sphera/t, branch: main}\n"), "field branch not found"},
	} {
		c = Config{Demo: "auto", ConfigFile: writeConfig(t, b.body)}
		if err := c.FromEnv(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want %q", b.body, err, b.want)
		}
	}
	t.Setenv("ATRIUM_GITHUB_TOKEN", "ghp_example")
	c = Config{Demo: "auto", ConfigFile: writeConfig(t, withTemplates("    - {repo: sphera/golden-templates, ref: v2, path: /templates/}\n"))}
	if err := c.FromEnv(); err != nil {
		t.Fatalf("a templates repository: %v", err)
	}
	if repos, err := c.File.templateRepos(); err != nil || len(repos) != 1 ||
		repos[0] != (github.TemplateRepo{Owner: "sphera", Name: "golden-templates", Ref: "v2", Path: "templates"}) {
		t.Errorf("templates repositories: %+v %v", repos, err)
	}
	t.Setenv("ATRIUM_GITHUB_TOKEN", "")

	bad := []struct{ body, want string }{
		{"actions:\n  environmnets: {}\n", "environmnets"},
		{"actions:\n  environments:\n    qa: {regions: [eu-west-1], delivery: ftp}\n", "delivery must be direct, gitops or preview"},
		{"actions:\n  environments:\n    qa: {regions: [], delivery: direct}\n", "regions"},
		{"actions:\n  environments:\n    qa: {regions: [x], delivery: gitops}\n", "gitops.repo"},
		{"actions:\n  environments:\n    qa: {regions: [x], delivery: direct, approvers: [developer]}\n", "approvers"},
		{"oidc:\n  issuer: https://x\n", "audience"},
		{"oidc:\n  issuer: https://x\n  audience: a\n  grants: {g: [wizard@team]}\n", "unknown role"},
		// Scorecard rules are compiled at load: a rule that does not type-check is refused with its position.
		{"scorecards:\n  rules:\n    - {name: typo, level: gold, weight: 1, expression: 'service.ownr != \"\"'}\n",
			`scorecards.rules[0].expression: rule "typo": line 1, column 8: undefined field 'ownr'`},
		{"scorecards:\n  rules:\n    - {name: count, level: gold, weight: 1, expression: 'size(service.tags)'}\n",
			`rule "count": the expression returns int, not bool`},
		{"scorecards:\n  core_packages: [{name: react, allowed_lag: lots}]\n", `allowed_lag "lots" is not none, patch, minor or major`},
		{"scorecards:\n  treshold: 50\n", "treshold"},
	}
	for _, tt := range bad {
		c := Config{Demo: "auto", ConfigFile: writeConfig(t, tt.body)}
		if err := c.FromEnv(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.body, err, tt.want)
		}
	}

	// gitops needs a GitHub token, and says so at start rather than at the first action.
	t.Setenv("ATRIUM_GITHUB_TOKEN", "")
	c = Config{Demo: "off", ConfigFile: writeConfig(t, good), DataDir: t.TempDir()}
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(context.Background(), c); err == nil || !strings.Contains(err.Error(), "ATRIUM_GITHUB_TOKEN") {
		if s != nil {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		t.Errorf("gitops without token: %v", err)
	}
}

func TestParseProxies(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // the prefixes joined by spaces, or "error"
	}{
		{"", ""},
		{"10.0.0.5", "10.0.0.5/32"},
		{"10.1.2.3/8, 192.168.0.0/16", "10.0.0.0/8 192.168.0.0/16"},
		{"::ffff:10.0.0.5, fd00::/8, ::1", "10.0.0.5/32 fd00::/8 ::1/128"},
		{"10.0.0.5,,", "10.0.0.5/32"},
		{"proxy.internal", "error"},
		{"10.0.0.0/33", "error"},
	} {
		ps, err := ParseProxies(tt.in)
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if err != nil {
			got = []string{"error"}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("ParseProxies(%q) = %v (%v), want %s", tt.in, got, err, tt.want)
		}
	}
	t.Setenv("ATRIUM_TRUSTED_PROXIES", "10.0.0.0/8")
	c := Config{Demo: "auto"}
	if err := c.FromEnv(); err != nil || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("from $ATRIUM_TRUSTED_PROXIES: %v %v", c.TrustedProxies, err)
	}
	t.Setenv("ATRIUM_TRUSTED_PROXIES", "nope")
	if err := (&Config{Demo: "auto"}).FromEnv(); err == nil || !strings.Contains(err.Error(), "ATRIUM_TRUSTED_PROXIES") {
		t.Errorf("a bad $ATRIUM_TRUSTED_PROXIES: %v", err)
	}
}

// The AWS collector lists every region the portal writes to — the actions' direct and gitops environments (SQS,
// SNS), the secrets' aws environments (Secrets Manager) — and the aws section's regions, each service through the
// endpoint its section names; preview environments create nothing and are not listed.
func TestAWSTargetsFollowActionsAndSecrets(t *testing.T) {
	fc := FileConfig{
		AWS: AWSConfig{Regions: []AWSRegion{{Environment: "production", Region: "ap-south-1", Services: []string{"sqs"}}}},
		Actions: actions.Config{Environments: map[string]actions.Environment{
			"production": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryDirect,
				AWS: actions.AWSConfig{Endpoints: map[string]string{"eu-west-1": "http://127.0.0.1:4100"}}},
			"dev": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryPreview},
		}},
		Secrets: &secrets.Config{Environments: map[string]secrets.Environment{
			"production": {Backend: "aws", Regions: []string{"eu-west-1"},
				AWS: secrets.AWSConfig{Endpoints: map[string]string{"eu-west-1": "http://127.0.0.1:4200"}}},
		}},
	}
	if err := fc.checkAWS(); err != nil {
		t.Fatal(err)
	}
	c, err := newAWSCollector(&fc, nil, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range c.Regions() {
		names = append(names, r.Name())
	}
	if strings.Join(names, ",") != "aws:production/ap-south-1,aws:production/eu-west-1" {
		t.Fatalf("regions: %v", names)
	}
	eu := c.Region("production", "eu-west-1")
	if got := strings.Join(eu.Target().Services, ","); got != "sqs,sns,secretsmanager" ||
		eu.Endpoint("sqs") != "http://127.0.0.1:4100" || eu.Endpoint("secretsmanager") != "http://127.0.0.1:4200" {
		t.Fatalf("eu-west-1: %v %q %q", got, eu.Endpoint("sqs"), eu.Endpoint("secretsmanager"))
	}
	fc.AWS.Regions = append(fc.AWS.Regions, AWSRegion{Environment: "production", Region: "ap-south-1"})
	if err := fc.checkAWS(); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("a region twice: %v", err)
	}
	fc.AWS = AWSConfig{Regions: []AWSRegion{{Environment: "production", Region: "x", Services: []string{"s3"}}}}
	if err := fc.checkAWS(); err == nil || !strings.Contains(err.Error(), `"s3" is not sqs, sns or secretsmanager`) {
		t.Fatalf("unknown service: %v", err)
	}
	fc.AWS = AWSConfig{Off: true}
	if c, err := newAWSCollector(&fc, nil, slog.Default()); c != nil || err != nil {
		t.Fatalf("off: %v %v", c, err)
	}
}
