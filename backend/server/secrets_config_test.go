package server

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsConventions: the documented example's secrets section loads with its defaults, and conventions that
// cannot work are refused at start, each problem named at its key.
func TestSecretsConventions(t *testing.T) {
	t.Setenv("ATRIUM_GITHUB_TOKEN", "ghp_example")
	c := Config{Demo: "auto", ConfigFile: filepath.Join("..", "..", "docs", "atrium.example.yaml")}
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	s := c.File.Secrets
	if s == nil || len(s.Environments) != 3 || s.Environments["dev"].Backend != "kubernetes" ||
		strings.Join(s.Environments["dev"].Regions, ",") != "eu-west-1" || s.RetryWindow == 0 ||
		s.FullName("payments", "checkout", "db-password", "dev") != "payments/checkout/db-password" {
		t.Fatalf("example secrets: %+v", s)
	}
	base := "secrets:\n  environments:\n    dev: {backend: local, regions: [eu-west-1]}\n"
	for _, c := range []struct{ body, want string }{
		{"secrets:\n  naming: \"{team}/{name}\"\n  environments:\n    dev: {backend: local, regions: [eu-west-1]}\n",
			"secrets.naming: must contain {service}"},
		{"secrets:\n  naming: \"{team}/{service}/{name}/{region}\"\n  environments:\n    dev: {backend: local, regions: [eu-west-1]}\n",
			"secrets.naming: unknown placeholder {region}"},
		{"secrets:\n  name_pattern: \"([\"\n  environments:\n    dev: {backend: local, regions: [eu-west-1]}\n",
			"secrets.name_pattern: not a regular expression"},
		{base + "  required: [production]\n", `secrets.required: "production" is not an environment`},
		{"secrets:\n  environments:\n    dev: {backend: vault, regions: [eu-west-1]}\n", "secrets.environments.dev.backend: must be kubernetes, aws or local"},
		{"secrets:\n  environments:\n    dev: {backend: kubernetes}\n", "secrets.environments.dev.clusters: a kubernetes environment needs its clusters"},
		{"secrets:\n  environments:\n    dev: {backend: aws}\n", "secrets.environments.dev.regions: at least one"},
		{"secrets:\n  environments:\n    dev: {backend: local, regions: [eu-west-1], reveal: [admin]}\n",
			`secrets.environments.dev.reveal[0]: "admin": the roles of the owning team that may reveal are developer and team_owner`},
		{base + "  max_value_bytes: 10000000\n", "secrets.max_value_bytes: from 1 to"},
		{base + "  reveal_after: 3\n", "field reveal_after not found"},
	} {
		cfg := Config{Demo: "auto", ConfigFile: writeConfig(t, c.body)}
		if err := cfg.FromEnv(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.body, err, c.want)
		}
	}
}
