package scorecard

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// ErrNotFound is returned for an exception that does not exist.
var ErrNotFound = errors.New("not found")

// Failing is a rule that failed (or is unknown) for a service, with why: what the gate reports.
type Failing struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Decision is the deploy gate's answer: may this service be deployed to this environment now?
type Decision struct {
	Allowed     bool    `json:"allowed"`
	Service     string  `json:"service"`
	Environment string  `json:"environment"`
	Score       int     `json:"score"`
	Threshold   float64 `json:"threshold"`
	Level       string  `json:"level"`
	// Gated says whether the environment's deploys are gated at all (scorecards.gate.environments).
	Gated   bool      `json:"gated"`
	Failing []Failing `json:"failing"`
	// Unknown are rules that could not be evaluated for the service: they neither block nor help.
	Unknown []Failing `json:"unknown"`
	// Exception is the admin's exception in effect, when one lets a service below the threshold through.
	Exception *Exception `json:"exception,omitempty"`
	// Reason says why, in a sentence for a CI log.
	Reason string `json:"reason"`
}

// Gate answers deploy gate questions from the stored scorecards.
type Gate struct {
	DB         *store.DB
	Engine     *Engine // nil: scorecards off, every deploy allowed
	Exceptions *Exceptions
}

// Decide answers for service in env. A service without a stored scorecard yet (just added) is scored on the
// spot; one that does not exist is catalog.ErrNotFound.
func (g *Gate) Decide(ctx context.Context, service, env string) (Decision, error) {
	d := Decision{Service: service, Environment: env, Failing: []Failing{}, Unknown: []Failing{}}
	if g.Engine == nil {
		if _, err := g.DB.GetService(ctx, service); err != nil {
			return d, err
		}
		d.Allowed, d.Reason = true, "scorecards are switched off on this portal: nothing is gated"
		return d, nil
	}
	card, err := g.DB.GetScorecardNow(ctx, service)
	if errors.Is(err, catalog.ErrNotFound) {
		s, serr := g.DB.GetService(ctx, service)
		if serr != nil {
			return d, serr
		}
		p, perr := PlatformOf(ctx, g.DB, g.Engine)
		if perr != nil {
			return d, perr
		}
		card, err = g.Engine.Score(&s, p), nil
	}
	if err != nil {
		return d, err
	}
	d.Score, d.Threshold, d.Level = card.Score, card.Threshold, card.Level
	for _, r := range card.Results {
		switch r.Status {
		case catalog.RuleFailed:
			d.Failing = append(d.Failing, Failing{Rule: r.Rule, Message: r.Message})
		case catalog.RuleUnknown:
			d.Unknown = append(d.Unknown, Failing{Rule: r.Rule, Message: r.Message})
		}
	}
	d.Gated = g.Engine.Gated(env)
	switch {
	case !d.Gated:
		d.Allowed = true
		d.Reason = fmt.Sprintf("deploys to %s are not gated", env)
	case !card.Below:
		d.Allowed = true
		d.Reason = fmt.Sprintf("score %d reaches the threshold %g", card.Score, card.Threshold)
	default:
		ex, err := g.Exceptions.Active(ctx, service, env)
		if err != nil {
			return d, err
		}
		if ex != nil {
			d.Allowed, d.Exception = true, ex
			d.Reason = fmt.Sprintf("score %d is below the threshold %g, but exception %s by %s allows deploys to %s "+
				"until %s: %s", card.Score, card.Threshold, ex.ID, ex.CreatedBy, env,
				ex.ExpiresAt.UTC().Format(time.RFC3339), ex.Reason)
			break
		}
		names := make([]string, len(d.Failing))
		for i, f := range d.Failing {
			names[i] = f.Rule
		}
		d.Reason = fmt.Sprintf("score %d is below the threshold %g for %s; failing: %s", card.Score, card.Threshold,
			env, strings.Join(names, ", "))
	}
	return d, nil
}

// Exception lets one service deploy to one environment despite its score, until it expires.
type Exception struct {
	ID          string    `json:"id"`
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
	Reason      string    `json:"reason"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	RevokedAt   time.Time `json:"revoked_at,omitzero"`
	RevokedBy   string    `json:"revoked_by,omitempty"`
	// Active: neither expired nor revoked.
	Active bool `json:"active"`
}

// ExceptionRequest is what an admin asks for.
type ExceptionRequest struct {
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
	Reason      string    `json:"reason"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Exceptions keeps admins' exceptions in the portal's database; every grant and revocation is audited in the same
// transaction.
type Exceptions struct {
	DB  *store.DB
	Now func() time.Time
	// MaxDays bounds how long an exception may last; 0: 30.
	MaxDays int
}

func (x *Exceptions) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

// Grant stores an exception for req, by actor. Problems with the request are a problem.Problems error.
func (x *Exceptions) Grant(ctx context.Context, req ExceptionRequest, actor string) (Exception, error) {
	now := x.now().UTC().Truncate(time.Millisecond)
	maxDays := x.MaxDays
	if maxDays <= 0 {
		maxDays = 30
	}
	var ps problem.Problems
	if req.Service == "" {
		ps.Add("service", "name the service the exception is for")
	} else if _, err := x.DB.GetService(ctx, req.Service); errors.Is(err, catalog.ErrNotFound) {
		ps.Add("service", "no service named %q", req.Service)
	} else if err != nil {
		return Exception{}, err
	}
	if req.Environment == "" {
		ps.Add("environment", "name the environment the exception is for (e.g. production)")
	}
	if r := strings.TrimSpace(req.Reason); r == "" {
		ps.Add("reason", "say why the exception is needed: it is audited and shown with every deploy it allows")
	} else if len(r) > 500 {
		ps.Add("reason", "at most 500 characters")
	}
	switch {
	case req.ExpiresAt.IsZero():
		ps.Add("expires_at", "an exception must expire: give a time within %d days", maxDays)
	case !req.ExpiresAt.After(now):
		ps.Add("expires_at", "%s is in the past", req.ExpiresAt.UTC().Format(time.RFC3339))
	case req.ExpiresAt.Sub(now) > time.Duration(maxDays)*24*time.Hour:
		ps.Add("expires_at", "at most %d days from now (until %s)", maxDays,
			now.Add(time.Duration(maxDays)*24*time.Hour).Format(time.RFC3339))
	}
	if err := ps.Err(); err != nil {
		return Exception{}, fmt.Errorf("invalid gate exception: nothing was stored: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	ex := Exception{ID: "gex_" + hex.EncodeToString(b), Service: req.Service, Environment: req.Environment,
		Reason: strings.TrimSpace(req.Reason), CreatedBy: actor, CreatedAt: now,
		ExpiresAt: req.ExpiresAt.UTC().Truncate(time.Millisecond), Active: true}
	err := x.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO gate_exceptions(id, service, environment, reason, created_by,
			created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, ex.ID, ex.Service, ex.Environment, ex.Reason,
			ex.CreatedBy, ex.CreatedAt.UnixMilli(), ex.ExpiresAt.UnixMilli()); err != nil {
			return err
		}
		return audit.RecordTx(ctx, tx, audit.Event{At: now, Actor: actor, Action: "gate.exception.granted",
			Resource: "gate_exception/" + ex.ID, Detail: map[string]any{"service": ex.Service,
				"environment": ex.Environment, "reason": ex.Reason, "expires_at": ex.ExpiresAt.Format(time.RFC3339)}})
	})
	return ex, err
}

// Revoke ends an exception now; ErrNotFound when there is none with id. Revoking one that already ended changes
// nothing and is not an error.
func (x *Exceptions) Revoke(ctx context.Context, id, actor string) (Exception, error) {
	now := x.now().UTC().Truncate(time.Millisecond)
	var ex Exception
	err := x.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if ex, err = scanException(tx.QueryRowContext(ctx, exceptionCols+` WHERE id = ?`, id), now); err != nil {
			return err
		}
		if !ex.RevokedAt.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE gate_exceptions SET revoked_at = ?, revoked_by = ? WHERE id = ?`,
			now.UnixMilli(), actor, id); err != nil {
			return err
		}
		ex.RevokedAt, ex.RevokedBy, ex.Active = now, actor, false
		return audit.RecordTx(ctx, tx, audit.Event{At: now, Actor: actor, Action: "gate.exception.revoked",
			Resource: "gate_exception/" + id, Detail: map[string]any{"service": ex.Service, "environment": ex.Environment}})
	})
	return ex, err
}

const exceptionCols = `SELECT id, service, environment, reason, created_by, created_at, expires_at, revoked_at,
	revoked_by FROM gate_exceptions`

type rowScanner interface{ Scan(dest ...any) error }

func scanException(r rowScanner, now time.Time) (Exception, error) {
	var ex Exception
	var created, expires, revoked int64
	err := r.Scan(&ex.ID, &ex.Service, &ex.Environment, &ex.Reason, &ex.CreatedBy, &created, &expires, &revoked,
		&ex.RevokedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return ex, fmt.Errorf("gate exception: %w", ErrNotFound)
	}
	if err != nil {
		return ex, err
	}
	ex.CreatedAt, ex.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	if revoked > 0 {
		ex.RevokedAt = time.UnixMilli(revoked).UTC()
	}
	ex.Active = revoked == 0 && now.Before(ex.ExpiresAt)
	return ex, nil
}

// List answers exceptions, newest first: of one service (or all, ""), only active ones unless all.
func (x *Exceptions) List(ctx context.Context, service string, all bool) ([]Exception, error) {
	now := x.now()
	q, args := exceptionCols+` WHERE (? = '' OR service = ?)`, []any{service, service}
	if !all {
		q += ` AND revoked_at = 0 AND expires_at > ?`
		args = append(args, now.UnixMilli())
	}
	rows, err := x.DB.SQL().QueryContext(ctx, q+` ORDER BY created_at DESC, id LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Exception{}
	for rows.Next() {
		ex, err := scanException(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	return out, rows.Err()
}

// Active is the exception in effect for service in env (the one lasting longest), or nil.
func (x *Exceptions) Active(ctx context.Context, service, env string) (*Exception, error) {
	if x == nil {
		return nil, nil
	}
	now := x.now()
	ex, err := scanException(x.DB.SQL().QueryRowContext(ctx, exceptionCols+` WHERE service = ? AND environment = ?
		AND revoked_at = 0 AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`, service, env, now.UnixMilli()), now)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &ex, nil
}

func (x *Exceptions) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := x.DB.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
