package github_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// Drift's gitops repositories: the collector reads their YAML and Terraform files under the directories drift
// names (besides descriptors and manifests), hands them over from what it stored, reads a repository again when
// those directories change, and says so after each read.
func TestExtraFilesOfGitOpsRepositories(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 0)
	gh.AddRepo(org, githubtest.Repo{Name: "deploy", Files: map[string]string{
		"clusters/prod-eu-1/payments/api.yaml":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: payments-api}\n",
		"clusters/prod-eu-1/kustomization.yaml": "resources: [payments/api.yaml]\n",
		"clusters/prod-eu-1/notes.txt":          "not read",
		"envs/production/eu-west-1/sqs.tf":      "resource \"aws_sqs_queue\" \"q\" { name = \"q\" }\n",
		"README.md":                             "# deploy"}})
	var mu sync.Mutex
	dirs := []string{"clusters/"}
	var read []string
	e := newEnv(t, gh, func(c *github.Config) {
		c.Extra = func(repo string) []string {
			mu.Lock()
			defer mu.Unlock()
			if strings.EqualFold(repo, org+"/deploy") {
				return append([]string{}, dirs...)
			}
			return nil
		}
		c.OnRead = func(repo string) { mu.Lock(); read = append(read, repo); mu.Unlock() }
	})
	ctx := context.Background()
	if _, err := e.hub.Files(ctx, org+"/deploy", []string{"clusters/"}); !errors.Is(err, github.ErrNotRead) {
		t.Fatalf("before a sync: %v", err)
	}
	e.sync()
	f, err := e.hub.Files(ctx, org+"/deploy", []string{"clusters/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Files) != 2 || !strings.Contains(string(f.Files["clusters/prod-eu-1/payments/api.yaml"]), "payments-api") ||
		f.Head == "" || f.DefaultBranch != "main" {
		t.Fatalf("files: %v %+v", keys(f.Files), f)
	}
	if strings.Join(read, ",") != org+"/deploy" {
		t.Fatalf("read: %v", read)
	}
	// The Terraform directory added to the rule: the repository is read again at the next sync, unpushed.
	mu.Lock()
	dirs = append(dirs, "envs/")
	mu.Unlock()
	e.sync()
	f, err = e.hub.Files(ctx, org+"/deploy", []string{"clusters/", "envs/"})
	if err != nil || len(f.Files) != 3 || f.Files["envs/production/eu-west-1/sqs.tf"] == nil {
		t.Fatalf("after the rule changed: %v %v", keys(f.Files), err)
	}
	// Nothing changed: no new read. A push: read again, with the new content.
	e.sync()
	if len(read) != 2 {
		t.Fatalf("reads: %v", read)
	}
	gh.Push(org, "deploy", map[string]string{"clusters/prod-eu-1/payments/api.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: payments-api, labels: {v: '2'}}\n"})
	e.sync()
	f, _ = e.hub.Files(ctx, org+"/deploy", []string{"clusters/"})
	if len(read) != 3 || !strings.Contains(string(f.Files["clusters/prod-eu-1/payments/api.yaml"]), "v: '2'") {
		t.Fatalf("after a push: %v %s", read, f.Files["clusters/prod-eu-1/payments/api.yaml"])
	}
	// Other repositories are read as before: no extra files, no call.
	if _, err := e.hub.Files(ctx, org+"/payments-api", []string{"clusters/"}); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
