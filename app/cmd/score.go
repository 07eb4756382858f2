package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/cli"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/scorecard"
)

func (a *atrium) scoreCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "score SERVICE",
		Short: "Show a service's scorecard: score, level, each rule with why and how to fix it",
		Long: `Show a service's readiness scorecard: its score and level, each rule passed, failed or unknown with why
and how to fix it, and what the next level needs. Answered from the local replica (offline too).`,
		Example: `  atrium score payments-api
  atrium score payments-api --json | jq '.rules[] | select(.status == "failed") | .name'`,
		GroupID:           groupCatalog,
		Args:              cli.ExactArgs(1, "SERVICE"),
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
			err = c.Do(ctx, http.MethodGet, "/api/v1/services/"+url.PathEscape(name)+"/scorecard", nil, nil, &raw)
			if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				if _, serr := c.Service(ctx, name); serr == nil {
					return fmt.Errorf("service %q has no scorecard: scorecards may be switched off on the portal", name)
				}
				return noSuchService(ctx, c, name)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeIndented(cmd.OutOrStdout(), raw)
			}
			var card api.ServiceScorecard
			if err := json.Unmarshal(raw, &card); err != nil {
				return fmt.Errorf("read the scorecard of %q: %w", name, err)
			}
			return printScorecard(cmd.OutOrStdout(), card)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON (getServiceScorecard)")
	return cmd
}

// printScorecard writes a card for a person: where the service stands, then every rule, failed ones first.
func printScorecard(w io.Writer, c api.ServiceScorecard) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: score %d, level %s (threshold %g", c.Service, c.Score, c.Level, c.Threshold)
	if c.Below {
		b.WriteString(", below: production deploys are refused")
	}
	b.WriteString(")\n")
	if c.Next != nil && len(c.Next.Rules) > 0 {
		fmt.Fprintf(&b, "for %s: fix %s\n", c.Next.Level, strings.Join(c.Next.Rules, ", "))
	}
	b.WriteByte('\n')
	tw := newTable(&b)
	tw.row("STATUS\tRULE\tLEVEL\tWEIGHT\tWHY\n")
	for _, status := range []string{catalog.RuleFailed, catalog.RuleUnknown, catalog.RulePassed} {
		for _, r := range c.Rules {
			if r.Status != status {
				continue
			}
			tw.row("%s\t%s\t%s\t%d\t%s\n", r.Status, r.Name, r.Level, r.Weight, r.Message)
		}
	}
	tw.flush()
	for _, r := range c.Rules {
		if r.Status == catalog.RuleFailed && r.Remediation != "" {
			fmt.Fprintf(&b, "\nto fix %s: %s", r.Name, r.Remediation)
		}
	}
	b.WriteByte('\n')
	_, err := b.WriteTo(w)
	return err
}

func (a *atrium) gateCommand() *cobra.Command {
	var env string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "gate SERVICE --env ENVIRONMENT",
		Short: "Ask the deploy gate whether SERVICE may be deployed to ENVIRONMENT (exit 0 yes, 1 no)",
		Long: `Ask the portal's deploy gate whether SERVICE may be deployed to ENVIRONMENT now: the score, the
threshold and the failing rules. For CI pipelines: the exit code is 0 when the deploy is allowed (an admin's
exception counts), 1 when it is refused (the failing rules are printed) or the question could not be answered,
2 for a wrong command line. A token scoped gates:check is enough (--token or $ATRIUM_PORTAL_TOKEN).`,
		Example: `  atrium gate payments-api --env production
  atrium gate payments-api --env production --json`,
		GroupID:           groupCatalog,
		Args:              cli.ExactArgs(1, "SERVICE"),
		ValidArgsFunction: a.completeServiceNames,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			name := args[0]
			if strings.TrimSpace(env) == "" {
				return cli.Usagef("--env is required (e.g. --env production)")
			}
			c, rt, err := a.reader(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			ctx := cmd.Context()
			var raw json.RawMessage
			err = c.Do(ctx, http.MethodGet, "/api/v1/gates/deploy", url.Values{"service": {name}, "environment": {env}},
				nil, &raw)
			if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				return noSuchService(ctx, c, name)
			}
			if err != nil {
				return err
			}
			var d scorecard.Decision
			if err := json.Unmarshal(raw, &d); err != nil {
				return fmt.Errorf("read the gate's answer: %w", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				err = writeIndented(out, raw)
			} else {
				err = printDecision(out, d)
			}
			if err != nil {
				return err
			}
			if !d.Allowed {
				return fmt.Errorf("%s may not be deployed to %s: %s", name, env, d.Reason)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "the environment to deploy to (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON (checkDeployGate)")
	return cmd
}

func printDecision(w io.Writer, d scorecard.Decision) error {
	var b bytes.Buffer
	verdict := "allowed"
	if !d.Allowed {
		verdict = "refused"
	}
	fmt.Fprintf(&b, "%s to %s: %s — score %d, threshold %g, level %s\n", d.Service, d.Environment, verdict, d.Score,
		d.Threshold, d.Level)
	fmt.Fprintf(&b, "%s\n", d.Reason)
	if len(d.Failing) > 0 {
		b.WriteString("failing rules:\n")
		for _, f := range d.Failing {
			fmt.Fprintf(&b, "  %s: %s\n", f.Rule, f.Message)
		}
	}
	_, err := b.WriteTo(w)
	return err
}
