package githubtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

func client(t *testing.T, s *githubtest.Server, token string) *gh.Client {
	t.Helper()
	c := gh.NewClient(nil).WithAuthToken(token)
	u, err := url.Parse(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

func status(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func message(err error) string {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		return ""
	}
	msg := er.Message
	for _, e := range er.Errors {
		msg += " | " + e.Field + " " + e.Code + " " + e.Message
	}
	return msg
}

func infraRepo(t *testing.T) (*githubtest.Server, *gh.Client) {
	s := githubtest.New(t)
	s.AddOrg("acme")
	s.AddRepo("acme", githubtest.Repo{Name: "infra", Files: map[string]string{"README.md": "infra\n", "envs/prod/main.tf": "# prod\n"}})
	return s, client(t, s, s.Token)
}

func TestBranchesAndContentsAreGitObjects(t *testing.T) {
	ctx := context.Background()
	s, c := infraRepo(t)

	main, _, err := c.Git.GetRef(ctx, "acme", "infra", "heads/main")
	if err != nil || main.GetObject().GetSHA() != s.Head("acme", "infra") || main.GetRef() != "refs/heads/main" {
		t.Fatalf("main: %+v %v", main, err)
	}
	if _, _, err := c.Git.GetRef(ctx, "acme", "infra", "heads/feature/x"); status(err) != http.StatusNotFound {
		t.Errorf("missing branch: %v", err)
	}
	ref, resp, err := c.Git.CreateRef(ctx, "acme", "infra", &gh.Reference{Ref: gh.String("refs/heads/feature/x"),
		Object: &gh.GitObject{SHA: main.Object.SHA}})
	if err != nil || resp.StatusCode != http.StatusCreated || ref.GetObject().GetSHA() != main.GetObject().GetSHA() {
		t.Fatalf("create branch: %+v %v", ref, err)
	}
	_, _, err = c.Git.CreateRef(ctx, "acme", "infra", &gh.Reference{Ref: gh.String("refs/heads/feature/x"), Object: &gh.GitObject{SHA: main.Object.SHA}})
	if status(err) != http.StatusUnprocessableEntity || message(err) != "Reference already exists" {
		t.Errorf("existing branch: %v", err)
	}
	_, _, err = c.Git.CreateRef(ctx, "acme", "infra", &gh.Reference{Ref: gh.String("refs/heads/y"), Object: &gh.GitObject{SHA: gh.String(strings.Repeat("a", 40))}})
	if status(err) != http.StatusUnprocessableEntity || message(err) != "Object does not exist" {
		t.Errorf("unknown commit: %v", err)
	}

	// A new file on the branch: 201, and the branch moves to a commit whose parent is main.
	opts := &gh.RepositoryContentFileOptions{Message: gh.String("add queue"), Content: []byte("resource \"x\" \"y\" {}\n"),
		Branch: gh.String("feature/x")}
	res, resp, err := c.Repositories.CreateFile(ctx, "acme", "infra", "envs/prod/queue.tf", opts)
	if err != nil || resp.StatusCode != http.StatusCreated || res.Content.GetSHA() != githubtest.BlobSHA(opts.Content) {
		t.Fatalf("create file: %+v %v", res, err)
	}
	head := s.Branch("acme", "infra", "feature/x")
	if res.GetSHA() != head || head == main.GetObject().GetSHA() || s.Head("acme", "infra") != main.GetObject().GetSHA() {
		t.Errorf("branch head %s, commit %s, main %s", head, res.GetSHA(), s.Head("acme", "infra"))
	}
	commit, _, err := c.Repositories.GetCommit(ctx, "acme", "infra", "feature/x", nil)
	if err != nil || commit.GetSHA() != head || len(commit.Parents) != 1 || commit.Parents[0].GetSHA() != main.GetObject().GetSHA() ||
		commit.GetCommit().GetMessage() != "add queue" {
		t.Fatalf("branch commit: %+v %v", commit, err)
	}
	tree, _, err := c.Git.GetTree(ctx, "acme", "infra", commit.GetCommit().GetTree().GetSHA(), true)
	var blobSHA string
	for _, e := range tree.Entries {
		if e.GetPath() == "envs/prod/queue.tf" {
			blobSHA = e.GetSHA()
		}
	}
	if err != nil || blobSHA != res.Content.GetSHA() {
		t.Fatalf("tree of the branch: %+v %v", tree, err)
	}
	raw, _, err := c.Git.GetBlobRaw(ctx, "acme", "infra", blobSHA)
	if err != nil || string(raw) != string(opts.Content) {
		t.Errorf("blob: %q %v", raw, err)
	}
	got, _, _, err := c.Repositories.GetContents(ctx, "acme", "infra", "envs/prod/queue.tf", &gh.RepositoryContentGetOptions{Ref: "feature/x"})
	if text, derr := got.GetContent(); err != nil || derr != nil || text != string(opts.Content) || got.GetType() != "file" {
		t.Errorf("contents on the branch: %q %v %v", text, err, derr)
	}
	if _, _, resp, err := c.Repositories.GetContents(ctx, "acme", "infra", "envs/prod/queue.tf", nil); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the file leaked onto main: %v", err)
	}
	_, dir, _, err := c.Repositories.GetContents(ctx, "acme", "infra", "envs/prod", &gh.RepositoryContentGetOptions{Ref: "feature/x"})
	if err != nil || len(dir) != 2 || dir[0].GetName() != "main.tf" || dir[1].GetName() != "queue.tf" {
		t.Errorf("directory listing: %+v %v", dir, err)
	}

	// Updates need the file's blob SHA, as on GitHub.
	opts.Content = []byte("resource \"x\" \"z\" {}\n")
	if _, _, err := c.Repositories.UpdateFile(ctx, "acme", "infra", "envs/prod/queue.tf", opts); status(err) != http.StatusUnprocessableEntity ||
		!strings.Contains(message(err), `"sha" wasn't supplied`) {
		t.Errorf("update without sha: %v", err)
	}
	opts.SHA = gh.String(githubtest.BlobSHA([]byte("something else")))
	if _, _, err := c.Repositories.UpdateFile(ctx, "acme", "infra", "envs/prod/queue.tf", opts); status(err) != http.StatusConflict ||
		!strings.Contains(message(err), "does not match") {
		t.Errorf("update with a stale sha: %v", err)
	}
	opts.SHA = got.SHA
	if _, resp, err := c.Repositories.UpdateFile(ctx, "acme", "infra", "envs/prod/queue.tf", opts); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("update: %v", err)
	}
	if v, _ := s.File("acme", "infra", "feature/x", "envs/prod/queue.tf"); v != string(opts.Content) {
		t.Errorf("after update: %q", v)
	}
	opts.SHA, opts.Branch = nil, gh.String("nope")
	if _, _, err := c.Repositories.CreateFile(ctx, "acme", "infra", "new.tf", opts); status(err) != http.StatusNotFound ||
		message(err) != "Branch nope not found" {
		t.Errorf("unknown branch: %v", err)
	}

	// Pushing to a branch moves pushed_at, as GitHub does; the default branch's head stays.
	repo, _, err := c.Repositories.Get(ctx, "acme", "infra")
	if err != nil || !repo.GetPushedAt().After(repo.GetCreatedAt().Time) {
		t.Errorf("pushed_at: %+v %v", repo, err)
	}

	cnt := s.Counts()
	if cnt.Writes[githubtest.KindRef] != 3 || cnt.Writes[githubtest.KindContents] != 5 || cnt.ByKind[githubtest.KindContents] != 8 {
		t.Errorf("counts: %+v", cnt)
	}
	if _, _, err := client(t, s, "ghp_wrong").Git.GetRef(ctx, "acme", "infra", "heads/main"); status(err) != http.StatusUnauthorized {
		t.Errorf("bad token: %v", err)
	}
}

func TestPullRequests(t *testing.T) {
	ctx := context.Background()
	s, c := infraRepo(t)
	mainSHA := s.Head("acme", "infra")
	for _, b := range []string{"a", "b"} {
		if _, _, err := c.Git.CreateRef(ctx, "acme", "infra", &gh.Reference{Ref: gh.String("refs/heads/" + b), Object: &gh.GitObject{SHA: &mainSHA}}); err != nil {
			t.Fatal(err)
		}
	}
	newPR := func(head string) (*gh.PullRequest, error) {
		pr, _, err := c.PullRequests.Create(ctx, "acme", "infra", &gh.NewPullRequest{Title: gh.String("Add " + head),
			Head: gh.String(head), Base: gh.String("main"), Body: gh.String("body of " + head)})
		return pr, err
	}
	if _, err := newPR("a"); status(err) != http.StatusUnprocessableEntity || !strings.Contains(message(err), "No commits between main and a") {
		t.Errorf("PR without commits: %v", err)
	}
	if _, err := newPR("nope"); status(err) != http.StatusUnprocessableEntity || !strings.Contains(message(err), "head invalid") {
		t.Errorf("PR from a missing branch: %v", err)
	}
	for _, b := range []string{"a", "b"} {
		if _, _, err := c.Repositories.CreateFile(ctx, "acme", "infra", b+".tf", &gh.RepositoryContentFileOptions{
			Message: gh.String("add " + b), Content: []byte(b + "\n"), Branch: gh.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	pr, err := newPR("a")
	if err != nil || pr.GetNumber() != 1 || pr.GetState() != "open" || pr.GetMerged() || pr.GetHead().GetRef() != "a" ||
		pr.GetHead().GetSHA() != s.Branch("acme", "infra", "a") || pr.GetBase().GetSHA() != mainSHA || pr.GetBody() != "body of a" ||
		!strings.HasSuffix(pr.GetHTMLURL(), "/acme/infra/pull/1") || pr.GetCommits() != 1 || pr.GetChangedFiles() != 1 ||
		pr.GetAdditions() != 1 || !pr.GetMergeable() {
		t.Fatalf("new PR: %+v %v", pr, err)
	}
	if _, err := newPR("acme:a"); status(err) != http.StatusUnprocessableEntity ||
		!strings.Contains(message(err), "A pull request already exists for acme:a.") {
		t.Errorf("second PR for a branch: %v", err)
	}
	if _, err := newPR("b"); err != nil {
		t.Fatal(err)
	}

	list := func(o gh.PullRequestListOptions) []int {
		t.Helper()
		prs, _, err := c.PullRequests.List(ctx, "acme", "infra", &o)
		if err != nil {
			t.Fatal(err)
		}
		var ns []int
		for _, p := range prs {
			ns = append(ns, p.GetNumber())
		}
		return ns
	}
	if ns := list(gh.PullRequestListOptions{}); len(ns) != 2 || ns[0] != 2 {
		t.Errorf("open PRs, newest first: %v", ns)
	}
	if ns := list(gh.PullRequestListOptions{Head: "acme:b", State: "all", Base: "main"}); len(ns) != 1 || ns[0] != 2 {
		t.Errorf("by head: %v", ns)
	}
	if ns := list(gh.PullRequestListOptions{Head: "acme:b", Base: "other"}); len(ns) != 0 {
		t.Errorf("by base: %v", ns)
	}
	prs, resp, err := c.PullRequests.List(ctx, "acme", "infra", &gh.PullRequestListOptions{ListOptions: gh.ListOptions{PerPage: 1}})
	if err != nil || len(prs) != 1 || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Errorf("pagination: %d PRs, next %d last %d, %v", len(prs), resp.NextPage, resp.LastPage, err)
	}

	// main moves on while a is open; merging keeps both changes.
	if _, _, err := c.Repositories.CreateFile(ctx, "acme", "infra", "c.tf", &gh.RepositoryContentFileOptions{
		Message: gh.String("add c"), Content: []byte("c\n")}); err != nil {
		t.Fatal(err)
	}
	before := s.Head("acme", "infra")
	merge := s.MergePull("acme", "infra", 1)
	full, _, err := c.PullRequests.Get(ctx, "acme", "infra", 1)
	if err != nil || !full.GetMerged() || full.GetState() != "closed" || full.GetMergeCommitSHA() != merge || full.MergedAt == nil ||
		s.Head("acme", "infra") != merge {
		t.Fatalf("merged PR: %+v %v", full, err)
	}
	mc, _, err := c.Repositories.GetCommit(ctx, "acme", "infra", merge, nil)
	if err != nil || len(mc.Parents) != 2 || mc.Parents[0].GetSHA() != before {
		t.Errorf("merge commit: %+v %v", mc, err)
	}
	for _, f := range []string{"a.tf", "c.tf", "README.md"} {
		if _, ok := s.File("acme", "infra", "main", f); !ok {
			t.Errorf("%s missing on main after the merge", f)
		}
	}
	if _, ok := s.File("acme", "infra", "main", "b.tf"); ok {
		t.Error("b.tf on main before its PR merged")
	}
	s.ClosePull("acme", "infra", 2)
	if ns := list(gh.PullRequestListOptions{State: "closed"}); len(ns) != 2 {
		t.Errorf("closed PRs: %v", ns)
	}
	if p := s.Pulls("acme", "infra")[1]; p.State != "closed" || p.Merged || p.Body != "body of b" {
		t.Errorf("closed PR: %+v", p)
	}
	if w := s.Counts().Writes[githubtest.KindPulls]; w != 5 {
		t.Errorf("%d pull request writes, want 5", w)
	}
}

func TestContentsAnswerConditionalRequests(t *testing.T) {
	s, _ := infraRepo(t)
	get := func(etag string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/repos/acme/infra/contents/README.md?ref=main", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	first := get("")
	if first.StatusCode != http.StatusOK || first.Header.Get("ETag") == "" {
		t.Fatalf("first: %d %v", first.StatusCode, first.Header)
	}
	s.ResetCounts()
	if again := get(first.Header.Get("ETag")); again.StatusCode != http.StatusNotModified || s.Counts().Points != 0 {
		t.Errorf("conditional: %d, %+v", again.StatusCode, s.Counts())
	}
}
