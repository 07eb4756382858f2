package githubtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// TestCreateRepositoryAndWriteItThroughTheGitDataAPI drives the fake with go-github's own calls, as the golden
// path does: create an organisation repository, write one commit of many files through blobs, a tree and a
// commit, move the branch to it, protect the branch — and checks GitHub's refusals on the way.
func TestCreateRepositoryAndWriteItThroughTheGitDataAPI(t *testing.T) {
	ctx := context.Background()
	s := githubtest.New(t)
	s.AddOrg("acme")
	s.AddRepo("acme", githubtest.Repo{Name: "taken", Files: map[string]string{"README.md": "x\n"}})
	c := client(t, s, s.Token)

	if _, _, err := c.Repositories.Get(ctx, "acme", "orders"); status(err) != http.StatusNotFound {
		t.Fatalf("missing repository: %v", err)
	}
	_, _, err := c.Repositories.Create(ctx, "acme", &gh.Repository{Name: gh.String("taken")})
	if status(err) != http.StatusUnprocessableEntity || !strings.Contains(message(err), "name already exists on this account") {
		t.Errorf("taken name: %v (%s)", err, message(err))
	}
	if _, _, err := c.Repositories.Create(ctx, "nope", &gh.Repository{Name: gh.String("x")}); status(err) != http.StatusNotFound {
		t.Errorf("unknown organisation: %v", err)
	}

	// An empty repository refuses the git data API (409), as GitHub does; auto_init gives it a first commit.
	bare, _, err := c.Repositories.Create(ctx, "acme", &gh.Repository{Name: gh.String("bare")})
	if err != nil || bare.GetDefaultBranch() != "main" {
		t.Fatalf("bare: %+v %v", bare, err)
	}
	if _, _, err := c.Git.CreateBlob(ctx, "acme", "bare", &gh.Blob{Content: gh.String("x"), Encoding: gh.String("utf-8")}); status(err) != http.StatusConflict ||
		message(err) != "Git Repository is empty." {
		t.Errorf("blob in an empty repository: %v", err)
	}

	repo, resp, err := c.Repositories.Create(ctx, "acme", &gh.Repository{Name: gh.String("orders"),
		Description: gh.String("Orders API"), Visibility: gh.String("internal"), AutoInit: gh.Bool(true)})
	if err != nil || resp.StatusCode != http.StatusCreated || repo.GetFullName() != "acme/orders" || !repo.GetPrivate() ||
		repo.GetVisibility() != "internal" || repo.GetDescription() != "Orders API" || repo.GetID() == 0 {
		t.Fatalf("create: %+v %v", repo, err)
	}
	got, _, err := c.Repositories.Get(ctx, "acme", "orders")
	if err != nil || got.GetID() != repo.GetID() {
		t.Fatalf("get: %+v %v", got, err)
	}
	if h := s.History("acme", "orders", "main"); len(h) != 1 {
		t.Fatalf("auto_init history: %v", h)
	}
	if _, _, err := c.Repositories.Edit(ctx, "acme", "orders", &gh.Repository{Description: gh.String("Orders API, v2")}); err != nil ||
		s.Info("acme", "orders").Description != "Orders API, v2" {
		t.Errorf("edit: %v %+v", err, s.Info("acme", "orders"))
	}

	files := map[string]string{"README.md": "# orders\n", "main.go": "package main\n", ".github/workflows/ci.yml": "on: push\n",
		"cmd/orders/Dockerfile": "FROM scratch\n"}
	var entries []*gh.TreeEntry
	for p, content := range files {
		if p == "main.go" { // one file as a blob, the others inline
			b, _, err := c.Git.CreateBlob(ctx, "acme", "orders", &gh.Blob{Content: gh.String(content), Encoding: gh.String("utf-8")})
			if err != nil || b.GetSHA() != githubtest.BlobSHA([]byte(content)) {
				t.Fatalf("blob: %+v %v", b, err)
			}
			entries = append(entries, &gh.TreeEntry{Path: gh.String(p), Mode: gh.String("100644"), Type: gh.String("blob"), SHA: b.SHA})
			continue
		}
		entries = append(entries, &gh.TreeEntry{Path: gh.String(p), Mode: gh.String("100644"), Type: gh.String("blob"), Content: gh.String(content)})
	}
	tree, _, err := c.Git.CreateTree(ctx, "acme", "orders", "", entries)
	if err != nil || len(tree.Entries) != 4 { // .github, README.md, cmd, main.go
		t.Fatalf("tree: %+v %v", tree, err)
	}
	if _, _, err := c.Git.CreateTree(ctx, "acme", "orders", "", []*gh.TreeEntry{{Path: gh.String("x"), Mode: gh.String("100644"),
		Type: gh.String("blob"), SHA: gh.String(strings.Repeat("0", 40))}}); status(err) != http.StatusUnprocessableEntity {
		t.Errorf("tree with an unknown blob: %v", err)
	}
	// base_tree keeps the files the entries do not name.
	withBase, _, err := c.Git.CreateTree(ctx, "acme", "orders", tree.GetSHA(), []*gh.TreeEntry{{Path: gh.String("CODEOWNERS"),
		Mode: gh.String("100644"), Type: gh.String("blob"), Content: gh.String("* @acme/payments\n")}})
	if err != nil || len(withBase.Entries) != 5 {
		t.Fatalf("tree on a base: %+v %v", withBase, err)
	}

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	commit, _, err := c.Git.CreateCommit(ctx, "acme", "orders", &gh.Commit{Message: gh.String("Initial commit from template go"),
		Tree: &gh.Tree{SHA: tree.SHA}, Author: &gh.CommitAuthor{Name: gh.String("Atrium"), Email: gh.String("atrium@acme.invalid"),
			Date: &gh.Timestamp{Time: at}}}, nil)
	if err != nil || commit.GetTree().GetSHA() != tree.GetSHA() || len(commit.Parents) != 0 || commit.GetAuthor().GetName() != "Atrium" {
		t.Fatalf("commit: %+v %v", commit, err)
	}
	again, _, err := c.Git.CreateCommit(ctx, "acme", "orders", &gh.Commit{Message: gh.String("Initial commit from template go"),
		Tree: &gh.Tree{SHA: tree.SHA}, Author: &gh.CommitAuthor{Name: gh.String("Atrium"), Email: gh.String("atrium@acme.invalid"),
			Date: &gh.Timestamp{Time: at}}}, nil)
	if err != nil || again.GetSHA() != commit.GetSHA() {
		t.Errorf("the same commit twice has one SHA: %s %s %v", commit.GetSHA(), again.GetSHA(), err)
	}
	ref := &gh.Reference{Ref: gh.String("refs/heads/main"), Object: &gh.GitObject{SHA: commit.SHA}}
	if _, _, err := c.Git.UpdateRef(ctx, "acme", "orders", ref, false); status(err) != http.StatusUnprocessableEntity ||
		message(err) != "Update is not a fast forward" {
		t.Errorf("non-fast-forward without force: %v", err)
	}
	moved, _, err := c.Git.UpdateRef(ctx, "acme", "orders", ref, true)
	if err != nil || moved.GetObject().GetSHA() != commit.GetSHA() {
		t.Fatalf("force update: %+v %v", moved, err)
	}
	if h := s.History("acme", "orders", "main"); len(h) != 1 || h[0] != commit.GetSHA() {
		t.Errorf("history after the force update: %v", h)
	}
	gc, _, err := c.Git.GetCommit(ctx, "acme", "orders", commit.GetSHA())
	if err != nil || gc.GetTree().GetSHA() != tree.GetSHA() || gc.GetMessage() != "Initial commit from template go" {
		t.Errorf("get commit: %+v %v", gc, err)
	}
	if v, _ := s.File("acme", "orders", "main", ".github/workflows/ci.yml"); v != "on: push\n" {
		t.Errorf("file on main: %q", v)
	}
	// The new repository is one of the organisation's, with its files, for the collector.
	list, _, err := c.Repositories.ListByOrg(ctx, "acme", nil)
	if err != nil || len(list) != 3 {
		t.Errorf("organisation: %d repositories %v", len(list), err)
	}
	full, _, err := c.Git.GetTree(ctx, "acme", "orders", "main", true)
	if err != nil || len(full.Entries) != 8 { // 4 files and 4 directories
		t.Errorf("recursive tree: %d %v", len(full.Entries), err)
	}

	// go-github recognises GitHub's message as its ErrBranchNotProtected.
	if _, _, err := c.Repositories.GetBranchProtection(ctx, "acme", "orders", "main"); !errors.Is(err, gh.ErrBranchNotProtected) {
		t.Errorf("unprotected: %v", err)
	}
	checks := []*gh.RequiredStatusCheck{{Context: "build"}, {Context: "test"}}
	prot, _, err := c.Repositories.UpdateBranchProtection(ctx, "acme", "orders", "main", &gh.ProtectionRequest{
		RequiredStatusChecks: &gh.RequiredStatusChecks{Strict: true, Checks: &checks},
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{RequireCodeOwnerReviews: true,
			RequiredApprovingReviewCount: 1}})
	if err != nil || !prot.GetRequiredPullRequestReviews().RequireCodeOwnerReviews || prot.GetRequiredStatusChecks().GetChecks() == nil ||
		len(*prot.GetRequiredStatusChecks().Checks) != 2 {
		t.Fatalf("protect: %+v %v", prot, err)
	}
	if p, ok := s.BranchProtection("acme", "orders", "main"); !ok || p.RequiredReviews != 1 || !p.Strict ||
		strings.Join(p.RequiredChecks, ",") != "build,test" {
		t.Errorf("protection: %+v", p)
	}
	read, _, err := c.Repositories.GetBranchProtection(ctx, "acme", "orders", "main")
	if err != nil || read.GetRequiredPullRequestReviews().RequiredApprovingReviewCount != 1 {
		t.Errorf("get protection: %+v %v", read, err)
	}
	// A protected branch is not force-pushed.
	other, _, _ := c.Git.CreateCommit(ctx, "acme", "orders", &gh.Commit{Message: gh.String("other"), Tree: &gh.Tree{SHA: withBase.SHA}}, nil)
	if _, _, err := c.Git.UpdateRef(ctx, "acme", "orders", &gh.Reference{Ref: gh.String("refs/heads/main"),
		Object: &gh.GitObject{SHA: other.SHA}}, true); status(err) != http.StatusUnprocessableEntity {
		t.Errorf("force-push to a protected branch: %v", err)
	}

	cnt := s.Counts()
	if cnt.Writes[githubtest.KindCreateRepo] != 4 || cnt.Writes[githubtest.KindBlob] != 2 || cnt.Writes[githubtest.KindTree] != 3 ||
		cnt.Writes[githubtest.KindGitCommit] != 3 || cnt.Writes[githubtest.KindProtection] != 1 || cnt.Writes[githubtest.KindRef] != 3 {
		t.Errorf("writes: %v", cnt.Writes)
	}

	// A refusal on demand: the next pull request write answers 422.
	s.FailNext(githubtest.KindPulls, http.MethodPost, 1, http.StatusUnprocessableEntity, "Validation Failed")
	_, _, err = c.PullRequests.Create(ctx, "acme", "orders", &gh.NewPullRequest{Title: gh.String("x"), Head: gh.String("a"), Base: gh.String("main")})
	if status(err) != http.StatusUnprocessableEntity || message(err) != "Validation Failed" {
		t.Errorf("FailNext: %v", err)
	}
}
