package cmd

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/internal/catalog"
)

func (a *atrium) driftCommand() *cobra.Command {
	var service, team, kind string
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "List drift: resources missing where their siblings are, live but undeclared, or changed from gitops",
		Long: `List drift items from the local replica (offline too): each resource missing in an environment's region
or cluster where its siblings exist, live but declared nowhere (unmanaged), or changed from its gitops declaration
(the fields that differ, e.g. spec.maxReplicas 10 → 25), with its service, environment, region, since when, and who
changed it last where known. Places the portal could not see are listed as unknown. --json prints the API's JSON
(GET /api/v1/drift): {"items": [{"kind", "service", "resource", "environment", "region", "fields", ...}], "status"}.`,
		Example: `  atrium drift
  atrium drift --service payments-api
  atrium drift --kind changed --json | jq '.items[] | {resource, fields}'`,
		GroupID: groupCatalog,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			switch kind {
			case "", catalog.DriftMissing, catalog.DriftUnmanaged, catalog.DriftChanged:
			default:
				return cli.Usagef("--kind must be missing, unmanaged or changed, not %q", kind)
			}
			c, rt, err := a.reader(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			ctx := cmd.Context()
			if service != "" {
				if _, err := c.Service(ctx, service); err != nil {
					return noSuchService(ctx, c, service)
				}
			}
			q := url.Values{}
			for k, v := range map[string]string{"service": service, "team": team, "kind": kind} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if all {
				q.Set("resolved", "true")
			}
			if asJSON {
				return printRaw(ctx, cmd.OutOrStdout(), c, "/api/v1/drift", q)
			}
			var out api.DriftList
			if err := c.Do(ctx, http.MethodGet, "/api/v1/drift", q, nil, &out); err != nil {
				return err
			}
			return printDrift(cmd.OutOrStdout(), out)
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's drift")
	cmd.Flags().StringVar(&team, "team", "", "only this team's drift")
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind: missing, unmanaged or changed")
	cmd.Flags().BoolVar(&all, "all", false, "include resolved drift (kept a week)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON (GET /api/v1/drift)")
	_ = cmd.RegisterFlagCompletionFunc("service", func(c *cobra.Command, _ []string, p string) ([]string, cobra.ShellCompDirective) {
		return a.completeServiceNames(c, nil, p)
	})
	_ = cmd.RegisterFlagCompletionFunc("kind", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{catalog.DriftMissing, catalog.DriftUnmanaged, catalog.DriftChanged}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// printDrift writes the items for a person, each with what differs, then the places nobody could see.
func printDrift(w io.Writer, l api.DriftList) error {
	var b bytes.Buffer
	tw := newTable(&b)
	tw.row("KIND\tSERVICE\tRESOURCE\tENVIRONMENT\tREGION\tCLUSTER\tSINCE\tSTATE\tWHAT\n")
	for _, it := range l.Items {
		what := it.Summary
		if it.LastChangedBy != "" {
			what += " (last changed by " + it.LastChangedBy + ")"
		}
		tw.row("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Kind, orDash(it.Service), it.Resource, it.Environment,
			it.Region, orDash(it.Cluster), it.Since.Local().Format("2006-01-02 15:04"), it.State, what)
		if len(it.Fields) > 1 {
			// One line per field, outside the columns (a line without tabs sets no column's width).
			for _, f := range it.Fields {
				tw.row("    %s %s → %s\n", f.Path, f.Desired, f.Live)
			}
		}
	}
	if len(l.Items) == 0 {
		tw.row("(no drift)\n")
	}
	tw.flush()
	var unknown []string
	for _, p := range l.Status.Places {
		if p.State == catalog.DriftPlaceUnknown {
			where := p.Environment + " " + p.Region
			if p.Cluster != "" {
				where += " (cluster " + p.Cluster + ")"
			}
			unknown = append(unknown, fmt.Sprintf("  %s: %s", where, p.Reason))
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(&b, "\nUnknown (not seen; nothing concluded there):\n%s\n", strings.Join(unknown, "\n"))
	}
	_, err := b.WriteTo(w)
	return err
}
