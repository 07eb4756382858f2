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
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
)

// Secrets on the command line (docs/secrets.md), on the same API as the UI: the metadata from the replica, writes
// as actions followed to their end, reveals. A value never comes from a command-line argument — it would stay in the
// shell's history and in every process listing — but from standard input, a file, or a prompt that does not echo.

func (a *atrium) secretsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Secrets of services: list, set, rotate, remove, reveal (values never as arguments)",
		Long: `Every service's secrets: where each exists (environment, region, cluster) and where it is missing, who
created and rotated it, when it was last read — never values. Your own team's secrets you set, rotate and remove
through the portal's actions (approvals per environment); values come from standard input (--stdin), a file
(--from-file) or, on a terminal, a prompt that does not echo — never from an argument. Where the conventions allow,
reveal shows a value once, with a reason that goes into the audit log.`,
		GroupID: groupCatalog,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cli.Usagef("secrets what? atrium secrets ls | set | rotate | rm | reveal")
		},
	}
	cmd.AddCommand(a.secretsListCommand(), a.secretsSetCommand(), a.secretsRotateCommand(), a.secretsRemoveCommand(),
		a.secretsRevealCommand())
	return cmd
}

func (a *atrium) secretsListCommand() *cobra.Command {
	var service, team string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List secrets (names, where they exist and are missing; never values)",
		Long: `List secrets from the local replica: name, service, where each exists and where it is missing, who last
rotated it and when. --json prints the API's list (GET /api/v1/secrets): metadata only.`,
		Example: `  atrium secrets ls
  atrium secrets ls --service checkout --json`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			c, rt, err := a.reader(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			q := url.Values{}
			if service != "" {
				q.Set("service", service)
			}
			if team != "" {
				q.Set("team", team)
			}
			if asJSON {
				return printRaw(cmd.Context(), cmd.OutOrStdout(), c, "/api/v1/secrets", q)
			}
			var out struct {
				Secrets []catalog.Secret `json:"secrets"`
			}
			if err := c.Do(cmd.Context(), http.MethodGet, "/api/v1/secrets", q, nil, &out); err != nil {
				return err
			}
			return printSecrets(cmd.OutOrStdout(), out.Secrets)
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's secrets")
	cmd.Flags().StringVar(&team, "team", "", "only this team's secrets")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON (GET /api/v1/secrets)")
	_ = cmd.RegisterFlagCompletionFunc("service", func(c *cobra.Command, _ []string, p string) ([]string, cobra.ShellCompDirective) {
		return a.completeServiceNames(c, nil, p)
	})
	return cmd
}

func printSecrets(w io.Writer, list []catalog.Secret) error {
	var b bytes.Buffer
	tw := newTable(&b)
	tw.row("SERVICE\tSECRET\tEXISTS IN\tMISSING IN\tROTATED\tBY\n")
	for _, s := range list {
		var in []string
		for _, l := range s.Locations {
			in = append(in, shortPlace(l.SecretPlace))
		}
		var missing []string
		for _, p := range s.Missing {
			missing = append(missing, shortPlace(p))
		}
		rotated := "-"
		if !s.RotatedAt.IsZero() {
			rotated = s.RotatedAt.Local().Format("2006-01-02 15:04")
		}
		tw.row("%s\t%s\t%s\t%s\t%s\t%s\n", s.Service, s.Name, orDash(strings.Join(in, ", ")),
			orDash(strings.Join(missing, ", ")), rotated, orDash(s.RotatedBy))
	}
	if len(list) == 0 {
		tw.row("(no secrets)\n")
	}
	tw.flush()
	_, err := b.WriteTo(w)
	return err
}

func shortPlace(p catalog.SecretPlace) string {
	if p.Cluster != "" {
		return p.Environment + "/" + p.Cluster
	}
	return p.Environment + "/" + p.Region
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// valueFlags are where a write's value comes from.
type valueFlags struct {
	env      string
	regions  []string
	fromFile string
	stdin    bool
	asJSON   bool
	noWait   bool
	timeout  time.Duration
}

func (f *valueFlags) register(cmd *cobra.Command, value bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.env, "env", "", "the environment (required)")
	fl.StringSliceVar(&f.regions, "region", nil, "only these regions (repeatable or comma-separated; default: all where the service runs)")
	if value {
		fl.StringVar(&f.fromFile, "from-file", "", "read the value from this file (its content, as is)")
		fl.BoolVar(&f.stdin, "stdin", false, "read the value from standard input (one trailing newline is dropped)")
	}
	fl.BoolVar(&f.asJSON, "json", false, "print the action as the API answers it")
	fl.BoolVar(&f.noWait, "no-wait", false, "do not follow the action: print it and exit")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "how long to follow the action before leaving it to the portal")
	_ = cmd.MarkFlagRequired("env")
}

// readValue reads the value from --stdin, --from-file or a prompt without echo; never from an argument.
func readValue(cmd *cobra.Command, f valueFlags) ([]byte, error) {
	switch {
	case f.stdin && f.fromFile != "":
		return nil, cli.Usagef("give the value with --stdin or --from-file, not both")
	case f.stdin:
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 8<<20))
		if err != nil {
			return nil, fmt.Errorf("read the value from standard input: %w", err)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		return bytes.TrimSuffix(b, []byte("\r")), nil
	case f.fromFile != "":
		b, err := os.ReadFile(f.fromFile)
		if err != nil {
			return nil, fmt.Errorf("read the value: %w", err)
		}
		return b, nil
	}
	if in, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		notice(cmd.ErrOrStderr(), "value (not shown): ")
		b, err := term.ReadPassword(int(in.Fd()))
		notice(cmd.ErrOrStderr(), "\n")
		if err != nil {
			return nil, fmt.Errorf("read the value: %w", err)
		}
		return b, nil
	}
	return nil, cli.Usagef("give the value with --stdin or --from-file F (never as an argument: it would stay in " +
		"your shell's history and in process listings)")
}

func (a *atrium) secretsSetCommand() *cobra.Command {
	var f valueFlags
	cmd := &cobra.Command{
		Use:   "set SERVICE NAME --env E [--region R] (--stdin | --from-file F)",
		Short: "Create a secret, or write a new version of it (rotate) where it exists",
		Long: `Set a secret of one of your team's services in one environment: created where it does not exist, a new
version where it does. The value comes from --stdin, --from-file or a prompt that does not echo. The request is an
action of the portal (approvals per environment); the command follows it to its end (exit 0 when written, 1 when
it failed: the action says which regions have the new version and a retry writes the rest).`,
		Example: `  printf %s "$DB_PASSWORD" | atrium secrets set checkout db-password --env dev --stdin
  atrium secrets set checkout tls-key --env production --region eu-west-1 --from-file key.pem`,
		Args:              cli.ExactArgs(2, "SERVICE NAME"),
		ValidArgsFunction: a.completeServiceNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.secretWrite(cmd, args[0], args[1], "", f)
		},
	}
	f.register(cmd, true)
	return cmd
}

func (a *atrium) secretsRotateCommand() *cobra.Command {
	var f valueFlags
	cmd := &cobra.Command{
		Use:   "rotate SERVICE NAME --env E [--region R] (--stdin | --from-file F)",
		Short: "Write a new version of an existing secret",
		Long: `Rotate a secret: write a new value to every region of the environment where its service runs (or those
named). The value comes from --stdin, --from-file or a prompt that does not echo.`,
		Args:              cli.ExactArgs(2, "SERVICE NAME"),
		ValidArgsFunction: a.completeServiceNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.secretWrite(cmd, args[0], args[1], "rotate", f)
		},
	}
	f.register(cmd, true)
	return cmd
}

func (a *atrium) secretsRemoveCommand() *cobra.Command {
	var f valueFlags
	cmd := &cobra.Command{
		Use:               "rm SERVICE NAME --env E [--region R]",
		Aliases:           []string{"delete"},
		Short:             "Delete a secret from an environment (or some of its regions)",
		Args:              cli.ExactArgs(2, "SERVICE NAME"),
		ValidArgsFunction: a.completeServiceNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.secretWrite(cmd, args[0], args[1], "delete", f)
		},
	}
	f.register(cmd, false)
	return cmd
}

// secretWrite sends a create (op ""; a rotation where the secret exists), rotate or delete, and follows the action.
func (a *atrium) secretWrite(cmd *cobra.Command, service, name, op string, f valueFlags) (err error) {
	ctx := cmd.Context()
	var value []byte
	if op != "delete" {
		if value, err = readValue(cmd, f); err != nil {
			return err
		}
		defer clear(value)
	}
	c, rt, err := a.writer(cmd)
	if err != nil {
		return err
	}
	defer closeAfter(rt, &err)
	if op == "" {
		op = "create"
		var s catalog.Secret
		err := c.Do(ctx, http.MethodGet, "/api/v1/secrets/"+url.PathEscape(service)+"/"+url.PathEscape(name), nil, nil, &s)
		var ae *client.APIError
		switch {
		case err == nil:
			for _, l := range s.Locations {
				if l.Environment == f.env {
					op = "rotate"
				}
			}
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		default:
			return err
		}
	}
	hdr := http.Header{"Idempotency-Key": {newKey()}}
	var act client.Action
	switch op {
	case "create":
		body, _ := json.Marshal(map[string]any{"service": service, "name": name, "environment": f.env,
			"regions": f.regions, "value": string(value)})
		err = c.DoWith(ctx, http.MethodPost, "/api/v1/secrets", nil, hdr, bytes.NewReader(body), &act)
		clear(body)
	case "rotate":
		body, _ := json.Marshal(map[string]any{"environment": f.env, "regions": f.regions, "value": string(value)})
		err = c.DoWith(ctx, http.MethodPost, "/api/v1/secrets/"+url.PathEscape(service)+"/"+url.PathEscape(name)+"/versions",
			nil, hdr, bytes.NewReader(body), &act)
		clear(body)
	default:
		q := url.Values{"environment": {f.env}}
		if len(f.regions) > 0 {
			q.Set("region", strings.Join(f.regions, ","))
		}
		err = c.DoWith(ctx, http.MethodDelete, "/api/v1/secrets/"+url.PathEscape(service)+"/"+url.PathEscape(name), q, hdr,
			nil, &act)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	log := out
	if f.asJSON {
		log = cmd.ErrOrStderr()
	}
	verb := op
	notice(log, "requested to %s %s/%s in %s: %s (action %s)\n", verb, service, name, f.env, act.State, act.ID)
	final := act
	if !f.noWait {
		if final, err = follow(ctx, c, act, f.timeout, log); err != nil {
			return err
		}
	}
	if f.asJSON {
		if err := printRaw(ctx, out, c, "/api/v1/actions/"+url.PathEscape(final.ID), nil); err != nil {
			return err
		}
	}
	switch final.State {
	case actions.StateSucceeded:
		notice(log, "done: %s/%s %sd in %s\n", service, name, verb, f.env)
		return nil
	case actions.StateFailed:
		return fmt.Errorf("action %s failed: %s", final.ID, final.Error)
	case actions.StateRejected:
		return fmt.Errorf("action %s was rejected: %s", final.ID, final.Reason)
	case actions.StateCancelled:
		return fmt.Errorf("action %s was cancelled", final.ID)
	case actions.StatePendingApproval:
		notice(log, "waiting for approval by %s: nothing is written until then (atrium shows it under Approvals)\n",
			strings.Join(final.Approvers, " or "))
		return nil
	}
	if f.noWait {
		return nil
	}
	return fmt.Errorf("action %s is still %s after %s; the portal carries on (GET /api/v1/actions/%s)", final.ID,
		final.State, f.timeout, final.ID)
}

func (a *atrium) secretsRevealCommand() *cobra.Command {
	var env, region, reason string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reveal SERVICE NAME --env E --reason TEXT [--region R]",
		Short: "Show a secret's value once (where the conventions allow; audited with your reason)",
		Long: `Reveal prints a secret's value to standard output, once: only where the portal's conventions allow you
to (e.g. dev, for the owning team), with a reason that goes into the audit log. Nothing is cached; the value is not
written anywhere else.`,
		Example:           `  atrium secrets reveal checkout db-password --env dev --reason "debugging the login of INC-123"`,
		Args:              cli.ExactArgs(2, "SERVICE NAME"),
		ValidArgsFunction: a.completeServiceNames,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			c, rt, err := a.writer(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			body, _ := json.Marshal(map[string]string{"environment": env, "region": region, "reason": reason})
			var out struct {
				Value         string `json:"value"`
				Region        string `json:"region"`
				RevealSeconds int    `json:"reveal_seconds"`
			}
			var raw json.RawMessage
			if err := c.Do(cmd.Context(), http.MethodPost, "/api/v1/secrets/"+url.PathEscape(args[0])+"/"+
				url.PathEscape(args[1])+"/reveal", nil, bytes.NewReader(body), &raw); err != nil {
				return err
			}
			defer clear(raw)
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				return fmt.Errorf("read the answer: %w", err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), out.Value)
			return err
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "the environment (required)")
	cmd.Flags().StringVar(&region, "region", "", "the region, when the secret exists in several")
	cmd.Flags().StringVar(&reason, "reason", "", "why you need the value (required; kept in the audit log)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's answer (value, region, version, expiry)")
	_ = cmd.MarkFlagRequired("env")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}
