package leak

import (
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	// Tokens assembled at run time, so that this file itself holds nothing a scanner would flag.
	aws := "AKIA" + strings.Repeat("Q", 16)
	gh := "ghp_" + strings.Repeat("a1B2", 9)
	pat := "github_pat_" + strings.Repeat("k7", 11) + "_" + strings.Repeat("Yq3", 19) + "Z2"
	slack := "xox" + "b-1234567890-abcdefghij"
	key := "-----BEGIN " + "RSA PRIVATE KEY-----"
	for _, c := range []struct {
		name, content string
		want          []Hit
	}{
		{"AWS key id", "region=eu-west-1\nAWS_ACCESS_KEY_ID=" + aws + "\n", []Hit{{"AWS access key id", 2}}},
		{"AWS's documented example key is a placeholder", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", nil},
		{"GitHub token", "token: " + gh, []Hit{{"GitHub token", 1}}},
		{"fine-grained GitHub token", "\n\nGH=" + pat + "\n", []Hit{{"GitHub fine-grained token", 3}}},
		{"Slack token", "SLACK=" + slack, []Hit{{"Slack token", 1}}},
		{"private key", "x\n" + key + "\nMIIE...\n", []Hit{{"private key", 2}}},
		{"two on a line", aws + " " + gh, []Hit{{"AWS access key id", 1}, {"GitHub token", 1}}},
		{"nothing", "PASSWORD=${DB_PASSWORD}\nname: checkout\n", nil},
		{"binary", "\x00\x01" + aws, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Scan([]byte(c.content))
			if len(got) != len(c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("hit %d: got %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestRisky(t *testing.T) {
	for p, want := range map[string]bool{
		".env": true, "services/api/.env.production": true, "deploy/tls.pem": true, "keys/id_rsa": true,
		"config/app.yml": true, "api/config/database.json": true, "prod.tfvars": true, ".npmrc": true,
		"src/main/resources/application-prod.yml": true, "README.md": false, "main.go": false,
		"node_modules/x/.env": false, "vendor/k/id_rsa": false, "internal/testdata/key.pem": false,
		"config/README.md": false, "package.json": false,
	} {
		if Risky(p) != want {
			t.Errorf("Risky(%q) = %v", p, !want)
		}
	}
}
