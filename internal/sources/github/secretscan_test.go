package github_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store/storetest"
)

// TestSecretsCommittedBecomeFindings: a repository that commits an AWS key and a GitHub token in .env and a private
// key under deploy/ gets a finding per file on its service — kind and line, never the matched text — from the files
// the collector fetches for the scan, which it caches nowhere; a token in a file that is not risky (README) is not
// fetched; an oversized risky file is named as not scanned; a later sync that changes nothing in those files does
// not fetch them again, and the findings stay.
func TestSecretsCommittedBecomeFindings(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(org)
	aws := "AKIA" + strings.Repeat("Z7", 8)
	token := "ghp_" + strings.Repeat("q9W", 12)
	key := "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	files := map[string]string{
		"atrium.yaml":    atrium("leaky", "payments"),
		".env":           "REGION=eu-west-1\nAWS_ACCESS_KEY_ID=" + aws + "\nGITHUB_TOKEN=" + token + "\n",
		"deploy/tls.pem": key,
		"README.md":      "do not do this: " + token + "\n",
		"config/big.yml": strings.Repeat("# padding\n", 30000),
		"config/app.yml": "name: leaky\npassword: ${DB_PASSWORD}\n",
	}
	gh.AddRepo(org, githubtest.Repo{Name: "leaky", Files: files})
	e := newEnv(t, gh, nil)
	first := e.sync()
	s := e.service("leaky")
	var scan []problem.Problem
	for _, f := range s.Findings {
		if f.Source == github.ScanSource {
			scan = append(scan, f)
		}
	}
	want := map[string]string{
		"Possible secret committed in .env":           "AWS access key id on line 2; GitHub token on line 3",
		"Possible secret committed in deploy/tls.pem": "private key on line 1",
		"1 risky files not scanned for secrets":       "config/big.yml (300000 bytes, over 262144)",
	}
	if len(scan) != len(want) {
		t.Fatalf("secrets-scan findings: %+v", scan)
	}
	for _, f := range scan {
		if !strings.Contains(f.Detail, want[f.Summary]) || want[f.Summary] == "" ||
			(strings.HasPrefix(f.Summary, "Possible") && f.Severity != problem.Error) {
			t.Errorf("finding %+v, want detail with %q", f, want[f.Summary])
		}
		for _, v := range []string{aws, token, "b3BlbnNzaC1rZXktdjEAAAAA"} {
			if strings.Contains(f.Summary+f.Detail, v) {
				t.Errorf("finding holds the matched text: %+v", f)
			}
		}
	}
	// The scanned files are in no cache: neither the database nor its write-ahead log holds what they hold.
	for _, suffix := range []string{"", "-wal"} {
		b, err := storetest.Dump(e.db, suffix)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{aws, "b3BlbnNzaC1rZXktdjEAAAAA"} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds a scanned file's secret", e.db.Path()+suffix)
			}
		}
	}
	// descriptor, .env, deploy/tls.pem and config/app.yml: README.md is not fetched, config/big.yml is too large.
	if n := first.ByKind[githubtest.KindBlob]; n != 4 {
		t.Errorf("first sync fetched %d blobs, want 4", n)
	}

	// A push that changes only the descriptor: the risky files are not fetched again, the findings stay.
	files["atrium.yaml"] += "# changed\n"
	gh.Push(org, "leaky", files)
	second := e.sync()
	if n := second.ByKind[githubtest.KindBlob]; n != 1 {
		t.Errorf("second sync fetched %d blobs, want 1 (the changed descriptor)", n)
	}
	n := 0
	for _, f := range e.service("leaky").Findings {
		if f.Source == github.ScanSource {
			n++
		}
	}
	if n != 3 {
		t.Errorf("after the second sync %d secrets-scan findings, want 3", n)
	}
}
