package cmd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/scaffold"
)

// The golden path on the command line: the templates, the dry run, and the run followed step by step — on the same
// API as the UI (templates, POST /api/v1/actions with kind service_create, the action's long poll).

func (a *atrium) templatesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "List the golden path's templates",
		Long: `List the templates a new service can start from (atrium create service --template NAME), with their
language, version, source and parameters: the built-in templates ("builtin") and those the portal syncs from its
templates repositories (owner/name@commit:path, the template's directory at the commit last synced). A broken
template is listed with its problems. --json prints the API's list of templates: [{name, title, language, source,
source_version, path, parameters, broken, problems, ...}].`,
		GroupID: groupGolden,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			c, rt, err := a.reader(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			var out struct {
				Templates json.RawMessage `json:"templates"`
			}
			if err := c.Do(cmd.Context(), "GET", "/api/v1/templates", nil, nil, &out); err != nil {
				return err
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), out.Templates)
			}
			var ts []client.TemplateSummary
			if err := json.Unmarshal(out.Templates, &ts); err != nil {
				return fmt.Errorf("read templates: %w", err)
			}
			var b bytes.Buffer
			tw := newTable(&b)
			tw.row("TEMPLATE\tLANGUAGE\tVERSION\tSOURCE\tPARAMETERS\tDESCRIPTION\n")
			for _, t := range ts {
				desc := t.Title
				if t.Broken {
					desc = "BROKEN: " + strings.Join(strings.Fields(t.Problems.Error()), " ") // one row per template
				}
				version := t.Version
				if version == t.SourceVersion {
					version = shortSHA(version)
				}
				tw.row("%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, orDash(t.Language), version, templateOrigin(t),
					orDash(strings.Join(paramNames(t.Parameters), ",")), desc)
			}
			tw.flush()
			_, err = b.WriteTo(cmd.OutOrStdout())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the templates as the API lists them (listTemplates)")
	return cmd
}

// templateOrigin says where a template was read: "builtin", or a templates repository's owner/name@commit:path
// (git's commit:path, so that "git show COMMIT:PATH" in a clone of the repository lists the template).
func templateOrigin(t client.TemplateSummary) string {
	if t.Source == scaffold.BuiltinSource || t.SourceVersion == "" {
		return t.Source
	}
	p := t.Path
	if p == "" || p == "." {
		p = "/"
	}
	return strings.TrimPrefix(t.Source, "github:") + "@" + shortSHA(t.SourceVersion) + ":" + p
}

// shortSHA abbreviates a commit as git does (seven characters); anything else is returned as it is.
func shortSHA(s string) string {
	if len(s) == 40 && strings.Trim(s, "0123456789abcdef") == "" {
		return s[:7]
	}
	return s
}

// paramNames are the parameters of a template's schema, in form order.
func paramNames(schema map[string]any) []string {
	if order, ok := schema["ui:order"].([]any); ok {
		var out []string
		for _, o := range order {
			if s, ok := o.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	props, _ := schema["properties"].(map[string]any)
	var out []string
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (a *atrium) createCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create something on the golden path (a service)",
		GroupID: groupGolden,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cli.Usagef("create what? atrium create service --template T --name N --team TEAM")
		},
	}
	cmd.AddCommand(a.createServiceCommand())
	return cmd
}

type createFlags struct {
	template, name, team, env string
	params                    []string
	dryRun, asJSON            bool
	wait                      time.Duration
}

func (a *atrium) createServiceCommand() *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Create a service from a template: repository, catalog entry, infrastructure pull request, dev deployment",
		Long: `Create a service on the golden path. --dry-run prints the plan and creates nothing: every file of the new
repository, the infrastructure pull request, the dev clusters' manifests, the catalog entry and the steps
(--json: the plan as JSON, files as [{path, content}]). Without it, the portal runs the plan step by step; the
command follows the run, prints each step as it ends and the action's id, and exits 0 when the service is created,
1 when the run failed (retry it from the failed step in the UI or with POST /api/v1/actions/ID/retry).

--param k=v sets a template parameter (repeatable; lists comma-separated: --param regions=eu-west-1,us-east-1).
In local mode the run goes through the real pipeline: the catalog entry is real, the rest is previewed.`,
		Example: `  atrium templates
  atrium create service --template go-http-service --name orders --team payments --dry-run
  atrium create service --template node-service --name web-shop --team shop --param description="The shop" --json`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.createService(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.template, "template", "", "the template (atrium templates lists them)")
	fl.StringVar(&f.name, "name", "", "the new service's name")
	fl.StringVar(&f.team, "team", "", "the owner team")
	fl.StringArrayVar(&f.params, "param", nil, "a template parameter as k=v (repeatable)")
	fl.StringVar(&f.env, "env", "dev", "the environment whose approval policy applies (the portal's dev environment)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan and create nothing")
	fl.BoolVar(&f.asJSON, "json", false, "print the plan (--dry-run) or the finished action as the API answers it")
	fl.DurationVar(&f.wait, "timeout", 30*time.Minute, "how long to follow the run before leaving it to the portal")
	// These fail only for a flag that does not exist; the flags are declared just above.
	_ = cmd.MarkFlagRequired("template")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("team")
	_ = cmd.RegisterFlagCompletionFunc("template", cobra.NoFileCompletions)
	return cmd
}

func (a *atrium) createService(cmd *cobra.Command, f createFlags) (err error) {
	ctx := cmd.Context()
	var c *client.Client
	var rt io.Closer
	if f.dryRun {
		c, rt, err = a.reader(cmd)
	} else {
		c, rt, err = a.writer(cmd)
	}
	if err != nil {
		return err
	}
	defer closeAfter(rt, &err)
	tmpl, err := c.Template(ctx, f.template)
	if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Status == 404 && ae.Code == "not_found" {
		return noSuchTemplate(ctx, c, f.template)
	}
	if err != nil {
		return err
	}
	params, err := parseParams(f, tmpl.Parameters)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.dryRun {
		raw, err := c.PlanService(ctx, f.template, params)
		if err != nil {
			return err
		}
		if f.asJSON {
			return writeIndented(out, raw)
		}
		var p client.Plan
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("read the plan: %w", err)
		}
		return printPlan(out, p)
	}
	body, _ := json.Marshal(map[string]any{"template": f.template, "parameters": params})
	act, err := c.RequestAction(ctx, newKey(), client.ActionRequest{Kind: actions.KindServiceCreate, Environment: f.env,
		Params: body})
	if err != nil {
		return err
	}
	log := out
	if f.asJSON {
		log = cmd.ErrOrStderr() // progress stays off the JSON
	}
	notice(log, "requested %s: new service %s from %s (action %s)\n", act.State, f.name, f.template, act.ID)
	final, err := follow(ctx, c, act, f.wait, log)
	if err != nil {
		return err
	}
	if f.asJSON {
		var raw json.RawMessage
		if err := c.Do(ctx, "GET", "/api/v1/actions/"+final.ID, nil, nil, &raw); err != nil {
			return err
		}
		if err := writeIndented(out, raw); err != nil {
			return err
		}
	}
	switch final.State {
	case actions.StateSucceeded:
		notice(log, "created %s (action %s)%s\n", f.name, final.ID, resultLine(final))
		notice(log, "see it with: atrium service %s\n", f.name)
		return nil
	case actions.StateFailed:
		return fmt.Errorf("the run of action %s failed: %s; retry it from the failed step (POST /api/v1/actions/%s/retry, or the action's page)",
			final.ID, final.Error, final.ID)
	case actions.StateRejected:
		return fmt.Errorf("action %s was rejected: %s", final.ID, final.Reason)
	case actions.StateCancelled:
		return fmt.Errorf("action %s was cancelled: %s", final.ID, final.Result["left_behind"])
	}
	return fmt.Errorf("action %s is still %s after %s; the portal carries on (GET /api/v1/actions/%s)", final.ID,
		final.State, f.wait, final.ID)
}

// writer opens the runtime for a command that changes something: warnings only, but with the in-process portal's
// action worker in local mode, so the run is carried out while the command follows it.
// writer opens the runtime with its action worker (a run in local mode is executed by this process), quietly.
func (a *atrium) writer(cmd *cobra.Command) (*client.Client, io.Closer, error) {
	rt, err := app.Open(cmd.Context(), a.data, a.portal, a.tokenOrEnv(), cli.NewLogger(cmd.ErrOrStderr(), true))
	if err != nil {
		return nil, nil, err
	}
	c := rt.Client("cli")
	return c, rt, nil
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}

// parseParams is the template's parameters from --name, --team and --param k=v, typed by the template's schema.
func parseParams(f createFlags, schema map[string]any) (map[string]any, error) {
	props, _ := schema["properties"].(map[string]any)
	params := map[string]any{"name": f.name, "team": f.team}
	for _, kv := range f.params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cli.Usagef("--param %q: want k=v", kv)
		}
		if k == "name" || k == "team" {
			return nil, cli.Usagef("--param %s: use --%s", k, k)
		}
		prop, _ := props[k].(map[string]any)
		val, err := typed(prop, v)
		if err != nil {
			return nil, cli.Usagef("--param %s: %v", k, err)
		}
		params[k] = val
	}
	return params, nil
}

// typed reads v as the type prop declares; an unknown parameter stays a string (the portal names it).
func typed(prop map[string]any, v string) (any, error) {
	switch prop["type"] {
	case "boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", v)
		}
		return n, nil
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", v)
		}
		return n, nil
	case "array":
		items, _ := prop["items"].(map[string]any)
		out := []any{}
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			x, err := typed(items, s)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	}
	return v, nil
}

func noSuchTemplate(ctx context.Context, c *client.Client, name string) error {
	ts, err := c.Templates(ctx)
	if err != nil {
		return fmt.Errorf("no template %q", name)
	}
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return fmt.Errorf("no template %q; the templates are: %s", name, strings.Join(names, ", "))
}

// follow follows action a with the action's long poll until it is final (or timeout passes), printing each step
// as it ends and each wait once.
func follow(ctx context.Context, c *client.Client, a client.Action, timeout time.Duration, w io.Writer) (client.Action, error) {
	deadline := time.Now().Add(timeout)
	printed := map[string]string{}
	said := ""
	report := func(a client.Action) {
		for i, st := range a.Steps {
			key := string(st.State) + st.Error
			if printed[st.ID] == key {
				continue
			}
			switch st.State {
			case actions.StepSucceeded, actions.StepSkipped, actions.StepFailed:
				printed[st.ID] = key
				notice(w, "  %d/%d %-9s %s%s\n", i+1, len(a.Steps), st.State, st.Title, stepDetail(st))
			case actions.StepRunning:
				if st.Error != "" {
					printed[st.ID] = key
					notice(w, "  %d/%d retrying  %s: %s\n", i+1, len(a.Steps), st.Title, st.Error)
				}
			}
		}
		if len(a.History) > 0 {
			if last := a.History[len(a.History)-1]; last.Message != said && (a.State == actions.StatePendingApproval ||
				strings.HasPrefix(last.Message, "waiting") || strings.HasPrefix(last.Message, "cancel requested")) {
				said = last.Message
				notice(w, "  … %s\n", last.Message)
			}
		}
	}
	for {
		report(a)
		if a.State.Final() || time.Now().After(deadline) {
			return a, nil
		}
		next, err := c.Action(ctx, a.ID, a.Version, 30*time.Second)
		if err != nil {
			return a, err
		}
		a = next
	}
}

// stepDetail is the one output of a finished step worth a line: where to look, or why it failed.
func stepDetail(st actions.StepRecord) string {
	if st.Error != "" && st.State == actions.StepFailed {
		return ": " + st.Error
	}
	for _, k := range []string{"preview", "repository_url", "commit_sha", "protected_branch", "catalog_service", "pr_url", "url"} {
		if v := st.Output[k]; v != "" {
			return ": " + v
		}
	}
	return ""
}

func resultLine(a client.Action) string {
	if p := a.Result["preview"]; p != "" {
		return ": " + p
	}
	var parts []string
	for _, k := range []string{"repository_url", "pr_url", "url"} {
		if v := a.Result[k]; v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

// printPlan writes a plan for a person: the repository's file tree, the pull request, the deployments, the
// catalog entry and the steps.
func printPlan(w io.Writer, p client.Plan) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Plan: new service %s from template %s@%s (digest %.12s)\n", p.Service, p.Template.Name, p.Template.Version, p.Digest)
	r := p.Repository
	fmt.Fprintf(&b, "\nrepository %s/%s (%s, default branch %s), one commit of %d files:\n", r.Owner, r.Name, r.Visibility,
		r.DefaultBranch, len(p.Files))
	var paths []string
	for _, f := range p.Files {
		paths = append(paths, f.Path)
	}
	writeTree(&b, paths)
	if pr := r.Protection; pr != nil {
		fmt.Fprintf(&b, "branch protection of %s: %d approving review(s), code owners %v, required checks %s\n", pr.Branch,
			pr.RequiredReviews, pr.RequireCodeOwnerReviews, strings.Join(pr.RequiredChecks, ", "))
	}
	ip := p.InfraPullRequest
	fmt.Fprintf(&b, "\ninfrastructure pull request on %s (%s → %s): %s\n", ip.Repository, ip.Branch, ip.Base, ip.Title)
	paths = paths[:0]
	for _, f := range ip.Files {
		paths = append(paths, f.Path)
	}
	writeTree(&b, paths)
	for _, d := range p.Deploy {
		var names []string
		for _, f := range d.Files {
			names = append(names, f.Path)
		}
		fmt.Fprintf(&b, "\nhello-world in %s (namespace %s): %s\n  then reachable at %s\n", d.Cluster, d.Namespace,
			strings.Join(names, ", "), d.URL)
	}
	e := p.CatalogEntry
	fmt.Fprintf(&b, "\ncatalog entry: %s, owner %s, %s, %s\n", e.Name, e.Owner, e.Language, e.Lifecycle)
	fmt.Fprintf(&b, "\nsteps:\n")
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, s.Title)
	}
	for _, wn := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn.String())
	}
	fmt.Fprintf(&b, "\nnothing was created (--json prints every file's content)\n")
	_, err := b.WriteTo(w)
	return err
}

// writeTree writes sorted slash paths as an indented tree.
func writeTree(b *bytes.Buffer, paths []string) {
	sort.Strings(paths)
	shown := map[string]bool{}
	for _, p := range paths {
		dirs := strings.Split(path.Dir(p), "/")
		if path.Dir(p) == "." {
			dirs = nil
		}
		for i := range dirs {
			d := strings.Join(dirs[:i+1], "/")
			if !shown[d] {
				shown[d] = true
				fmt.Fprintf(b, "  %s%s/\n", strings.Repeat("  ", i), dirs[i])
			}
		}
		fmt.Fprintf(b, "  %s%s\n", strings.Repeat("  ", len(dirs)), path.Base(p))
	}
}
