// Package flagchange is the flags delivery path of actions: feature-flag changes that a portal's policy holds for
// approval (typically production) become actions of kind flag_change — in the approvers' inbox with every other
// request, under the same rules — and the worker applies them once approved (Executor), next to the direct and
// gitops delivery paths. Changes that need no approval apply at once. It also records the flag decisions in the
// audit trail (Auditor, AuditTx).
package flagchange

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// Config is the flags section of the portal's configuration file.
//
//	flags:
//	  approvers:                 # roles one of which approves a flag change, per environment
//	    production: [platform_approver]
//	    staging: [team_owner]
//
// Absent: flag changes apply at once — the permission checks (team owners for their team's flags, admins) and the
// audit log still hold. Approvals are a policy a portal chooses, typically for production.
type Config struct {
	Approvers map[string][]string `yaml:"approvers"`
}

func (c Config) approversOf(env string) []string { return c.Approvers[env] }

// Check refuses approver roles that cannot approve flag changes.
func (c Config) Check() error {
	for env, roles := range c.Approvers {
		for _, r := range roles {
			if r != auth.RolePlatformApprover && r != auth.RoleTeamOwner {
				return fmt.Errorf("flags.approvers.%s: %q is not platform_approver or team_owner", env, r)
			}
		}
	}
	return nil
}

// Gate holds flag changes that policy says need approval as actions of kind flag_change: they appear in the
// approvers' inbox with every other request, and the worker applies them once approved. Other changes apply at
// once. It is the flags API's flags.ChangeGate.
type Gate struct {
	Config  Config
	Store   *flagstore.Store
	Actions *actions.Service
}

var (
	_ flags.ChangeGate = Gate{}
	_ actions.Executor = Executor{}
	_ flags.Auditor    = Auditor{}
)

// heldChange is the params of a flag_change action: the change, pinned to the state it was made against
// (flags.Change.Base), and who asked with what authority.
type heldChange struct {
	flags.Change
	Requester *requester `json:"requester,omitempty"`
}

// requester is the principal who asked for a held change, as they were authorised when they asked.
//
// When the change is applied — hours or days later — the executor asks again whether they may make it, so that
// an approval cannot apply a change its requester is no longer allowed to make. How it asks depends on how they
// signed in, and it always takes the narrower answer:
//   - An API token is read again by its id: a token revoked or expired meanwhile fails the change, and the
//     token's grants and scopes as they are now are checked. (Token ids are not secrets; they name tokens in the
//     audit log too.)
//   - An OIDC user cannot be read again: their groups arrive in a signed token that has expired by then, and the
//     portal keeps no directory. Their grants as of the request are checked. Since the change is pinned to the
//     flag's version and team, those grants are checked against the same team they were checked against before;
//     a user removed from a group is seen at their next request, not at this approval — the approver's decision
//     is the control for that window.
//   - The local user of local mode (and any other kind) is treated like an OIDC user.
type requester struct {
	Subject string       `json:"subject"`
	Via     string       `json:"via"`
	TokenID string       `json:"token_id,omitempty"`
	Grants  []auth.Grant `json:"grants,omitempty"` // not for tokens: they are read again
	Scopes  []string     `json:"scopes,omitempty"`
}

// Submit applies c at once, or holds it for approval pinned to the state it was made against and to its
// requester (the principal in ctx, who must be c.Actor), returning the request.
func (g Gate) Submit(ctx context.Context, c flags.Change) (bool, *flags.Request, error) {
	roles := g.Config.approversOf(c.Environment)
	if len(roles) == 0 {
		return flags.ApplyNow{Store: g.Store}.Submit(ctx, c)
	}
	p, ok := auth.FromContext(ctx)
	if !ok || p.Subject != c.Actor {
		return false, nil, fmt.Errorf("hold flag change for approval: the requester %q is not the caller", c.Actor)
	}
	key := c.Key
	if c.Action == flags.ActionImport {
		key = ""
	}
	base, err := g.Store.Base(ctx, c.Environment, key)
	if err != nil {
		return false, nil, fmt.Errorf("hold flag change for approval: %w", err)
	}
	c.Base = base
	who := &requester{Subject: p.Subject, Via: p.Via, TokenID: p.TokenID, Grants: p.Grants, Scopes: p.Scopes}
	if p.Via == "token" {
		who.Grants, who.Scopes = nil, nil // read again from the token when applied; approvers need not see them
	}
	held := heldChange{Change: c, Requester: who}
	params, err := json.Marshal(held)
	if err != nil {
		return false, nil, err
	}
	// The same change asked for twice against the same state, while the first request is open, is one request.
	// Once that one is decided, asking again is a new request: its key follows on from the decided one's, so a
	// retry of the new request still finds it.
	h := sha256.Sum256(params)
	key = "flag-change-" + hex.EncodeToString(h[:12])
	var a actions.Action
	for i := 0; ; i++ {
		var created bool
		a, created, err = g.Actions.Submit(ctx, actions.Action{Requester: c.Actor, Team: c.Team,
			Kind: actions.KindFlagChange, Params: params, Environment: c.Environment, Delivery: actions.DeliveryFlags,
			IdempotencyKey: key, Approvers: roles})
		if err != nil {
			return false, nil, fmt.Errorf("hold flag change for approval: %w", err)
		}
		if created || !a.State.Final() {
			break
		}
		if i == 100 {
			return false, nil, fmt.Errorf("hold flag change for approval: asked for %d times already", i)
		}
		key = "flag-change-" + hex.EncodeToString(h[:12]) + "-after-" + a.ID
	}
	approvers := strings.NewReplacer("platform_approver", "a platform approver", "team_owner",
		"an owner of team "+c.Team).Replace(strings.Join(roles, " or "))
	return false, &flags.Request{ID: a.ID, Message: fmt.Sprintf(
		"Changes to flags in %s wait for approval by %s; this one is request %s.", c.Environment, approvers, a.ID)}, nil
}

// Executor is the flags delivery path (actions.DeliveryFlags): it applies an approved flag change — if its
// requester may still make it, and only to the state it was made against (otherwise it fails with a conflict saying
// what changed). Applying it again after a crash finds the flag already as asked and succeeds without writing.
type Executor struct {
	Store  *flagstore.Store
	Tokens auth.Tokens
}

// Execute implements actions.Executor.
func (e Executor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	var held heldChange
	if err := json.Unmarshal(a.Params, &held); err != nil {
		return actions.Outcome{}, actions.Permanentf("flag change of %s is unreadable: %v", a.ID, err)
	}
	c := held.Change
	if c.Base == nil || held.Requester == nil {
		return actions.Outcome{}, actions.Permanentf("flag change %s was requested before Atrium recorded what it "+
			"was made against and who asked; nothing was changed — request it again", a.ID)
	}
	if err := e.mayStill(ctx, held); err != nil {
		return actions.Outcome{}, err
	}
	c.Comment = strings.TrimSpace(c.Comment + " (approved request " + a.ID + ")")
	err := e.Store.Apply(ctx, c)
	switch {
	case err == nil:
	case c.Action == flags.ActionDelete && errors.Is(err, flagstore.ErrNotFound):
	case errors.Is(err, flagstore.ErrConflict), errors.Is(err, flagstore.ErrNotFound):
		return actions.Outcome{}, actions.Permanent(err)
	default:
		var ps problem.Problems
		if errors.As(err, &ps) {
			return actions.Outcome{}, actions.Permanent(err)
		}
		return actions.Outcome{}, err
	}
	target := c.Environment
	if c.Key != "" {
		target += "/" + c.Key
	}
	return actions.Outcome{Done: true, Result: map[string]string{"flag": target, "change": c.Action}}, nil
}

// mayStill checks that the requester may still make the change, with the same rules as the flags API: an import
// needs flags:import; a put or delete needs flags:write on the team the flag had when the change was requested
// (the store refuses the change if it has another now) and, for a put, on the team it will have; a flag without
// a team is written by those who may import.
func (e Executor) mayStill(ctx context.Context, held heldChange) error {
	r, c := held.Requester, held.Change
	p := auth.Principal{Subject: r.Subject, Via: r.Via, TokenID: r.TokenID, Grants: r.Grants, Scopes: r.Scopes}
	if r.Via == "token" {
		t, err := e.Tokens.Get(ctx, r.TokenID)
		switch {
		case errors.Is(err, auth.ErrTokenNotFound):
			return actions.Permanentf("the token %s that requested this change no longer exists", r.TokenID)
		case err != nil:
			return fmt.Errorf("read the requester's token: %w", err)
		case !t.RevokedAt.IsZero():
			return actions.Permanentf("the token %s that requested this change was revoked at %s; nothing was "+
				"changed", r.TokenID, t.RevokedAt.Format(time.RFC3339))
		case !t.ExpiresAt.IsZero() && !time.Now().Before(t.ExpiresAt):
			return actions.Permanentf("the token %s that requested this change expired at %s; nothing was changed",
				r.TokenID, t.ExpiresAt.Format(time.RFC3339))
		case t.Subject != r.Subject:
			return actions.Permanentf("the token %s that requested this change now belongs to %q", r.TokenID, t.Subject)
		}
		p.Grants, p.Scopes = t.Grants, t.Scopes
	}
	var teams []string
	switch c.Action {
	case flags.ActionImport:
		if d := policy.DecideIn(p, policy.FlagsImport, "", c.Environment); !d.Allow {
			return actions.Permanentf("%s may no longer import flags: %s; nothing was changed", r.Subject, d.Reason)
		}
		return nil
	case flags.ActionPut:
		teams = append(teams, c.Team)
	}
	if c.Base.Flag != nil {
		teams = append(teams, c.Base.Flag.Team)
	}
	for _, team := range teams {
		perm := policy.FlagsWrite
		if team == "" {
			perm = policy.FlagsImport
		}
		if d := policy.DecideIn(p, perm, team, c.Environment); !d.Allow {
			return actions.Permanentf("%s may no longer change flag %q in %s: %s; nothing was changed", r.Subject,
				c.Key, c.Environment, d.Reason)
		}
	}
	return nil
}

// Previewer says what a held flag change will do (actions.Previewer): the flag as it is now and as the change
// makes it — the diff an approver decides on, in the same shape the flag's history shows — or, for an import, the
// flags it adds, changes and removes; with a warning when the target moved on since the request (approving then
// applies nothing: the executor fails it with a conflict).
type Previewer struct {
	Store *flagstore.Store
}

var _ actions.Previewer = Previewer{}

// Preview implements actions.Previewer.
func (p Previewer) Preview(ctx context.Context, a actions.Action) (actions.Preview, error) {
	var held heldChange
	if err := json.Unmarshal(a.Params, &held); err != nil {
		return actions.Preview{}, fmt.Errorf("flag change of %s is unreadable: %w", a.ID, err)
	}
	c := held.Change
	fp := &actions.FlagPreview{Environment: c.Environment, Key: c.Key, Action: c.Action, Comment: c.Comment,
		Before: json.RawMessage("null"), After: json.RawMessage("null")}
	out := actions.Preview{Flag: fp}
	if c.Action == flags.ActionImport {
		return p.previewImport(ctx, c, out)
	}
	if c.Base != nil && c.Base.Flag != nil {
		fp.BaseVersion, fp.TeamBefore = c.Base.Flag.Version, c.Base.Flag.Team
	}
	now, err := p.Store.Get(ctx, c.Environment, c.Key)
	switch {
	case err == nil:
		fp.Before, fp.CurrentVersion = now.Definition, now.Version
		if fp.TeamBefore == "" {
			fp.TeamBefore = now.Team
		}
	case !errors.Is(err, flagstore.ErrNotFound):
		return actions.Preview{}, err
	}
	switch c.Action {
	case flags.ActionPut:
		fp.TeamAfter = c.Team
		if c.Flag != nil {
			fp.After = c.Flag.Canonical()
		}
		verb := "Changes"
		if fp.BaseVersion == 0 {
			verb = "Creates"
		}
		out.Summary = append(out.Summary, fmt.Sprintf("%s the flag %s in %s (team %s).", verb, c.Key, c.Environment, c.Team))
	case flags.ActionDelete:
		fp.TeamAfter = fp.TeamBefore
		out.Summary = append(out.Summary, fmt.Sprintf("Closes the flag %s in %s: services asking for it get their "+
			"code default.", c.Key, c.Environment))
	}
	switch {
	case a.State == actions.StateSucceeded:
		// Applied: the diff is the one the flag's history recorded for it, not against the flag as it is now.
		if e, ok, err := p.applied(ctx, c, a.ID); err != nil {
			return actions.Preview{}, err
		} else if ok {
			fp.Before, fp.After, fp.CurrentVersion = orNull(e.Before), orNull(e.After), e.Version
		}
	case !a.State.Final() && fp.CurrentVersion != fp.BaseVersion:
		out.Warnings = append(out.Warnings, movedOn(fp.BaseVersion, fp.CurrentVersion))
	}
	return out, nil
}

// applied finds the history entry an approved change wrote: the executor notes the request in its comment.
func (p Previewer) applied(ctx context.Context, c flags.Change, id string) (flagstore.Entry, bool, error) {
	entries, err := p.Store.History(ctx, c.Environment, c.Key, 500)
	if err != nil {
		return flagstore.Entry{}, false, err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Comment, "(approved request "+id+")") {
			return e, true, nil
		}
	}
	return flagstore.Entry{}, false, nil
}

func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// movedOn is the warning for a flag whose version is no longer the one a held change was made against.
func movedOn(base, now int) string {
	switch {
	case base == 0:
		return fmt.Sprintf("The flag was created (version %d) after this change was requested: approving it applies "+
			"nothing — it fails with a conflict. Ask for the change again on the flag as it is.", now)
	case now == 0:
		return fmt.Sprintf("The flag was deleted after this change was requested (at version %d): approving it "+
			"applies nothing — it fails with a conflict.", base)
	}
	return fmt.Sprintf("The flag changed after this change was requested (version %d → %d): approving it applies "+
		"nothing — it fails with a conflict. The diff below is against the flag as it is now.", base, now)
}

func (p Previewer) previewImport(ctx context.Context, c flags.Change, out actions.Preview) (actions.Preview, error) {
	set, err := p.Store.Load(ctx, c.Environment)
	if err != nil {
		return actions.Preview{}, err
	}
	d := &actions.ImportDelta{Added: []string{}, Changed: []string{}, Removed: []string{}}
	var incoming map[string]*flags.Flag
	if c.File != nil {
		incoming = c.File.Flags
	}
	current := map[string]*flags.Flag{}
	if set.File != nil {
		current = set.File.Flags
	}
	for key, f := range incoming {
		old, ok := current[key]
		switch {
		case !ok:
			d.Added = append(d.Added, key)
		case string(old.Canonical()) != string(f.Canonical()):
			d.Changed = append(d.Changed, key)
		default:
			d.Unchanged++
		}
	}
	for key := range current {
		if _, ok := incoming[key]; !ok {
			d.Removed = append(d.Removed, key)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Changed)
	sort.Strings(d.Removed)
	out.Flag.Import = d
	out.Summary = append(out.Summary, fmt.Sprintf("Replaces the flags of %s with the imported file: %d added, %d "+
		"changed, %d removed, %d unchanged.", c.Environment, len(d.Added), len(d.Changed), len(d.Removed), d.Unchanged))
	if c.Base != nil && c.Base.ETag != "" && c.Base.ETag != set.ETag {
		out.Warnings = append(out.Warnings, "The flags of "+c.Environment+" changed after this import was requested: "+
			"approving it applies nothing — it fails with a conflict.")
	}
	return out, nil
}
