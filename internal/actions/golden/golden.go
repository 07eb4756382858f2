// Package golden is the delivery path of the golden path's run (actions of kind service_create): the steps that
// turn a reviewed plan into a service — its GitHub repository with one initial commit and a protected default
// branch, its catalog entry, the infrastructure pull request, and the hello-world running in the dev clusters,
// deployed by their cluster agents. Each step is idempotent and finds its own earlier work (the repository by a
// marker or its recorded id, the commit by its tree, the pull request by its branch, the agent's work by its
// idempotency key), so a run killed at any point resumes at the step it was in and creates nothing twice.
//
// Preview is the same run for a portal without GitHub or clusters (local mode): the catalog registration is real,
// the other steps say what a team portal would have done.
package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scaffold"
)

// Catalog is where register_catalog writes; the store's DB implements it.
type Catalog interface {
	GetService(ctx context.Context, name string) (catalog.Service, error)
	PutServices(ctx context.Context, svcs []catalog.Service) (int, error)
}

// Clusters queues work for the agents of clusters and reads their reports (the portal's agent queue).
type Clusters interface {
	// Deploy queues w for the agent of cluster, once per w.Key: queueing the same key again returns the work queued
	// before. It returns the work's id.
	Deploy(ctx context.Context, cluster string, w Work) (string, error)
	// Report is what the agent reported on work id so far.
	Report(ctx context.Context, id string) (Report, error)
}

// Work is what a dev cluster's agent does for the hello-world: apply the manifests with server-side apply, then
// wait for the Deployments to be available.
type Work struct {
	Key       string // the idempotency key: action, step and cluster
	Ref       string // who waits for it: "action/ID", so the agent's report wakes the action
	Namespace string
	Manifests []json.RawMessage
	Wait      []string // names of Deployments in Namespace
}

// Report is an agent's report on work.
type Report struct {
	Finished bool   // the agent reported (or the work was given up)
	Failed   bool   // an object was refused or a rollout did not become available
	Message  string // why it failed: the API server's message with the fields at fault
	URL      string // the Service's address inside the cluster, when the agent reported one
}

// Executor runs service_create actions for real.
type Executor struct {
	GitHub   *github.Client
	Catalog  Catalog
	Clusters Clusters // nil: a plan with dev clusters fails at deploy_dev, saying no agent queue is configured
	// Author and AuthorEmail sign the initial commit; default "Atrium" and atrium@users.noreply.github.com.
	Author, AuthorEmail string
	// Poll is how often wait_dev_available looks at the agents' reports when no report wakes it; default 5 s.
	Poll time.Duration
}

// LoadPlan reads the plan stored with action a.
func LoadPlan(a actions.Action) (*Plan, error) {
	if a.Document() == "" {
		return nil, fmt.Errorf("action %s has no plan stored with it", a.ID)
	}
	var p Plan
	if err := json.Unmarshal([]byte(a.Document()), &p); err != nil {
		return nil, fmt.Errorf("the plan of action %s does not parse: %w", a.ID, err)
	}
	if err := checkPlan(&p); err != nil {
		return nil, fmt.Errorf("the plan of action %s: %w", a.ID, err)
	}
	return &p, nil
}

// Execute implements actions.Executor.
func (e *Executor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	p, err := LoadPlan(a)
	if err != nil {
		return actions.Outcome{}, actions.Permanent(err)
	}
	if e.GitHub == nil {
		return actions.Outcome{}, actions.Permanentf("this portal has no GitHub configured for the golden path")
	}
	runs := map[string]func(context.Context, *actions.StepRun) (actions.Output, error){
		StepCreateRepository: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) {
			return e.createRepository(ctx, r, p)
		},
		StepPushInitialCommit: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) {
			return e.pushInitialCommit(ctx, r, p)
		},
		StepProtectBranch: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) { return e.protectBranch(ctx, p) },
		StepRegisterCatalog: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) {
			return register(ctx, e.Catalog, r, p)
		},
		StepOpenInfraPR:      func(ctx context.Context, r *actions.StepRun) (actions.Output, error) { return e.openInfraPR(ctx, p) },
		StepDeployDev:        func(ctx context.Context, r *actions.StepRun) (actions.Output, error) { return e.deployDev(ctx, r, p) },
		StepWaitDevAvailable: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) { return e.waitDev(ctx, r, p) },
	}
	steps, err := stepsOf(p, runs)
	if err != nil {
		return actions.Outcome{}, err
	}
	return actions.RunSteps(ctx, a, steps)
}

// stepsOf is the plan's steps with their runs.
func stepsOf(p *Plan, runs map[string]func(context.Context, *actions.StepRun) (actions.Output, error)) ([]actions.Step, error) {
	var out []actions.Step
	for _, s := range p.Steps {
		run := runs[s.ID]
		if run == nil {
			return nil, actions.Permanentf("the plan has a step %q this portal does not know how to run", s.ID)
		}
		out = append(out, actions.Step{ID: s.ID, Title: s.Title, Run: run})
	}
	return out, nil
}

// marker is written into the description of the repository an action creates, until the step has recorded the
// repository's id: a repository of that name carrying it was created by this action (a crash came between the
// creation and the record), any other is someone else's.
func marker(a actions.Action) string { return "[atrium " + a.ID + "]" }

// status is the HTTP status of a GitHub error, 0 for none.
func status(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func (e *Executor) createRepository(ctx context.Context, r *actions.StepRun, p *Plan) (actions.Output, error) {
	rp := p.Repository
	full := rp.Owner + "/" + rp.Name
	mark := marker(r.Action)
	ours := func(repo *github.Repository) bool {
		return strconv.FormatInt(repo.GetID(), 10) == r.Record.Output["repository_id"] ||
			strings.Contains(repo.GetDescription(), mark)
	}
	taken := func() error {
		return actions.Permanentf("name taken on GitHub: the repository %s exists and was not created by this run; "+
			"request the service again under another name", full)
	}
	repo, _, err := e.GitHub.Repositories.Get(ctx, rp.Owner, rp.Name)
	switch {
	case err == nil && !ours(repo):
		return actions.Output{}, taken()
	case err == nil:
	case status(err) != http.StatusNotFound:
		return actions.Output{}, gitops.Classify(fmt.Errorf("look up %s: %w", full, err))
	default:
		desc := strings.TrimSpace(rp.Description + " " + mark)
		in := &github.Repository{Name: github.String(rp.Name), Description: github.String(desc),
			AutoInit: github.Bool(true), HasWiki: github.Bool(false)}
		switch rp.Visibility {
		case "public":
			in.Private = github.Bool(false)
		case "internal":
			in.Visibility = github.String("internal")
		default:
			in.Private, in.Visibility = github.Bool(true), github.String("private")
		}
		repo, _, err = e.GitHub.Repositories.Create(ctx, rp.Owner, in)
		if status(err) == http.StatusUnprocessableEntity {
			// Taken between our look and the creation: ours only if it carries our marker (an earlier attempt whose
			// answer was lost).
			if repo, _, err = e.GitHub.Repositories.Get(ctx, rp.Owner, rp.Name); err == nil && !ours(repo) {
				return actions.Output{}, taken()
			}
		}
		if err != nil {
			return actions.Output{}, gitops.Classify(fmt.Errorf("create %s: %w", full, err))
		}
	}
	id := strconv.FormatInt(repo.GetID(), 10)
	left := "repository " + repo.GetHTMLURL()
	if r.Record.Output["repository_id"] != id {
		if err := r.Save(ctx, map[string]string{"repository_id": id}, left); err != nil {
			return actions.Output{}, err
		}
	}
	if repo.GetDescription() != rp.Description {
		// The marker has served: the recorded id says the repository is ours from now on.
		if _, _, err := e.GitHub.Repositories.Edit(ctx, rp.Owner, rp.Name, &github.Repository{Description: github.String(rp.Description)}); err != nil {
			return actions.Output{}, gitops.Classify(fmt.Errorf("set the description of %s: %w", full, err))
		}
	}
	return actions.Output{Values: map[string]string{"repository": full, "repository_url": repo.GetHTMLURL(),
		"repository_id": id}, LeftBehind: left}, nil
}

func (e *Executor) author() (string, string) {
	name, email := e.Author, e.AuthorEmail
	if name == "" {
		name = "Atrium"
	}
	if email == "" {
		email = "atrium@users.noreply.github.com"
	}
	return name, email
}

// pushInitialCommit writes every file of the plan as one root commit through the git data API and points the
// default branch at it. GitHub's git data API refuses an empty repository, so the repository was created with
// auto_init; its placeholder commit is replaced (the branch then holds exactly one commit: this one). A branch whose
// head has the plan's tree already is left as it is; one holding commits that are neither the placeholder nor this
// run's is not touched.
func (e *Executor) pushInitialCommit(ctx context.Context, r *actions.StepRun, p *Plan) (actions.Output, error) {
	rp := p.Repository
	full := rp.Owner + "/" + rp.Name
	want, err := treeSHA(p.Files)
	if err != nil {
		return actions.Output{}, actions.Permanent(err)
	}
	ref, _, err := e.GitHub.Git.GetRef(ctx, rp.Owner, rp.Name, "heads/"+rp.DefaultBranch)
	if err != nil {
		return actions.Output{}, gitops.Classify(fmt.Errorf("read branch %s of %s: %w", rp.DefaultBranch, full, err))
	}
	head, _, err := e.GitHub.Git.GetCommit(ctx, rp.Owner, rp.Name, ref.GetObject().GetSHA())
	if err != nil {
		return actions.Output{}, gitops.Classify(fmt.Errorf("read the head of %s: %w", full, err))
	}
	done := func(sha string) actions.Output {
		return actions.Output{Values: map[string]string{"commit_sha": sha, "branch": rp.DefaultBranch,
			"files": strconv.Itoa(len(p.Files))}}
	}
	if head.GetTree().GetSHA() == want {
		return done(head.GetSHA()), nil
	}
	placeholder := len(head.Parents) == 0 && strings.TrimSpace(head.GetMessage()) == "Initial commit"
	if !placeholder && head.GetSHA() != r.Record.Output["commit_sha"] {
		return actions.Output{}, actions.Permanentf("branch %s of %s holds commit %s, which this run did not make: "+
			"the initial commit is not pushed over it", rp.DefaultBranch, full, head.GetSHA())
	}
	entries := make([]*github.TreeEntry, 0, len(p.Files))
	for _, f := range p.Files {
		b, _, err := e.GitHub.Git.CreateBlob(ctx, rp.Owner, rp.Name, &github.Blob{Content: github.String(f.Content),
			Encoding: github.String("utf-8")})
		if err != nil {
			return actions.Output{}, gitops.Classify(fmt.Errorf("write %s to %s: %w", f.Path, full, err))
		}
		entries = append(entries, &github.TreeEntry{Path: github.String(f.Path), Mode: github.String("100644"),
			Type: github.String("blob"), SHA: b.SHA})
	}
	tree, _, err := e.GitHub.Git.CreateTree(ctx, rp.Owner, rp.Name, "", entries)
	if err != nil {
		return actions.Output{}, gitops.Classify(fmt.Errorf("write the tree of %s: %w", full, err))
	}
	name, email := e.author()
	// The author's date is the action's: the same commit object (and SHA) however often the step runs.
	at := r.Action.CreatedAt
	commit, _, err := e.GitHub.Git.CreateCommit(ctx, rp.Owner, rp.Name, &github.Commit{
		Message: github.String(fmt.Sprintf("Initial commit from template %s\n\nCreated by Atrium (action %s) for %s.",
			templateRef(p), r.Action.ID, r.Action.Requester)),
		Tree:   &github.Tree{SHA: tree.SHA},
		Author: &github.CommitAuthor{Name: github.String(name), Email: github.String(email), Date: &github.Timestamp{Time: at}},
	}, nil)
	if err != nil {
		return actions.Output{}, gitops.Classify(fmt.Errorf("write the initial commit of %s: %w", full, err))
	}
	if err := r.Save(ctx, map[string]string{"commit_sha": commit.GetSHA()}, ""); err != nil {
		return actions.Output{}, err
	}
	if _, _, err := e.GitHub.Git.UpdateRef(ctx, rp.Owner, rp.Name, &github.Reference{Ref: github.String("refs/heads/" + rp.DefaultBranch),
		Object: &github.GitObject{SHA: commit.SHA}}, true); err != nil {
		return actions.Output{}, gitops.Classify(fmt.Errorf("point %s of %s at the initial commit: %w", rp.DefaultBranch, full, err))
	}
	return done(commit.GetSHA()), nil
}

func (e *Executor) protectBranch(ctx context.Context, p *Plan) (actions.Output, error) {
	rp, pr := p.Repository, p.Repository.Protection
	if pr == nil {
		return actions.Output{Skipped: true, Values: map[string]string{"protection": "none asked for"}}, nil
	}
	branch := pr.Branch
	if branch == "" {
		branch = rp.DefaultBranch
	}
	req := &github.ProtectionRequest{
		RequiredPullRequestReviews: &github.PullRequestReviewsEnforcementRequest{
			RequiredApprovingReviewCount: pr.RequiredReviews, RequireCodeOwnerReviews: pr.RequireCodeOwnerReviews,
			DismissStaleReviews: pr.DismissStaleReviews},
	}
	if len(pr.RequiredChecks) > 0 {
		checks := make([]*github.RequiredStatusCheck, len(pr.RequiredChecks))
		for i, c := range pr.RequiredChecks {
			checks[i] = &github.RequiredStatusCheck{Context: c}
		}
		req.RequiredStatusChecks = &github.RequiredStatusChecks{Strict: pr.Strict, Checks: &checks}
	}
	// Setting the same protection again changes nothing: the step needs no look first.
	if _, _, err := e.GitHub.Repositories.UpdateBranchProtection(ctx, rp.Owner, rp.Name, branch, req); err != nil {
		return actions.Output{}, gitops.Classify(fmt.Errorf("protect %s of %s/%s: %w", branch, rp.Owner, rp.Name, err))
	}
	return actions.Output{Values: map[string]string{"protected_branch": branch,
		"required_checks": strings.Join(pr.RequiredChecks, ", "), "required_reviews": strconv.Itoa(pr.RequiredReviews)}}, nil
}

// register puts the plan's catalog entry in the catalog under the template's source (catalog.TemplateSource),
// marked with the template and the action. A service of that name that this action registered is registered again
// (the same entry); any other stops the run: the name was taken after the request was checked.
func register(ctx context.Context, cat Catalog, r *actions.StepRun, p *Plan) (actions.Output, error) {
	if cat == nil {
		return actions.Output{}, actions.Permanentf("this portal has no catalog to register the service in")
	}
	e := p.CatalogEntry
	cur, err := cat.GetService(ctx, e.Name)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
	case err != nil:
		return actions.Output{}, fmt.Errorf("look up %s in the catalog: %w", e.Name, err)
	case cur.CreatedByAction != r.Action.ID:
		return actions.Output{}, actions.Permanentf("name taken in the catalog: service %q (source %s) was added after "+
			"this request was checked; request the service again under another name", e.Name, cur.Source)
	case cur.Source != catalog.TemplateSource(p.Template.Name):
		// A collector has read the new repository already and holds the entry: registering is done.
		return registered(e.Name, cur.Source), nil
	}
	e.Source = catalog.TemplateSource(p.Template.Name)
	e.Template, e.CreatedByAction = templateRef(p), r.Action.ID
	if u := r.Output(StepCreateRepository)["repository_url"]; u != "" {
		// The address GitHub gave the repository: what its collector will find, and adopt the entry by.
		e.Repository.URL = u
	}
	if e.Lifecycle == "" {
		e.Lifecycle = "experimental"
	}
	if e.Type == "" {
		e.Type = "service"
	}
	if _, err := cat.PutServices(ctx, []catalog.Service{e}); err != nil {
		return actions.Output{}, fmt.Errorf("register %s in the catalog: %w", e.Name, err)
	}
	return registered(e.Name, e.Source), nil
}

func registered(name, source string) actions.Output {
	return actions.Output{Values: map[string]string{"catalog_service": name, "catalog_source": source},
		LeftBehind: "catalog entry " + name}
}

func (e *Executor) openInfraPR(ctx context.Context, p *Plan) (actions.Output, error) {
	ip := p.InfraPullRequest
	if ip.Repository == "" || len(ip.Files) == 0 {
		return actions.Output{Skipped: true, Values: map[string]string{"infra_pull_request": "none in the plan"}}, nil
	}
	files := make([]gitops.File, len(ip.Files))
	for i, f := range ip.Files {
		files[i] = gitops.File{Path: f.Path, Content: []byte(f.Content)}
	}
	pr, err := gitops.Propose(ctx, e.GitHub, gitops.Change{Repo: ip.Repository, Base: ip.Base, Branch: ip.Branch,
		Title: ip.Title, Body: ip.Body, Message: "New service " + p.Service + ": infrastructure (Atrium)", Files: files})
	if err != nil {
		return actions.Output{}, gitops.Classify(err)
	}
	state := pr.GetState()
	if pr.GetMerged() {
		state = "merged"
	}
	return actions.Output{Values: map[string]string{"pr_url": pr.GetHTMLURL(), "pr_number": strconv.Itoa(pr.GetNumber()),
		"infra_branch": ip.Branch}, LeftBehind: fmt.Sprintf("pull request %s (%s)", pr.GetHTMLURL(), state)}, nil
}

// workKey names a dev cluster's work of action a: queueing it again finds the same work.
func workKey(a actions.Action, cluster string) string {
	return a.ID + "/" + StepDeployDev + "/" + cluster
}

func (e *Executor) deployDev(ctx context.Context, r *actions.StepRun, p *Plan) (actions.Output, error) {
	if len(p.Deploy) == 0 {
		return actions.Output{Skipped: true, Values: map[string]string{"deploy": "no dev cluster in the plan"}}, nil
	}
	if e.Clusters == nil {
		return actions.Output{}, actions.Permanentf("this portal has no cluster agents configured: nothing can deploy to %s",
			clusterNames(p))
	}
	values := map[string]string{}
	for _, d := range p.Deploy {
		objs, err := agentObjects(d)
		if err != nil {
			return actions.Output{}, actions.Permanent(err)
		}
		values["namespace:"+d.Cluster] = d.Namespace
		id, err := e.Clusters.Deploy(ctx, d.Cluster, Work{Key: workKey(r.Action, d.Cluster), Ref: "action/" + r.Action.ID,
			Namespace: d.Namespace, Manifests: objs, Wait: []string{d.Deployment}})
		if err != nil {
			return actions.Output{Values: values}, fmt.Errorf("queue the hello-world for the agent of %s: %w", d.Cluster, err)
		}
		values["work_id:"+d.Cluster] = id
	}
	d := p.Deploy[0]
	return actions.Output{Values: values, LeftBehind: fmt.Sprintf("hello-world Deployment %s/%s (with its ServiceAccount "+
		"and Service) sent to the agents of %s", d.Namespace, d.Deployment, clusterNames(p))}, nil
}

func clusterNames(p *Plan) string {
	var cs []string
	for _, d := range p.Deploy {
		cs = append(cs, d.Cluster)
	}
	return strings.Join(cs, ", ")
}

func (e *Executor) waitDev(ctx context.Context, r *actions.StepRun, p *Plan) (actions.Output, error) {
	if len(p.Deploy) == 0 {
		return actions.Output{Skipped: true}, nil
	}
	if e.Clusters == nil {
		return actions.Output{}, actions.Permanentf("this portal has no cluster agents configured")
	}
	deployed := r.Output(StepDeployDev)
	values := map[string]string{}
	var waiting, urls []string
	for _, d := range p.Deploy {
		id := deployed["work_id:"+d.Cluster]
		if id == "" {
			return actions.Output{}, actions.Permanentf("deploy_dev recorded no work for %s", d.Cluster)
		}
		rep, err := e.Clusters.Report(ctx, id)
		if err != nil {
			return actions.Output{}, fmt.Errorf("read the agent's report on %s: %w", id, err)
		}
		switch {
		case !rep.Finished:
			waiting = append(waiting, d.Cluster)
		case rep.Failed:
			return actions.Output{}, actions.Permanentf("%s: %s", d.Cluster, rep.Message)
		default:
			url := rep.URL
			if url == "" {
				url = d.URL
			}
			values["url:"+d.Cluster] = url
			urls = append(urls, url)
		}
	}
	if len(waiting) > 0 {
		poll := e.Poll
		if poll <= 0 {
			poll = 5 * time.Second
		}
		return actions.Output{Wait: true, After: poll, Values: values,
			Note: "waiting for the agents of " + strings.Join(waiting, ", ") + " to report the hello-world available"}, nil
	}
	slices.Sort(urls)
	values["url"] = strings.Join(slices.Compact(urls), " ")
	return actions.Output{Values: values}, nil
}

// agentObjects are the manifests of d the cluster's agent applies: all but the Namespace. The namespace a service
// deploys to is the platform's — it exists with the agent's RoleBinding in it (docs/agent.md), since the agent
// holds rights in the namespaces it deploys to and nothing cluster-wide; applying a Namespace would need a
// cluster-wide right to patch namespaces, which the agent must not have. The plan still shows the Namespace: a
// cluster provisioned by hand can apply it.
func agentObjects(d scaffold.Deploy) ([]json.RawMessage, error) {
	objs, err := d.Objects()
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(objs))
	for _, o := range objs {
		var m struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(o, &m); err != nil {
			return nil, fmt.Errorf("a manifest of %s: %w", d.Cluster, err)
		}
		if m.APIVersion == "v1" && m.Kind == "Namespace" {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
