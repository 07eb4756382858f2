package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/fleet"
)

// The fleet configuration and the adoption KPI on the command line (docs/fleet.md): admins' commands on the same
// API as the Fleet page.

// nopCloser closes nothing.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// admin is the client of an admin command. With --portal it talks to that portal directly with --token (or
// $ATRIUM_PORTAL_TOKEN), storing neither; without it, to the configured portal through this desktop (in local
// mode, the in-process portal, as its admin).
func (a *atrium) admin(cmd *cobra.Command) (*client.Client, io.Closer, error) {
	if a.portal != "" {
		u, err := app.ValidatePortalURL(a.portal)
		if err != nil {
			return nil, nil, cli.Usagef("--portal: %v", err)
		}
		tok := a.tokenOrEnv()
		if tok == "" {
			return nil, nil, cli.Usagef("--portal needs an admin's token: --token TOKEN or $ATRIUM_PORTAL_TOKEN")
		}
		return client.New(u, tok), nopCloser{}, nil
	}
	rt, err := a.openReadOnly(cmd.Context(), cli.NewLogger(cmd.ErrOrStderr(), true))
	if err != nil {
		return nil, nil, err
	}
	c := rt.Client("cli")
	return c, rt, nil
}

func (a *atrium) fleetCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Push configuration to every desktop install, and see the installs (admins)",
		Long: `Admins push a configuration every desktop install applies within seconds — banner, landing page, default
team, pages on or off, minimum app version, sync timings, the organisation's links — see which installs are on
it, and roll back. The file is YAML or JSON (docs/fleet.md has the schema). --portal URL --token ADMIN talk to
that portal directly and store nothing; without --portal, the configured portal (or local mode's).`,
		Example: `  atrium fleet preview fleet.yaml --portal https://atrium.example.com --token "$ADMIN"
  atrium fleet push fleet.yaml --portal https://atrium.example.com --token "$ADMIN"
  atrium fleet installs --filter stale_config --json --portal https://atrium.example.com --token "$ADMIN"
  atrium fleet rollback 3 --note "back to last week's banner"`,
		GroupID: groupPortal,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cli.Usagef("name a subcommand: push, preview, installs, history, rollback, trust")
		},
	}
	cmd.AddCommand(a.fleetPushCommand(false), a.fleetPushCommand(true), a.fleetInstallsCommand(),
		a.fleetHistoryCommand(), a.fleetRollbackCommand(), a.fleetTrustCommand())
	return cmd
}

// readConfigFile reads a configuration document, YAML or JSON, as JSON.
func readConfigFile(path string) (json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > 1<<20 {
		return nil, fmt.Errorf("%s is larger than 1 MiB; a configuration is at most %d bytes", path, fleet.MaxBytes)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		if !json.Valid(b) {
			var v any
			err := json.Unmarshal(b, &v)
			return nil, fmt.Errorf("%s is not valid JSON: %w", path, err)
		}
		return b, nil
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", path, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (keys must be strings)", path, err)
	}
	return out, nil
}

// explainProblems turns a refusal into lines naming each field in the file (without the request's /config).
func explainProblems(err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s:", ae.Message)
	for _, f := range ae.Fields {
		field := strings.TrimPrefix(f.Field, "/config")
		if field == "" {
			field = "(the file)"
		}
		fmt.Fprintf(&b, "\n  %s: %s", field, f.Problem)
	}
	return errors.New(b.String())
}

func (a *atrium) fleetPushCommand(preview bool) *cobra.Command {
	var asJSON bool
	var note string
	var base int64
	use, short := "push FILE", "Push a configuration (YAML or JSON) to every install; prints its version"
	if preview {
		use, short = "preview FILE", "Show which installs would get what from a configuration, without pushing it"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cli.ExactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			doc, err := readConfigFile(args[0])
			if err != nil {
				return err
			}
			c, closer, err := a.admin(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(closer, &err)
			body := api.FleetPush{Config: doc, Note: note}
			if cmd.Flags().Changed("base-version") {
				body.BaseVersion = &base
			}
			path := "/api/v1/fleet/config"
			if preview {
				path = "/api/v1/fleet/preview"
			}
			var raw json.RawMessage
			if err := c.Do(cmd.Context(), http.MethodPost, path, nil, jsonReader(body), &raw); err != nil {
				return explainProblems(err)
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			if preview {
				var p api.FleetPreview
				if err := json.Unmarshal(raw, &p); err != nil {
					return err
				}
				return printPreview(cmd.OutOrStdout(), p)
			}
			var v api.FleetVersion
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "pushed version %d (signed by key %s)\n", v.Version, v.KeyID)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	if !preview {
		cmd.Flags().StringVar(&note, "note", "", "why, for the history")
		cmd.Flags().Int64Var(&base, "base-version", 0, "refuse the push if the newest version is not this one (what you previewed)")
	}
	return cmd
}

func jsonReader(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // wire types only
	}
	return bytes.NewReader(b)
}

func printPreview(w io.Writer, p api.FleetPreview) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "version %d would replace version %d; %d of %d installs get a different setting\n\n", p.Version,
		p.Current, p.Changed, p.Installs)
	tw := newTable(&b)
	tw.row("GROUP\tINSTALLS\tCHANGED\tSETTINGS\n")
	for _, g := range p.Groups {
		name := "everyone else"
		if g.Team != "" {
			name = "team " + g.Team
		}
		changed := strings.Join(g.Changed, ", ")
		if changed == "" {
			changed = "-"
		}
		tw.row("%s\t%d\t%s\t%s\n", name, g.Installs, changed, strings.Join(g.Settings.Set(), ", "))
	}
	tw.flush()
	if p.DefaultsChanged {
		b.WriteString("\nthe settings users may override changed\n")
	}
	_, err := b.WriteTo(w)
	return err
}

func (a *atrium) fleetInstallsCommand() *cobra.Command {
	var asJSON bool
	var filter, team string
	cmd := &cobra.Command{
		Use:   "installs",
		Short: "List the desktop installs: user, team, OS, app version, configuration applied, last seen",
		Long: `List every desktop install as it last reported. --filter stale_config (not on the latest configuration),
below_minimum (below the minimum app version) or unseen (not seen for 7 days). --json prints the installs as a
JSON array: [{"id", "user", "team", "os", "app_version", "config_version", "last_seen", ...}].`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			c, closer, err := a.admin(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(closer, &err)
			q := url.Values{}
			if filter != "" {
				q.Set("filter", filter)
			}
			if team != "" {
				q.Set("team", team)
			}
			var list struct {
				Items         json.RawMessage `json:"items"`
				LatestVersion int64           `json:"latest_version"`
				Counts        map[string]int  `json:"counts"`
			}
			if err := c.Do(cmd.Context(), http.MethodGet, "/api/v1/fleet/installs", q, nil, &list); err != nil {
				return err
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), list.Items)
			}
			var items []fleet.InstallRecord
			if err := json.Unmarshal(list.Items, &items); err != nil {
				return err
			}
			var b bytes.Buffer
			fmt.Fprintf(&b, "%d installs (latest configuration: version %d; %d not on it, %d below the minimum app version, "+
				"%d not seen for 7 days)\n\n", list.Counts["all"], list.LatestVersion, list.Counts[fleet.FilterStaleConfig],
				list.Counts[fleet.FilterBelowMinimum], list.Counts[fleet.FilterUnseen])
			tw := newTable(&b)
			tw.row("INSTALL\tUSER\tTEAM\tOS\tAPP\tCONFIG\tLAST SEEN\tNOTE\n")
			for _, in := range items {
				var notes []string
				if in.BelowMinimum {
					notes = append(notes, "below "+in.MinAppVersion)
				}
				if in.ConfigError != "" {
					notes = append(notes, in.ConfigError)
				}
				tw.row("%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", in.ID, in.User, dash(in.Team), in.OS, in.AppVersion,
					in.ConfigVersion, in.LastSeen.Local().Format(time.DateTime), strings.Join(notes, "; "))
			}
			tw.flush()
			_, err = b.WriteTo(cmd.OutOrStdout())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the installs as a JSON array")
	cmd.Flags().StringVar(&filter, "filter", "", "stale_config, below_minimum or unseen")
	cmd.Flags().StringVar(&team, "team", "", "only installs of this team")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *atrium) fleetHistoryCommand() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the versions of the fleet configuration, newest first",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			c, closer, err := a.admin(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(closer, &err)
			var raw json.RawMessage
			if err := c.Do(cmd.Context(), http.MethodGet, "/api/v1/fleet/history", url.Values{"limit": {strconv.Itoa(limit)}},
				nil, &raw); err != nil {
				return err
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			var h api.Items[api.FleetVersion]
			if err := json.Unmarshal(raw, &h); err != nil {
				return err
			}
			var b bytes.Buffer
			tw := newTable(&b)
			tw.row("VERSION\tPUSHED\tBY\tNOTE\n")
			for _, v := range h.Items {
				tw.row("%d\t%s\t%s\t%s\n", v.Version, v.CreatedAt.Local().Format(time.DateTime), v.CreatedBy, v.Note)
			}
			tw.flush()
			_, err = b.WriteTo(cmd.OutOrStdout())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, "how many versions")
	return cmd
}

func (a *atrium) fleetRollbackCommand() *cobra.Command {
	var asJSON bool
	var note string
	cmd := &cobra.Command{
		Use:   "rollback VERSION",
		Short: "Push an earlier version's content again, as a new version; prints it",
		Args:  cli.ExactArgs(1, "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			v, perr := strconv.ParseInt(args[0], 10, 64)
			if perr != nil || v < 1 {
				return cli.Usagef("VERSION must be a version number (atrium fleet history lists them), not %q", args[0])
			}
			c, closer, err := a.admin(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(closer, &err)
			var raw json.RawMessage
			if err := c.Do(cmd.Context(), http.MethodPost, "/api/v1/fleet/rollback", nil,
				jsonReader(api.FleetRollback{Version: v, Note: note}), &raw); err != nil {
				return explainProblems(err)
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			var nv api.FleetVersion
			if err := json.Unmarshal(raw, &nv); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "pushed version %d (the content of version %d)\n", nv.Version, v)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	cmd.Flags().StringVar(&note, "note", "", "why, for the history")
	return cmd
}

func (a *atrium) fleetTrustCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "trust KEY_ID",
		Short: "Trust the portal's new signing key on this install (after your platform team rotated it)",
		Long: `When the portal's signing key changes, this install refuses its configurations until you trust the new
key. Compare KEY_ID with the fingerprint your platform team announced (GET /api/v1/fleet/key shows it), then run
this on the install (or use Settings → Trust the new key).`,
		Args: cli.ExactArgs(1, "KEY_ID"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			rt, err := a.openReadOnly(cmd.Context(), cli.NewLogger(cmd.ErrOrStderr(), true))
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			rt.AwaitSync(cmd.Context()) // the portal presents its key on the feed
			if err := rt.TrustFleetKey(args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "trusted the portal's key %s\n", args[0])
			return err
		},
	}
}

func (a *atrium) kpiCommand() *cobra.Command {
	var asJSON bool
	var weeks int
	var csvTable string
	cmd := &cobra.Command{
		Use:   "kpi",
		Short: "The adoption KPI: weekly active developers as a percentage of all developers",
		Long: `The percentage of developers (from the identity source: GitHub organisation members, or the uploaded
list) who used Atrium at least once in the past seven days, week by week, with this week by team and by feature.
--json prints the API's JSON: {"weeks": [{"week", "end", "active", "developers", "percent"}...], "teams", "features", ...}.
--csv weeks|teams|features prints that table as CSV.`,
		Example: `  atrium kpi --portal https://atrium.example.com --token "$ADMIN"
  atrium kpi --json | jq '.weeks[-1].percent'
  atrium kpi --csv teams > adoption-by-team.csv`,
		GroupID: groupPortal,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			c, closer, err := a.admin(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(closer, &err)
			q := url.Values{"weeks": {strconv.Itoa(weeks)}}
			if csvTable != "" {
				q.Set("format", "csv")
				q.Set("table", csvTable)
				var buf bytes.Buffer
				if err := c.DoRaw(cmd.Context(), http.MethodGet, "/api/v1/kpi/adoption", q, &buf); err != nil {
					return err
				}
				_, err = buf.WriteTo(cmd.OutOrStdout())
				return err
			}
			var raw json.RawMessage
			if err := c.Do(cmd.Context(), http.MethodGet, "/api/v1/kpi/adoption", q, nil, &raw); err != nil {
				return err
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			var a fleet.Adoption
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			return printAdoption(cmd.OutOrStdout(), a)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	cmd.Flags().IntVar(&weeks, "weeks", 26, "weeks of trend (1 to 104)")
	cmd.Flags().StringVar(&csvTable, "csv", "", "print one table as CSV: weeks, teams or features")
	cmd.AddCommand(a.kpiDevelopersCommand())
	return cmd
}

func printAdoption(w io.Writer, a fleet.Adoption) error {
	var b bytes.Buffer
	if n := len(a.Weeks); n > 0 {
		last := a.Weeks[n-1]
		fmt.Fprintf(&b, "weekly active developers: %.1f%% (%d of %d, %s to %s)", last.Percent, last.Active,
			last.Developers, last.Week, last.End)
		if a.OtherActive > 0 {
			fmt.Fprintf(&b, "; %d more active people are not in the directory", a.OtherActive)
		}
		b.WriteString("\n\n")
	}
	tw := newTable(&b)
	tw.row("WEEK\tACTIVE\tDEVELOPERS\tPERCENT\n")
	for _, wk := range a.Weeks {
		tw.row("%s\t%d\t%d\t%.1f%%\n", wk.Week, wk.Active, wk.Developers, wk.Percent)
	}
	tw.flush()
	if len(a.Teams) > 0 {
		b.WriteString("\n")
		tw.row("TEAM\tACTIVE\tDEVELOPERS\tPERCENT\n")
		for _, t := range a.Teams {
			tw.row("%s\t%d\t%d\t%.1f%%\n", t.Team, t.Active, t.Developers, t.Percent)
		}
		tw.flush()
	}
	b.WriteString("\n")
	tw.row("FEATURE\tACTIVE\tOF ACTIVE\n")
	for _, f := range a.Features {
		tw.row("%s\t%d\t%.1f%%\n", f.Feature, f.Active, f.Percent)
	}
	tw.flush()
	_, err := b.WriteTo(w)
	return err
}

func (a *atrium) kpiDevelopersCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "developers FILE",
		Short: "Upload the list of all developers (YAML or JSON) when the identity source has no directory",
		Long: `For portals whose sign-in has no directory API (OpenID Connect alone): upload every developer, with
their teams and the other names they sign in with, as YAML or JSON:
  developers:
    - {login: ana, teams: [payments], aliases: [ana@example.com]}
The upload replaces the previous one; GitHub organisations configured on the portal are read on their own.`,
		Args: cli.ExactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			doc, err := readConfigFile(args[0])
			if err != nil {
				return err
			}
			c, closer, err := a.admin(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(closer, &err)
			var ch fleet.DirectoryChange
			if err := c.Do(cmd.Context(), http.MethodPut, "/api/v1/kpi/developers", nil, bytes.NewReader(doc), &ch); err != nil {
				return explainProblems(err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d developers (%d added, %d removed)\n", ch.Developers, ch.Added, ch.Removed)
			return err
		},
	}
}
