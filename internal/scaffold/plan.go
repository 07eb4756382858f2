package scaffold

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// Plan is everything creating a service does, computed before anything is created: the dry run the user reviews,
// and what the run executes step by step. The same template, parameters and target always give the same plan,
// byte for byte (Digest), so a run that re-renders it after a crash finds its own work. Its JSON field names are
// stable: the CLI prints it and the UI shows it as a file tree.
type Plan struct {
	Template TemplateRef `json:"template"`
	// Service is the new service's name.
	Service string `json:"service"`
	// Parameters as validated, defaults applied.
	Parameters map[string]any `json:"parameters"`
	// Files of the new repository's initial commit, sorted by path.
	Files      []File     `json:"files"`
	Repository Repository `json:"repository"`
	// InfraPullRequest proposes the service's Terraform and Kubernetes manifests to the infrastructure repository.
	InfraPullRequest PullRequest `json:"infra_pull_request"`
	// Deploy is what the cluster agents apply first, one entry per dev cluster, sorted by cluster.
	Deploy []Deploy `json:"deploy"`
	// CatalogEntry is the service as the catalog registers it at once.
	CatalogEntry catalog.Service `json:"catalog_entry"`
	// Steps the run executes, in order.
	Steps []Step `json:"steps"`
	// Warnings are problems that do not stop the plan (a golden-path file a Backstage template lacks).
	Warnings problem.Problems `json:"warnings"`
	// Digest is the SHA-256 of the plan's JSON without the digest.
	Digest string `json:"digest"`
}

// TemplateRef names the template a plan was made from, and where it was read (Template's fields of the same names).
type TemplateRef struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Source        string `json:"source"`
	SourceVersion string `json:"source_version"`
	Path          string `json:"path"`
	Format        string `json:"format"`
}

// File is one file: a path relative to its repository's root, and its content.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Repository is the GitHub repository to create.
type Repository struct {
	Owner         string   `json:"owner"`
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	Description   string   `json:"description"`
	DefaultBranch string   `json:"default_branch"`
	Visibility    string   `json:"visibility"` // private, internal or public
	Topics        []string `json:"topics"`
	// Protection of the default branch; nil when the template asks for none.
	Protection *BranchProtection `json:"protection"`
}

// BranchProtection is what the protect_branch step applies to the default branch.
type BranchProtection struct {
	Branch                  string   `json:"branch"`
	RequiredReviews         int      `json:"required_reviews"`
	RequireCodeOwnerReviews bool     `json:"require_code_owner_reviews"`
	DismissStaleReviews     bool     `json:"dismiss_stale_reviews"`
	RequiredChecks          []string `json:"required_checks"` // sorted
	// Strict: a pull request must be up to date with the branch before merging.
	Strict bool `json:"strict"`
}

// PullRequest is a pull request to open.
type PullRequest struct {
	Repository string `json:"repository"` // owner/name
	Base       string `json:"base"`
	Branch     string `json:"branch"`
	Title      string `json:"title"`
	Body       string `json:"body"` // markdown
	Files      []File `json:"files"`
}

// Deploy is the hello-world of one dev cluster: manifests the cluster's agent applies in order, the Deployment it
// waits for, and the address the service will have inside the cluster.
type Deploy struct {
	Cluster     string `json:"cluster"`
	Environment string `json:"environment"`
	Region      string `json:"region"`
	Namespace   string `json:"namespace"`
	// Deployment is the name of the Deployment to wait for (Available, every replica updated).
	Deployment string `json:"deployment"`
	URL        string `json:"url"`
	// Files are the manifests, YAML, in the order to apply them.
	Files []File `json:"files"`
}

// Objects are the manifests of d as JSON objects, in order: the apply list of a cluster agent's work.
func (d Deploy) Objects() ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(d.Files))
	for i, f := range d.Files {
		j, err := yaml.YAMLToJSON([]byte(f.Content))
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", f.Path, err)
		}
		out[i] = j
	}
	return out, nil
}

// Step is one step of a run.
type Step struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Description says what the step does, and how running it again finds what an earlier attempt did.
	Description string `json:"description"`
	// Creates lists what exists after the step that did not before.
	Creates []string `json:"creates"`
}

// Step identifiers, in the order a run executes them.
const (
	StepCreateRepository  = "create_repository"
	StepPushInitialCommit = "push_initial_commit"
	StepProtectBranch     = "protect_branch"
	StepRegisterCatalog   = "register_catalog"
	StepOpenInfraPR       = "open_infra_pull_request"
	StepDeployDev         = "deploy_dev"
	StepWaitDevAvailable  = "wait_dev_available"
)

// Plan validates params (Validate, with chk; nil skips the questions only the outside world answers, as a run
// re-rendering its plan after creating the repository must) and, when nothing is wrong, renders the plan. It
// returns the plan or every problem at once; warnings ride on the plan.
func (t *Template) Plan(ctx context.Context, params map[string]any, target Target, chk Checker) (*Plan, problem.Problems) {
	vals, ps := t.Validate(ctx, params, target, chk)
	if ps.HasErrors() {
		return nil, ps
	}
	if err := ctx.Err(); err != nil {
		return nil, problem.Problems{problem.At("", err.Error())}
	}
	_ = target.Check() // for its defaults; its problems are reported where the configuration is loaded
	p, rps := t.render(vals, target)
	if rps.HasErrors() {
		return nil, rps
	}
	p.Warnings = append(p.Warnings, ps...)
	p.Warnings = append(p.Warnings, rps...)
	if p.Warnings == nil {
		p.Warnings = problem.Problems{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, problem.Problems{problem.At("", "the plan does not encode as JSON: "+err.Error())}
	}
	sum := sha256.Sum256(b)
	p.Digest = hex.EncodeToString(sum[:])
	return p, nil
}

// service is what rendering needs of the validated parameters and the target.
type service struct {
	name, team, description, namespace string
	envs, regions                      []string
	queue                              bool
	secrets                            []string
	repoURL                            string
}

// data is the root of the data a skeleton of Atrium's format sees: the parameters, every declared one present
// (zero when not given), and under "atrium" what the portal adds.
func (t *Template) data(vals map[string]any, target Target, s service) map[string]any {
	d := make(map[string]any, len(vals)+1)
	for _, name := range t.paramOrder {
		d[name] = zeroOf(t.params[name])
	}
	for k, v := range vals {
		d[k] = v
	}
	org, host := target.GitHub.Org, target.GitHub.Host
	d["atrium"] = map[string]any{
		"org":            org,
		"host":           host,
		"repository":     org + "/" + s.name,
		"repo_url":       s.repoURL,
		"module":         host + "/" + org + "/" + s.name,
		"registry":       target.Registry,
		"registry_host":  strings.SplitN(target.Registry, "/", 2)[0],
		"image":          target.Registry + "/" + s.name,
		"hello_image":    t.GoldenPath.HelloImage,
		"port":           t.GoldenPath.Port,
		"health_path":    t.GoldenPath.HealthPath,
		"default_branch": t.defaultBranch(target),
		"template":       t.Ref(),
		"namespace":      s.namespace,
		"codeowners":     "@" + org + "/" + s.team,
	}
	return d
}

func zeroOf(schema any) any {
	m, _ := schema.(map[string]any)
	switch m["type"] {
	case "boolean":
		return false
	case "integer":
		return int64(0)
	case "number":
		return float64(0)
	case "array":
		return []any{}
	}
	return ""
}

func (t *Template) defaultBranch(target Target) string {
	if t.repo.defaultBranch != "" {
		return t.repo.defaultBranch
	}
	return target.GitHub.DefaultBranch
}

func (t *Template) render(vals map[string]any, target Target) (*Plan, problem.Problems) {
	s := service{
		name: vals[ParamName].(string), team: vals[ParamTeam].(string),
		envs: stringList(vals[ParamEnvironments]), regions: stringList(vals[ParamRegions]),
		secrets: stringList(vals[ParamSecretNames]),
	}
	s.description, _ = vals[ParamDescription].(string)
	s.queue, _ = vals[ParamSQSQueue].(bool)
	s.namespace = target.namespace(s.team, s.name)
	s.repoURL = "https://" + target.GitHub.Host + "/" + target.GitHub.Org + "/" + s.name
	sort.Strings(s.secrets)

	var files []File
	var ps problem.Problems
	description := s.description
	if t.Format == FormatBackstage {
		files, description, ps = t.renderBackstage(vals, target, s)
	} else {
		files, ps = renderSkeleton(t.skeleton, t.data(vals, target, s))
	}
	if ps.HasErrors() {
		return nil, ps
	}
	ps = append(ps, t.checkRendered(files, s)...)
	if ps.HasErrors() {
		return nil, ps
	}

	p := &Plan{
		Template: TemplateRef{Name: t.Name, Version: t.Version, Source: t.Source,
			SourceVersion: t.SourceVersion, Path: t.Path, Format: t.Format},
		Service:    s.name,
		Parameters: vals,
		Files:      files,
	}
	p.Repository = t.repository(target, s, description)
	helloArgs, aps := t.helloArgs(vals, target, s)
	if ps = append(ps, aps...); ps.HasErrors() {
		return nil, ps
	}
	var err error
	if p.InfraPullRequest, err = t.infraPullRequest(target, s, helloArgs); err != nil {
		return nil, append(ps, problem.At("", "infrastructure pull request: "+err.Error()))
	}
	if p.Deploy, err = t.deploy(target, s, helloArgs); err != nil {
		return nil, append(ps, problem.At("", "dev deployment: "+err.Error()))
	}
	p.CatalogEntry = t.catalogEntry(target, s, p.Repository)
	p.Steps = steps(p)
	return p, ps
}

// renderSkeleton renders every file of a skeleton with data; a file whose rendered path has an empty segment
// ("{{if .sqs_queue}}queue.go{{end}}") is left out.
func renderSkeleton(skel []skeletonFile, data any) ([]File, problem.Problems) {
	var files []File
	var ps problem.Problems
	from := map[string]string{}
	for _, f := range skel {
		var pb limitedBuffer
		if err := f.path.Execute(&pb, data); err != nil {
			ps = append(ps, renderProblem(f.src, err))
			continue
		}
		p := pb.String()
		if slices.Contains(strings.Split(p, "/"), "") {
			continue
		}
		if !fs.ValidPath(p) || p == ".git" || strings.HasPrefix(p, ".git/") || strings.ContainsAny(p, "\\\x00") {
			ps = append(ps, loadProblem("", "%s: renders to the path %q, which cannot be a file of a repository", f.src, p))
			continue
		}
		if other, dup := from[p]; dup {
			ps = append(ps, loadProblem("", "%s and %s both render to %s", other, f.src, p))
			continue
		}
		from[p] = f.src
		content := string(f.raw)
		if f.body != nil {
			var b limitedBuffer
			if err := f.body.Execute(&b, data); err != nil {
				ps = append(ps, renderProblem(f.src, err))
				continue
			}
			content = b.String()
		}
		files = append(files, File{Path: p, Content: content})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, ps
}

// renderProblem keeps text/template's message, which names the file and line ("template: skeleton/main.go:12:
// ..."); a file too large says which.
func renderProblem(src string, err error) problem.Problem {
	msg := err.Error()
	if !strings.Contains(msg, src) {
		msg = src + ": " + msg
	}
	return loadProblem("", "%s", msg)
}

// checkRendered checks the golden-path files: a template of Atrium's format must render what its golden_path
// names, and a descriptor the catalog reads back as this service; a Backstage template is warned about what it
// lacks.
func (t *Template) checkRendered(files []File, s service) problem.Problems {
	var ps problem.Problems
	byPath := map[string]string{}
	hasWorkflow := false
	for _, f := range files {
		byPath[f.Path] = f.Content
		hasWorkflow = hasWorkflow || strings.HasPrefix(f.Path, ".github/workflows/") &&
			(strings.HasSuffix(f.Path, ".yml") || strings.HasSuffix(f.Path, ".yaml"))
	}
	severity := problem.Error
	if t.Format == FormatBackstage {
		severity = problem.Warning
	}
	need := func(p, what string) {
		if _, ok := byPath[p]; !ok {
			ps = append(ps, problem.Problem{Severity: severity, Source: "template",
				Summary: fmt.Sprintf("the skeleton renders no %s (%s)", what, p)})
		}
	}
	need(t.GoldenPath.Dockerfile, "Dockerfile")
	if t.GoldenPath.CIWorkflow != "" {
		need(t.GoldenPath.CIWorkflow, "CI workflow")
	} else if !hasWorkflow {
		ps = append(ps, problem.Problem{Severity: severity, Source: "template",
			Summary: "the skeleton renders no CI workflow under .github/workflows/"})
	}
	need(t.repo.descriptor, "catalog descriptor")
	if _, ok := byPath[".github/CODEOWNERS"]; !ok {
		if _, ok := byPath["CODEOWNERS"]; !ok {
			ps = append(ps, problem.Problem{Severity: problem.Warning, Source: "template",
				Summary: "the skeleton renders no CODEOWNERS: code owner reviews will have no one to ask"})
		}
	}
	if d, ok := byPath[t.repo.descriptor]; ok {
		svcs := catalog.ParseRepository(catalog.RepoSnapshot{Name: s.name, Files: map[string][]byte{t.repo.descriptor: []byte(d)}}, "scaffold")
		for _, f := range svcs[0].Findings {
			if string(f.Severity) == string(problem.Error) { // catalog.Finding today, problem.Problem once house-go lands
				ps = append(ps, problem.Problem{Severity: severity, Source: "template",
					Summary: fmt.Sprintf("the rendered catalog descriptor: %s: %s", f.Summary, f.Detail)})
			}
		}
		if len(svcs) != 1 || svcs[0].Name != s.name || svcs[0].Owner != s.team {
			ps = append(ps, problem.Problem{Severity: severity, Source: "template",
				Summary: fmt.Sprintf("the rendered catalog descriptor %s must describe one service named %s owned by %s (it describes %s)",
					t.repo.descriptor, s.name, s.team, describe(svcs))})
		}
	}
	return ps
}

func describe(svcs []catalog.Service) string {
	var parts []string
	for _, s := range svcs {
		parts = append(parts, s.Name+" owned by "+s.Owner)
	}
	return strings.Join(parts, "; ")
}

func (t *Template) repository(target Target, s service, description string) Repository {
	r := Repository{
		Owner: target.GitHub.Org, Name: s.name, URL: s.repoURL, Description: description,
		DefaultBranch: t.defaultBranch(target), Visibility: target.GitHub.Visibility,
		Topics: append([]string{}, t.repo.topics...),
	}
	if t.repo.visibility != "" {
		r.Visibility = t.repo.visibility
	}
	r.Description = oneLine(r.Description)
	sort.Strings(r.Topics)
	r.Topics = slices.Compact(r.Topics)
	if t.repo.protect {
		reviews := target.GitHub.RequiredReviews
		if t.repo.requiredReviews > reviews {
			reviews = t.repo.requiredReviews
		}
		checks := append(append([]string{}, target.GitHub.RequiredChecks...), t.repo.checks...)
		sort.Strings(checks)
		r.Protection = &BranchProtection{Branch: r.DefaultBranch, RequiredReviews: reviews,
			RequireCodeOwnerReviews: t.repo.requireCodeOwnerReviews, DismissStaleReviews: true,
			RequiredChecks: slices.Compact(checks), Strict: true}
	}
	return r
}

// helloArgs renders the hello-world image's arguments.
func (t *Template) helloArgs(vals map[string]any, target Target, s service) ([]string, problem.Problems) {
	data := t.data(vals, target, s)
	var out []string
	var ps problem.Problems
	for i, a := range t.GoldenPath.HelloArgs {
		name := fmt.Sprintf("golden_path.hello_args[%d]", i)
		tmpl, err := newTemplate(name).Parse(a)
		if err != nil {
			ps = append(ps, loadProblem("", "%v", err))
			continue
		}
		var b limitedBuffer
		if err := tmpl.Execute(&b, data); err != nil {
			ps = append(ps, renderProblem(name, err))
			continue
		}
		out = append(out, b.String())
	}
	return out, ps
}

func (t *Template) workload(target Target, s service, env string, args []string) workload {
	replicas, ok := t.GoldenPath.Replicas[env]
	if !ok {
		replicas = 2
		if env == target.DevEnvironment {
			replicas = 1
		}
	}
	w := workload{name: s.name, team: s.team, namespace: s.namespace, environment: env, template: t.Ref(),
		image: t.GoldenPath.HelloImage, args: args, port: int32(t.GoldenPath.Port),
		healthPath: t.GoldenPath.HealthPath, compute: t.GoldenPath.Compute, replicas: int32(replicas)}
	if env != target.DevEnvironment {
		w.autoscaling = t.GoldenPath.Autoscaling
	}
	return w
}

// placements are the (environment, region) pairs a service is set up in: each chosen environment in each of its
// regions that was chosen, in the target's order of environments and sorted regions.
func placements(target Target, s service) [][2]string {
	var out [][2]string
	for _, e := range target.Environments {
		if !slices.Contains(s.envs, e.Name) {
			continue
		}
		regions := append([]string(nil), e.Regions...)
		sort.Strings(regions)
		for _, r := range regions {
			if slices.Contains(s.regions, r) {
				out = append(out, [2]string{e.Name, r})
			}
		}
	}
	return out
}

func clustersIn(target Target, env, region string) []string {
	e, _ := target.environment(env)
	var out []string
	for _, c := range e.Clusters {
		if c.Region == region {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func (t *Template) infraPullRequest(target Target, s service, args []string) (PullRequest, error) {
	g := actions.GitOps{Repo: target.Infra.Repo, Base: target.Infra.Base, Path: target.Infra.Path}
	mg := actions.GitOps{Path: target.Infra.ManifestPath}
	origin := "template " + t.Ref()
	var files []File
	var rows []string
	for _, pl := range placements(target, s) {
		env, region := pl[0], pl[1]
		stack := gitops.ServiceStack{Service: s.name, Team: s.team, Environment: env, Region: region,
			Namespace: s.namespace, ServiceAccount: s.name, Clusters: clustersIn(target, env, region),
			Secrets: s.secrets, Origin: origin}
		if s.queue {
			stack.Queue = &actions.SQSQueueParams{Name: s.name + "-" + env}
		}
		tf, err := gitops.GenerateService(g, stack)
		if err != nil {
			return PullRequest{}, err
		}
		for _, f := range tf {
			files = append(files, File{Path: f.Path, Content: string(f.Content)})
		}
		w := t.workload(target, s, env, args)
		header := fmt.Sprintf("Managed by Atrium (%s): service %s, team %s, in %s/%s.", origin, s.name, s.team, env, region)
		objs := []manifest{{"serviceaccount.yaml", "ServiceAccount", w.serviceAccount()},
			{"deployment.yaml", "Deployment", w.deployment()}, {"service.yaml", "Service", w.service()}}
		if w.autoscaling != nil {
			objs = append(objs, manifest{"hpa.yaml", "HorizontalPodAutoscaler", w.autoscaler()})
		}
		dir := mg.DirFor(env, region, s.name)
		kinds := []string{}
		for _, o := range objs {
			y, err := manifestYAML(header, o.obj)
			if err != nil {
				return PullRequest{}, err
			}
			files = append(files, File{Path: path.Join(dir, o.file), Content: y})
			kinds = append(kinds, o.kind)
		}
		tfWhat := []string{"IAM role"}
		if cs := stack.Clusters; len(cs) > 0 {
			tfWhat[0] += " (EKS Pod Identity in " + strings.Join(cs, ", ") + ")"
		}
		if stack.Queue != nil {
			tfWhat = append(tfWhat, "SQS queue `"+stack.Queue.Name+"`")
		}
		if len(s.secrets) > 0 {
			tfWhat = append(tfWhat, "secrets `"+strings.Join(s.secrets, "`, `")+"` (names only)")
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", env, region, strings.Join(tfWhat, ", "),
			strings.Join(kinds, ", ")))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })

	var body strings.Builder
	fmt.Fprintf(&body, "Atrium's golden path is creating the service **%s** of team **%s** from template `%s`; "+
		"its repository is [%s/%s](%s).\n\n", s.name, s.team, t.Ref(), target.GitHub.Org, s.name, s.repoURL)
	fmt.Fprintf(&body, "This pull request adds what the service needs to run in %s:\n\n", strings.Join(s.envs, ", "))
	body.WriteString("| environment | region | Terraform | Kubernetes |\n| --- | --- | --- | --- |\n")
	body.WriteString(strings.Join(rows, "\n") + "\n\n")
	fmt.Fprintf(&body, "**Why.** A new service gets the same infrastructure as every other on the golden path, "+
		"reviewed here by the people who own this repository rather than requested piece by piece. Its pods run as "+
		"the service account `%s` in namespace `%s`, which assumes its own IAM role and nothing else.\n\n", s.name, s.namespace)
	fmt.Fprintf(&body, "**Image.** Until the repository's CI has pushed its first image to `%s/%s`, the Deployments run "+
		"the prebuilt hello-world `%s`, which answers `%s` on port %d; the CI's image replaces it.\n",
		target.Registry, s.name, t.GoldenPath.HelloImage, t.GoldenPath.HealthPath, t.GoldenPath.Port)
	if len(s.secrets) > 0 {
		body.WriteString("\n**Secrets.** Only their names are here; set their values in Secrets Manager.\n")
	}
	return PullRequest{
		Repository: target.Infra.Repo,
		Base:       target.Infra.Base,
		Branch:     "atrium/new-service-" + s.name,
		Title:      fmt.Sprintf("New service %s (team %s): infrastructure for %s", s.name, s.team, strings.Join(s.envs, ", ")),
		Body:       body.String(),
		Files:      files,
	}, nil
}

// manifest is one object of a manifests directory.
type manifest struct {
	file, kind string
	obj        any
}

func (t *Template) deploy(target Target, s service, args []string) ([]Deploy, error) {
	w := t.workload(target, s, target.DevEnvironment, args)
	header := fmt.Sprintf("Hello-world of %s (template %s), applied by the cluster agent.", s.name, t.Ref())
	out := []Deploy{}
	for _, c := range devClusters(target, s.regions) {
		d := Deploy{Cluster: c.Name, Environment: target.DevEnvironment, Region: c.Region, Namespace: s.namespace,
			Deployment: s.name, URL: w.url()}
		for _, o := range []manifest{{"namespace.yaml", "Namespace", w.namespaceObject()},
			{"serviceaccount.yaml", "ServiceAccount", w.serviceAccount()},
			{"deployment.yaml", "Deployment", w.deployment()}, {"service.yaml", "Service", w.service()}} {
			y, err := manifestYAML(header, o.obj)
			if err != nil {
				return nil, err
			}
			d.Files = append(d.Files, File{Path: o.file, Content: y})
		}
		out = append(out, d)
	}
	return out, nil
}

func (t *Template) catalogEntry(target Target, s service, r Repository) catalog.Service {
	e := catalog.Service{
		Name:        s.name,
		Description: s.description,
		Owner:       s.team,
		Lifecycle:   catalog.LifecycleExperimental,
		Type:        "service",
		Language:    t.Language,
		Tags:        append([]string{}, t.Tags...),
		Template:    t.Ref(),
		Repository:  catalog.Repository{URL: r.URL, Provider: "github", DefaultBranch: r.DefaultBranch},
		// The GitHub collector's source (github.SourceName), so that its next sync of the organisation replaces
		// this entry with what it reads from the new repository instead of listing the service twice.
		Source: "github:" + strings.ToLower(target.GitHub.Org),
	}
	e.Normalize()
	return e
}

func steps(p *Plan) []Step {
	r := p.Repository
	full := r.Owner + "/" + r.Name
	out := []Step{
		{ID: StepCreateRepository, Title: "Create the repository " + full,
			Description: fmt.Sprintf("Creates the %s repository %s with its description, without any file. A repository of "+
				"that name that this run created (empty, or holding this plan's initial commit) is reused; any other stops the run.",
				r.Visibility, full),
			Creates: []string{"GitHub repository " + full}},
		{ID: StepPushInitialCommit, Title: fmt.Sprintf("Push the initial commit (%d files)", len(p.Files)),
			Description: fmt.Sprintf("Writes the %d files through the git data API (blobs, one tree, one commit) and points %s "+
				"at the commit. A branch already at a commit with the same tree is left as it is.", len(p.Files), r.DefaultBranch),
			Creates: []string{fmt.Sprintf("commit on %s of %s with %d files", r.DefaultBranch, full, len(p.Files))}},
	}
	if pr := r.Protection; pr != nil {
		checks := "no required checks"
		if len(pr.RequiredChecks) > 0 {
			checks = "required checks " + strings.Join(pr.RequiredChecks, ", ")
		}
		owners := ""
		if pr.RequireCodeOwnerReviews {
			owners = ", code owner review"
		}
		out = append(out, Step{ID: StepProtectBranch, Title: "Protect " + pr.Branch,
			Description: fmt.Sprintf("Sets the protection of %s: %d approving review(s)%s, %s. Setting it again "+
				"changes nothing.", pr.Branch, pr.RequiredReviews, owners, checks),
			Creates: []string{"branch protection of " + full + "@" + pr.Branch}})
	}
	e := p.CatalogEntry
	out = append(out,
		Step{ID: StepRegisterCatalog, Title: "Register " + e.Name + " in the catalog",
			Description: fmt.Sprintf("Adds %s to the catalog at once (owner %s, lifecycle %s, created from %s), before "+
				"any collector has read the new repository. Registering again replaces the same entry.", e.Name, e.Owner,
				e.Lifecycle, e.Template),
			Creates: []string{"catalog service " + e.Name}},
		Step{ID: StepOpenInfraPR, Title: "Open the infrastructure pull request on " + p.InfraPullRequest.Repository,
			Description: fmt.Sprintf("Commits %d files to the branch %s of %s and opens a pull request to %s. A pull request "+
				"already open from that branch is the one.", len(p.InfraPullRequest.Files), p.InfraPullRequest.Branch,
				p.InfraPullRequest.Repository, p.InfraPullRequest.Base),
			Creates: []string{"branch " + p.InfraPullRequest.Branch + " of " + p.InfraPullRequest.Repository,
				"pull request on " + p.InfraPullRequest.Repository}},
	)
	var clusters, urls []string
	for _, d := range p.Deploy {
		clusters = append(clusters, d.Cluster)
		urls = append(urls, d.Cluster+": "+d.URL)
	}
	out = append(out,
		Step{ID: StepDeployDev, Title: "Deploy hello-world to " + strings.Join(clusters, ", "),
			Description: "Queues the manifests for the agent of each cluster, which applies them with server-side apply: " +
				"applying them again changes nothing.",
			Creates: []string{fmt.Sprintf("Namespace, ServiceAccount, Deployment and Service %s in %s", p.Service, strings.Join(clusters, ", "))}},
		Step{ID: StepWaitDevAvailable, Title: "Wait for hello-world to be available",
			Description: "Waits for each agent's report that the Deployment is Available with every replica updated. " +
				"The service is then reachable at " + strings.Join(urls, "; ") + ".",
			Creates: []string{}},
	)
	return out
}

// oneLine keeps a description or comment on one line.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
	}), " ")
}
