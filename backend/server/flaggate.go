package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
)

// FlagsConfig is the flags section of the portal's configuration file.
//
//	flags:
//	  approvers:                 # roles one of which approves a flag change, per environment
//	    production: [platform_approver]
//	    staging: [team_owner]
//
// Absent: flag changes apply at once — the permission checks (team owners for their team's flags, admins) and the
// audit log still hold. Approvals are a policy a portal chooses, typically for production.
type FlagsConfig struct {
	Approvers map[string][]string `yaml:"approvers"`
}

func (c FlagsConfig) approversOf(env string) []string { return c.Approvers[env] }

func (c FlagsConfig) check() error {
	for env, roles := range c.Approvers {
		for _, r := range roles {
			if r != auth.RolePlatformApprover && r != auth.RoleTeamOwner {
				return fmt.Errorf("flags.approvers.%s: %q is not platform_approver or team_owner", env, r)
			}
		}
	}
	return nil
}

// flagGate holds flag changes that policy says need approval as actions of kind flag_change: they appear in the
// approvers' inbox with every other request, and the worker applies them once approved. Other changes apply at
// once.
type flagGate struct {
	cfg     FlagsConfig
	store   *flagstore.Store
	actions *actions.Service
}

func (g flagGate) Submit(ctx context.Context, c flags.Change) (bool, *flags.Request, error) {
	roles := g.cfg.approversOf(c.Environment)
	if len(roles) == 0 {
		return flags.ApplyNow{Store: g.store}.Submit(ctx, c)
	}
	params, err := json.Marshal(c)
	if err != nil {
		return false, nil, err
	}
	// The same change asked for twice is one request.
	h := sha256.Sum256(params)
	a, _, err := g.actions.Submit(ctx, actions.Action{Requester: c.Actor, Team: c.Team, Kind: actions.KindFlagChange,
		Params: params, Environment: c.Environment, Delivery: actions.DeliveryFlags,
		IdempotencyKey: "flag-change-" + hex.EncodeToString(h[:12]), Approvers: roles})
	if err != nil {
		return false, nil, fmt.Errorf("hold flag change for approval: %w", err)
	}
	who := strings.NewReplacer("platform_approver", "a platform approver", "team_owner",
		"an owner of team "+c.Team).Replace(strings.Join(roles, " or "))
	return false, &flags.Request{ID: a.ID, Message: fmt.Sprintf(
		"Changes to flags in %s wait for approval by %s; this one is request %s.", c.Environment, who, a.ID)}, nil
}

// flagExecutor is the flags delivery path: it applies an approved flag change. Applying it again after a crash
// writes the same definition (a put or import is idempotent), and deleting a flag that is already gone succeeds.
type flagExecutor struct{ store *flagstore.Store }

func (e flagExecutor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	var c flags.Change
	if err := json.Unmarshal(a.Params, &c); err != nil {
		return actions.Outcome{}, actions.Permanentf("flag change of %s is unreadable: %v", a.ID, err)
	}
	c.Comment = strings.TrimSpace(c.Comment + " (approved request " + a.ID + ")")
	err := e.store.Apply(ctx, c)
	switch {
	case err == nil:
	case c.Action == flags.ActionDelete && errors.Is(err, flagstore.ErrNotFound):
	case errors.Is(err, flagstore.ErrConflict), errors.Is(err, flagstore.ErrNotFound):
		return actions.Outcome{}, actions.Permanent(err)
	default:
		var ps flags.Problems
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
