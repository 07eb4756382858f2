package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/catalog"
)

// syncWait bounds how long a command waits for the replica's first sync before answering from what it has.
const syncWait = 15 * time.Second

// reader opens the runtime for a command that only reads (no INFO logs, no action worker), waits for the
// replica's first sync, and returns a client of the local API — the API the UI reads — and a function closing it
// all. When the portal cannot be reached it says so on standard error and answers from the replica as of its last
// sync; a replica that never synced is an error.
func (a *atrium) reader(cmd *cobra.Command) (*client.Client, io.Closer, error) {
	ctx := cmd.Context()
	rt, err := a.openReadOnly(ctx, cli.NewLogger(cmd.ErrOrStderr(), true))
	if err != nil {
		return nil, nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, syncWait)
	st := rt.AwaitSync(wctx)
	cancel()
	portal := rt.State().Portal
	switch {
	case st.State == replica.StateUpToDate:
	case st.AsOf.IsZero() && st.State != replica.StateSyncing:
		_ = rt.Close() // the missing catalog is the error to report
		return nil, nil, fmt.Errorf("no catalog yet: the replica has never synced: %s", st.Message)
	case st.State == replica.StateSyncing:
		from := "the local portal"
		if portal != "" {
			from = portal
		}
		notice(cmd.ErrOrStderr(), "atrium: still syncing from %s (%d of %d changes) — showing what has arrived\n",
			from, st.Done, st.Total)
	default:
		notice(cmd.ErrOrStderr(), "atrium: %s: %s — showing data as of %s\n", st.State, st.Message,
			st.AsOf.Local().Format(time.RFC3339))
	}
	c := rt.Client("cli")
	return c, rt, nil
}

func (a *atrium) servicesCommand() *cobra.Command {
	var q client.ServiceQuery
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "services [TEXT]",
		Aliases: []string{"search"},
		Short:   "List and search services",
		Long: `List services, or search them: TEXT (or --q) matches prefixes of words in names, titles, descriptions,
owners and tags. Answered from the local replica, after it caught up with the portal.`,
		Example: `  atrium services --q pay
  atrium services --owner payments,search --language go --json
  atrium services checkout --sort owner`,
		GroupID: groupCatalog,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if q.Q == "" && len(args) > 0 {
				q.Q = strings.Join(args, " ")
			}
			if q.Sort != "" && !slices.Contains(serviceSorts, q.Sort) {
				return cli.Usagef("--sort %q: must be one of %s", q.Sort, strings.Join(serviceSorts, ", "))
			}
			if q.Order != "" && q.Order != "asc" && q.Order != "desc" {
				return cli.Usagef("--order %q: must be asc or desc", q.Order)
			}
			if q.Limit < 1 || q.Limit > 1000 {
				return cli.Usagef("--limit %d: must be 1 to 1000", q.Limit)
			}
			c, rt, err := a.reader(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			if err := spellFilters(cmd.Context(), c, &q); err != nil {
				return err
			}
			if asJSON {
				return printRaw(cmd.Context(), cmd.OutOrStdout(), c, "/api/v1/services", servicesQuery(q))
			}
			page, err := c.Services(cmd.Context(), q)
			if err != nil {
				return err
			}
			var b bytes.Buffer
			tw := newTable(&b)
			tw.row("SERVICE\tOWNER\tLANGUAGE\tLIFECYCLE\tFINDINGS\tOUTDATED\n")
			for _, s := range page.Items {
				outdated := fmt.Sprint(s.Outdated)
				if s.Outdated == 0 && !catalog.DependenciesRead(s.Language) {
					outdated = "not checked"
				}
				tw.row("%s\t%s\t%s\t%s\t%d\t%s\n", s.Name, s.Owner, s.Language, s.Lifecycle, s.Findings, outdated)
			}
			tw.flush()
			fmt.Fprintf(&b, "%d of %d services\n", len(page.Items), page.Total)
			_, err = b.WriteTo(cmd.OutOrStdout())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Q, "q", "", "search text")
	f.StringVar(&q.Owner, "owner", "", "owner team(s), comma-separated")
	f.StringVar(&q.Language, "language", "", "language(s), comma-separated")
	f.StringVar(&q.Lifecycle, "lifecycle", "", "lifecycle(s), comma-separated")
	f.StringVar(&q.Sort, "sort", "", strings.Join(serviceSorts, ", ")+" (default: relevance, then name)")
	f.StringVar(&q.Order, "order", "", "asc or desc")
	f.IntVar(&q.Limit, "limit", 1000, "at most this many (1 to 1000)")
	f.BoolVar(&asJSON, "json", false, "print the API's JSON (listServices)")
	// RegisterFlagCompletionFunc fails only for a flag that does not exist or has a completion already; TestCompletion
	// completes both.
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions(serviceSorts, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("order", cobra.FixedCompletions([]string{"asc", "desc"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// spellFilters writes q's owner, language and lifecycle values as the catalog spells them, matching without
// regard to case: `--language go` finds the catalog's "Go" services. A value the catalog does not hold stays as
// typed (and finds nothing). It asks the portal for the catalog's values only when a filter is given.
func spellFilters(ctx context.Context, c *client.Client, q *client.ServiceQuery) error {
	if q.Owner == "" && q.Language == "" && q.Lifecycle == "" {
		return nil
	}
	var f struct{ Owners, Languages, Lifecycles []struct{ Value string } }
	if err := c.Do(ctx, http.MethodGet, "/api/v1/facets", nil, nil, &f); err != nil {
		return err
	}
	for _, x := range []struct {
		list  *string
		known []struct{ Value string }
	}{{&q.Owner, f.Owners}, {&q.Language, f.Languages}, {&q.Lifecycle, f.Lifecycles}} {
		if *x.list == "" {
			continue
		}
		vals := strings.Split(*x.list, ",")
		for i, v := range vals {
			v = strings.TrimSpace(v)
			for _, k := range x.known {
				if strings.EqualFold(k.Value, v) {
					v = k.Value
					break
				}
			}
			vals[i] = v
		}
		*x.list = strings.Join(vals, ",")
	}
	return nil
}

// serviceSorts are the orders listServices takes (openapi.yaml's sort parameter; TestServicesFlagsAreChecked).
var serviceSorts = []string{"name", "owner", "language", "lifecycle", "repository", "synced_at", "signals"}

// servicesQuery is q as the API's query parameters.
func servicesQuery(q client.ServiceQuery) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Q, "owner": q.Owner, "language": q.Language, "lifecycle": q.Lifecycle,
		"sort": q.Sort, "order": q.Order} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", fmt.Sprint(q.Limit))
	}
	return v
}

func (a *atrium) serviceCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "service NAME",
		Short: "Show one service: owner, repository, deployments, findings, dependencies, links",
		Example: `  atrium service payments-api
  atrium service payments-api --json | jq '.deployments[] | {cluster, health}'`,
		GroupID:           groupCatalog,
		Args:              cli.ExactArgs(1, "NAME"),
		ValidArgsFunction: a.completeServiceNames,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			name := args[0]
			c, rt, err := a.reader(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			ctx := cmd.Context()
			var raw json.RawMessage
			err = c.Do(ctx, http.MethodGet, "/api/v1/services/"+url.PathEscape(name), nil, nil, &raw)
			if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				return noSuchService(ctx, c, name)
			}
			if err != nil {
				return err
			}
			var s client.Service
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("read service %q: %w", name, err)
			}
			run := createdByRun(ctx, c, s.CreatedByAction)
			if asJSON {
				if run != nil {
					// The service as the API answers it, with the run that created it: the action lives on the
					// portal, the service in the replica, so the CLI joins them.
					var m map[string]json.RawMessage
					if err := json.Unmarshal(raw, &m); err != nil {
						return fmt.Errorf("read service %q: %w", name, err)
					}
					if m["created_by_run"], err = json.Marshal(run); err != nil {
						return err
					}
					if raw, err = json.Marshal(m); err != nil {
						return err
					}
				}
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			if run != nil {
				s.CreatedByAction += " (" + run.State
				if run.Error != "" {
					s.CreatedByAction += ": " + run.Error
				}
				s.CreatedByAction += ")"
			}
			return printService(cmd.OutOrStdout(), s)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON (getService)")
	return cmd
}

// runSummary is the outcome of the golden-path run that created a service, for `atrium service`.
type runSummary struct {
	ID     string            `json:"id"`
	State  string            `json:"state"`
	Error  string            `json:"error,omitempty"`
	Result map[string]string `json:"result,omitempty"`
	Steps  []runStep         `json:"steps,omitempty"`
}

type runStep struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// createdByRun asks the portal for the run that created a service; nil when none did, or when the portal cannot
// say now (offline: the service itself is still shown from the replica).
func createdByRun(ctx context.Context, c *client.Client, id string) *runSummary {
	if id == "" {
		return nil
	}
	a, err := c.Action(ctx, id, 0, 0)
	if err != nil {
		return nil
	}
	r := &runSummary{ID: a.ID, State: string(a.State), Error: a.Error, Result: a.Result}
	for _, st := range a.Steps {
		r.Steps = append(r.Steps, runStep{ID: st.ID, State: string(st.State), Error: st.Error})
	}
	return r
}

// printRaw prints the API's JSON answer to GET path, indented, as it came.
func printRaw(ctx context.Context, w io.Writer, c *client.Client, path string, q url.Values) error {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, path, q, nil, &raw); err != nil {
		return err
	}
	return writeIndented(w, raw)
}

func writeIndented(w io.Writer, raw json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return fmt.Errorf("the API answered JSON that does not parse: %w", err)
	}
	b.WriteByte('\n')
	_, err := b.WriteTo(w)
	return err
}

// printService writes a service for a person: what it is and who owns it, where it runs and how that is going,
// what needs doing, what it depends on, and where to read more.
func printService(w io.Writer, s client.Service) error {
	var b bytes.Buffer
	title := s.Name
	if s.Title != "" && s.Title != s.Name {
		title += " (" + s.Title + ")"
	}
	fmt.Fprintf(&b, "%s\n", title)
	if s.Description != "" {
		fmt.Fprintf(&b, "%s\n", s.Description)
	}
	b.WriteByte('\n')
	tw := newTable(&b)
	field := func(k, v string) {
		if v != "" {
			tw.row("%s\t%s\n", k, v)
		}
	}
	field("owner", s.Owner)
	field("language", s.Language)
	field("lifecycle", s.Lifecycle)
	field("type", s.Type)
	field("system", s.System)
	repo := s.Repository.URL
	if s.Repository.Path != "" {
		repo += " (" + s.Repository.Path + ")"
	}
	field("repository", repo)
	field("tags", strings.Join(s.Tags, ", "))
	field("source", s.Source)
	field("template", s.Template)
	field("created by", s.CreatedByAction)
	if !s.SyncedAt.IsZero() {
		field("synced", s.SyncedAt.Local().Format(time.RFC3339))
	}
	tw.flush()

	section(&b, "deployments", len(s.Deployments))
	if len(s.Deployments) > 0 {
		tw = newTable(&b)
		tw.row("  CLUSTER\tENVIRONMENT\tREGION\tIMAGE\tREADY\tHEALTH\n")
		for _, d := range s.Deployments {
			health := d.Health
			if d.HealthDetail != "" && d.Health != "healthy" {
				health += ": " + d.HealthDetail
			}
			tw.row("  %s\t%s\t%s\t%s\t%d/%d\t%s\n", d.Cluster, d.Environment, d.Region, d.Image, d.Ready, d.Desired, health)
		}
		tw.flush()
	}

	section(&b, "findings", len(s.Findings))
	for _, f := range s.Findings {
		fmt.Fprintf(&b, "  [%s] %s\n", f.Severity, f.Summary)
		if f.Detail != "" {
			fmt.Fprintf(&b, "      %s\n", strings.Join(strings.Fields(f.Detail), " "))
		}
	}

	outdated := 0
	for _, d := range s.Dependencies {
		if d.Behind() != "" {
			outdated++
		}
	}
	if len(s.Dependencies) > 0 {
		fmt.Fprintf(&b, "\ndependencies (%d, %d outdated):\n", len(s.Dependencies), outdated)
		deps := append([]catalog.Dependency(nil), s.Dependencies...)
		sort.SliceStable(deps, func(i, j int) bool { return deps[i].Behind() != "" && deps[j].Behind() == "" })
		tw = newTable(&b)
		for _, d := range deps {
			behind := ""
			if d.Behind() != "" {
				behind = d.Behind() + " behind " + d.Latest
			}
			tw.row("  %s\t%s\t%s\t%s\n", d.Ecosystem, d.Name, d.Version, behind)
		}
		tw.flush()
	} else if !catalog.DependenciesRead(s.Language) {
		lang := s.Language
		if lang == "" {
			lang = "its language"
		}
		fmt.Fprintf(&b, "\ndependencies: not checked (Atrium reads Go and npm dependencies; %s dependencies are not read yet)\n", lang)
	} else {
		section(&b, "dependencies", 0)
	}

	section(&b, "links", len(s.Links))
	if len(s.Links) > 0 {
		tw = newTable(&b)
		for _, l := range s.Links {
			tw.row("  %s\t%s\n", l.Title, l.URL)
		}
		tw.flush()
	}
	_, err := b.WriteTo(w)
	return err
}

// section starts a part of printService's output; an empty one says so in its heading.
func section(b *bytes.Buffer, name string, n int) {
	if n == 0 {
		fmt.Fprintf(b, "\n%s: none\n", name)
		return
	}
	fmt.Fprintf(b, "\n%s:\n", name)
}

// table aligns columns into a bytes.Buffer. Writing to memory cannot fail, so a table has no errors to return: the
// command checks the one write of the whole buffer to its output.
type table struct{ tw *tabwriter.Writer }

func newTable(b *bytes.Buffer) table { return table{tabwriter.NewWriter(b, 2, 4, 2, ' ', 0)} }

// row adds a line; cells are separated by tabs.
func (t table) row(format string, args ...any) { _, _ = fmt.Fprintf(t.tw, format, args...) }

// flush aligns the rows added since the last flush and writes them to the buffer.
func (t table) flush() { _ = t.tw.Flush() }

// notice writes a line for the user: a notice on standard error, or a command's progress. A line that cannot be
// written is dropped: the terminal it was for is where the failure would have been reported.
func notice(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }

// closeAfter closes c when a command returns, and makes a failure to close the command's error unless it failed
// already: closing the replica checkpoints what the sync wrote.
func closeAfter(c io.Closer, err *error) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
