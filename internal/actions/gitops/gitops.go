package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/actions"
)

// Executor opens and tracks pull requests for actions (with Propose). Each step looks before it writes — the
// branch, the file on it, the pull request — so running an action again never opens a second pull request.
type Executor struct {
	Config actions.Config
	GitHub *github.Client
}

// New returns an executor when some environment of cfg delivers by gitops, nil otherwise. Its GitHub client
// uses cfg.GitHub.Token, and cfg.GitHub.APIURL when set (GitHub Enterprise, or a test server).
func New(cfg actions.Config) (*Executor, error) {
	used := false
	for _, e := range cfg.Environments {
		used = used || e.Delivery == actions.DeliveryGitOps
	}
	if !used {
		return nil, nil
	}
	if cfg.GitHub.Token == "" {
		return nil, errors.New("the gitops delivery path needs a GitHub token in $ATRIUM_GITHUB_TOKEN")
	}
	c, err := NewClient(cfg.GitHub.APIURL, cfg.GitHub.Token, nil)
	if err != nil {
		return nil, err
	}
	return &Executor{Config: cfg, GitHub: c}, nil
}

// NewClient returns a go-github client for the API at apiURL ("" for github.com) with token.
func NewClient(apiURL, token string, hc *http.Client) (*github.Client, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := github.NewClient(hc).WithAuthToken(token)
	if apiURL != "" {
		u, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("github.api_url %q is not an http(s) URL", apiURL)
		}
		c.BaseURL = u
	}
	return c, nil
}

// Branch is the branch an action's change is committed to; one per action, so a retry finds its own work.
func Branch(a actions.Action) string { return "atrium/" + a.ID }

// Execute implements actions.Executor.
func (e *Executor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	env, ok := e.Config.Environments[a.Environment]
	if !ok {
		return actions.Outcome{}, actions.Permanentf("environment %q is no longer configured", a.Environment)
	}
	file, err := Generate(env.GitOps, a)
	if err != nil {
		return actions.Outcome{}, err
	}
	branch := Branch(a)
	res := map[string]string{"branch": branch, "path": file.Path, "repository": env.GitOps.Repo}
	body := fmt.Sprintf("Requested in Atrium by **%s** for service `%s` (team %s) in `%s` / `%s`.\n\n"+
		"Action: `%s` · Kind: `%s` · File: `%s`\n\nApprovals: %s\n\nMerging applies it; closing this pull request fails the action.",
		a.Requester, a.Service, a.Team, a.Environment, a.Region, a.ID, a.Kind, file.Path, approvals(a))
	pr, err := Propose(ctx, e.GitHub, Change{Repo: env.GitOps.Repo, Base: env.GitOps.Base, Branch: branch,
		Title:   fmt.Sprintf("%s %s for %s (%s/%s)", a.Kind, paramName(a), a.Service, a.Environment, a.Region),
		Body:    body,
		Message: fmt.Sprintf("%s %s for %s in %s/%s (Atrium action %s)", a.Kind, paramName(a), a.Service, a.Environment, a.Region, a.ID),
		Files:   []File{file}})
	if err != nil {
		return actions.Outcome{}, Classify(err)
	}
	res["pr_url"] = pr.GetHTMLURL()
	res["pr_number"] = strconv.Itoa(pr.GetNumber())
	switch {
	case pr.GetMerged() || pr.MergedAt != nil:
		if sha := pr.GetMergeCommitSHA(); sha != "" {
			res["merge_commit"] = sha
		}
		return actions.Outcome{Done: true, Result: res}, nil
	case pr.GetState() == "closed":
		return actions.Outcome{Result: res}, actions.Permanentf("pull request #%d was closed without being merged", pr.GetNumber())
	}
	return actions.Outcome{Result: res, Note: fmt.Sprintf("pull request #%d open: %s; waiting for it to be merged", pr.GetNumber(), pr.GetHTMLURL())}, nil
}

// Change is a pull request to propose: files committed to Branch of Repo, and a pull request from Branch to Base.
type Change struct {
	Repo    string // owner/name
	Base    string // default main
	Branch  string
	Title   string
	Body    string // markdown
	Message string // the commit message of each file written
	Files   []File
}

// Propose commits c's files to c.Branch (made from c.Base when it does not exist) and opens the pull request — or
// returns the pull request opened from c.Branch before, whatever its state. Each part looks before it writes (the
// pull request, the branch, each file's content on it), so proposing the same change again — after a crash, on a
// retry — writes nothing twice and never opens a second pull request. Errors are GitHub's; Classify says which
// retrying cannot fix.
func Propose(ctx context.Context, gh *github.Client, c Change) (*github.PullRequest, error) {
	owner, repo, ok := strings.Cut(c.Repo, "/")
	if !ok || owner == "" || repo == "" {
		return nil, actions.Permanentf("repository %q is not owner/name", c.Repo)
	}
	if c.Base == "" {
		c.Base = "main"
	}
	for _, f := range c.Files {
		if f.Path == "" || strings.HasPrefix(f.Path, "/") || strings.Contains("/"+f.Path+"/", "/../") {
			return nil, actions.Permanentf("file path %q is not a path inside the repository", f.Path)
		}
	}
	e := &Executor{GitHub: gh}
	pr, err := e.findPR(ctx, owner, repo, c.Branch, c.Base)
	if err != nil || pr != nil {
		return pr, err
	}
	if err := e.ensureBranch(ctx, owner, repo, c.Branch, c.Base); err != nil {
		return nil, err
	}
	for _, f := range c.Files {
		if err := e.ensureFile(ctx, owner, repo, c.Branch, f, c.Message); err != nil {
			return nil, err
		}
	}
	return e.openPR(ctx, owner, repo, c)
}

func (e *Executor) findPR(ctx context.Context, owner, repo, branch, base string) (*github.PullRequest, error) {
	prs, _, err := e.GitHub.PullRequests.List(ctx, owner, repo, &github.PullRequestListOptions{State: "all",
		Head: owner + ":" + branch, Base: base, ListOptions: github.ListOptions{PerPage: 10}})
	if err != nil {
		return nil, fmt.Errorf("list pull requests of %s/%s: %w", owner, repo, err)
	}
	for _, pr := range prs {
		if pr.GetHead().GetRef() == branch {
			// The list may be abridged; the single pull request carries merged and merge_commit_sha.
			full, _, err := e.GitHub.PullRequests.Get(ctx, owner, repo, pr.GetNumber())
			if err != nil {
				return nil, fmt.Errorf("read pull request #%d: %w", pr.GetNumber(), err)
			}
			return full, nil
		}
	}
	return nil, nil
}

func (e *Executor) ensureBranch(ctx context.Context, owner, repo, branch, base string) error {
	_, resp, err := e.GitHub.Git.GetRef(ctx, owner, repo, "heads/"+branch)
	if err == nil {
		return nil
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("look up branch %s: %w", branch, err)
	}
	baseRef, _, err := e.GitHub.Git.GetRef(ctx, owner, repo, "heads/"+base)
	if err != nil {
		return fmt.Errorf("look up base branch %s of %s/%s: %w", base, owner, repo, err)
	}
	_, resp, err = e.GitHub.Git.CreateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/" + branch),
		Object: &github.GitObject{SHA: baseRef.Object.SHA}})
	if err != nil && (resp == nil || resp.StatusCode != http.StatusUnprocessableEntity) {
		return fmt.Errorf("create branch %s: %w", branch, err)
	}
	return nil // 422: it exists already (a concurrent or earlier attempt made it)
}

func (e *Executor) ensureFile(ctx context.Context, owner, repo, branch string, f File, message string) error {
	cur, _, resp, err := e.GitHub.Repositories.GetContents(ctx, owner, repo, f.Path, &github.RepositoryContentGetOptions{Ref: branch})
	opts := &github.RepositoryContentFileOptions{Content: f.Content, Branch: github.String(branch),
		Message: github.String(message)}
	switch {
	case err == nil && cur != nil:
		have, derr := cur.GetContent()
		if derr == nil && bytes.Equal([]byte(have), f.Content) {
			return nil
		}
		opts.SHA = cur.SHA
		if _, _, err := e.GitHub.Repositories.UpdateFile(ctx, owner, repo, f.Path, opts); err != nil {
			return fmt.Errorf("update %s on %s: %w", f.Path, branch, err)
		}
		return nil
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		if _, _, err := e.GitHub.Repositories.CreateFile(ctx, owner, repo, f.Path, opts); err != nil {
			return fmt.Errorf("create %s on %s: %w", f.Path, branch, err)
		}
		return nil
	default:
		return fmt.Errorf("read %s on %s: %w", f.Path, branch, err)
	}
}

func (e *Executor) openPR(ctx context.Context, owner, repo string, c Change) (*github.PullRequest, error) {
	pr, resp, err := e.GitHub.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{
		Title: github.String(c.Title), Head: github.String(c.Branch), Base: github.String(c.Base), Body: github.String(c.Body)})
	if err == nil {
		return pr, nil
	}
	if resp != nil && resp.StatusCode == http.StatusUnprocessableEntity {
		// "A pull request already exists": another attempt opened it between our look and now.
		if pr, ferr := e.findPR(ctx, owner, repo, c.Branch, c.Base); ferr == nil && pr != nil {
			return pr, nil
		}
	}
	return nil, fmt.Errorf("open pull request for %s: %w", c.Branch, err)
}

func approvals(a actions.Action) string {
	if len(a.Approvals) == 0 {
		return "none needed"
	}
	var out []string
	for _, ap := range a.Approvals {
		out = append(out, ap.Decision+" by "+ap.Approver)
	}
	return strings.Join(out, ", ")
}

func paramName(a actions.Action) string {
	var p struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(a.Params, &p)
	return p.Name
}

// Classify marks GitHub errors that retrying cannot fix — bad credentials, no access, no such repository or base
// branch — as permanent; rate limits, server errors and network errors are retried.
func Classify(err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity:
			return actions.Permanent(err)
		case http.StatusForbidden:
			var rl *github.RateLimitError
			var arl *github.AbuseRateLimitError
			if errors.As(err, &rl) || errors.As(err, &arl) {
				return err
			}
			return actions.Permanent(err)
		}
	}
	return err
}
