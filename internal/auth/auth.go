// Package auth says who is calling: principals, their role grants, and API tokens (stored hashed). Deciding what a
// principal may do is the policy package's job.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/audit"
)

// Roles, from least to most powerful. A grant scopes a role to one team, or to all teams when Team is "".
const (
	RoleDeveloper        = "developer"
	RoleTeamOwner        = "team_owner"
	RolePlatformApprover = "platform_approver"
	RoleAdmin            = "admin"
)

// Grant gives a role, on one team or (Team "") on all.
type Grant struct {
	Role string `json:"role"`
	Team string `json:"team,omitempty"`
}

// Principal is an authenticated caller.
type Principal struct {
	Subject string   `json:"subject"`
	Grants  []Grant  `json:"grants"`
	Scopes  []string `json:"scopes"` // empty = every scope the grants allow
	Via     string   `json:"via"`    // token, oidc, local
	TokenID string   `json:"token_id,omitempty"`
}

// Has reports whether p holds role on team (a grant on all teams counts for every team).
func (p Principal) Has(role, team string) bool {
	for _, g := range p.Grants {
		if g.Role == role && (g.Team == "" || g.Team == team) {
			return true
		}
	}
	return false
}

// IsAdmin reports whether p is an admin of everything.
func (p Principal) IsAdmin() bool {
	for _, g := range p.Grants {
		if g.Role == RoleAdmin && g.Team == "" {
			return true
		}
	}
	return false
}

// AnyEnvironment is the environment of a scope check that asks whether a permission is allowed in some environment:
// the question a route asks before its handler knows the environment (the handler then asks with it).
const AnyEnvironment = "*"

// HasScope reports whether p's token scopes allow permission perm in environment env. Principals without scopes
// (admin tokens, OIDC users, the local user) allow everything, and so does the scope "*". A scope naming perm
// ("flags:write") allows it in every environment; a scope qualified with an environment ("flags:write:dev")
// allows it in that environment only. env "" asks about no particular environment, which only an unqualified
// scope answers; env AnyEnvironment asks whether any scope allows perm somewhere. Which permissions act in an
// environment at all is the policy package's knowledge: it passes "" for the others, so that a qualifier on them
// allows nothing.
func (p Principal) HasScope(perm, env string) bool {
	if len(p.Scopes) == 0 {
		return true
	}
	return p.scoped(perm, env, true)
}

// ExplicitScope reports whether p's token lists perm (for env, as HasScope reads it): the grant of machine tokens
// that carry no role, such as a service's flag-evaluation token. Neither "no scopes" nor "*" counts.
func (p Principal) ExplicitScope(perm, env string) bool { return p.scoped(perm, env, false) }

func (p Principal) scoped(perm, env string, star bool) bool {
	for _, s := range p.Scopes {
		if s == perm || star && s == "*" {
			return true
		}
		q, ok := strings.CutPrefix(s, perm+":")
		if ok && q != "" && env != "" && (env == AnyEnvironment || env == q) {
			return true
		}
	}
	return false
}

// ScopeEnvironments lists the environments p's scopes qualify perm with ("flags:write:dev" → dev), in the order
// the scopes list them.
func (p Principal) ScopeEnvironments(perm string) []string {
	var out []string
	for _, s := range p.Scopes {
		if q, ok := strings.CutPrefix(s, perm+":"); ok && q != "" && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p. Only code in the same process can set it: requests from the network start
// with a fresh context, so a principal in the context was put there by an authenticator or by the in-process
// transport of local mode.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the caller, if one was authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Errors of token authentication; their text is safe to show to the caller.
var (
	ErrNoCredentials = errors.New("no credentials: send Authorization: Bearer <token>")
	ErrBadToken      = errors.New("invalid or revoked token")
	ErrExpiredToken  = errors.New("token expired")
)

// TokenPrefix starts every Atrium token, so secret scanners and people can recognise one.
const TokenPrefix = "atr_"

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Subject    string    `json:"subject"`
	Grants     []Grant   `json:"grants"`
	Scopes     []string  `json:"scopes"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// NewSecret makes a token secret.
func NewSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Tokens keeps API tokens in the api_tokens table of a store database.
type Tokens struct{ DB *sql.DB }

// Create stores a token for t with the given secret (NewSecret when empty) and returns the secret, the only
// time it is available.
func (ts Tokens) Create(ctx context.Context, t Token, secret string) (string, Token, error) {
	return ts.create(ctx, ts.DB, t, secret)
}

// Issue creates a token as Create does and records it in the audit log in the same transaction: either both are
// stored or neither.
func (ts Tokens) Issue(ctx context.Context, t Token) (string, Token, error) {
	tx, err := ts.DB.BeginTx(ctx, nil)
	if err != nil {
		return "", t, err
	}
	defer tx.Rollback()
	secret, t, err := ts.create(ctx, tx, t, "")
	if err != nil {
		return "", t, err
	}
	if err := audit.RecordTx(ctx, tx, audit.Event{Actor: t.CreatedBy, Action: "token.created", Resource: "token/" + t.ID,
		Detail: map[string]any{"name": t.Name, "subject": t.Subject, "grants": t.Grants, "scopes": t.Scopes,
			"expires_at": t.ExpiresAt}}); err != nil {
		return "", t, err
	}
	return secret, t, tx.Commit()
}

// ErrTokenNotFound is returned for an unknown token id.
var ErrTokenNotFound = errors.New("no such token")

// List returns every token (revoked ones too), newest first; secrets are never stored, so never listed.
func (ts Tokens) List(ctx context.Context) ([]Token, error) {
	rows, err := ts.DB.QueryContext(ctx, `SELECT id, name, subject, grants, scopes, created_by, created_at, expires_at,
		revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Get returns one token's record.
func (ts Tokens) Get(ctx context.Context, id string) (Token, error) {
	t, err := scanToken(ts.DB.QueryRowContext(ctx, `SELECT id, name, subject, grants, scopes, created_by, created_at,
		expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token %q: %w", id, ErrTokenNotFound)
	}
	return t, err
}

// Revoke revokes token id on behalf of actor and audits it, in one transaction. Revoking a revoked token changes
// nothing and is not an error.
func (ts Tokens) Revoke(ctx context.Context, id, actor string) (Token, error) {
	tx, err := ts.DB.BeginTx(ctx, nil)
	if err != nil {
		return Token{}, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`,
		time.Now().UnixMilli(), id)
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if err := audit.RecordTx(ctx, tx, audit.Event{Actor: actor, Action: "token.revoked", Resource: "token/" + id}); err != nil {
			return Token{}, err
		}
	}
	t, err := scanToken(tx.QueryRowContext(ctx, `SELECT id, name, subject, grants, scopes, created_by, created_at,
		expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token %q: %w", id, ErrTokenNotFound)
	}
	if err != nil {
		return t, err
	}
	return t, tx.Commit()
}

type scanner interface{ Scan(dest ...any) error }

func scanToken(row scanner) (Token, error) {
	var t Token
	var grants, scopes string
	var created, expires, revoked, used int64
	if err := row.Scan(&t.ID, &t.Name, &t.Subject, &grants, &scopes, &t.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(grants), &t.Grants); err != nil {
		return t, fmt.Errorf("token %s: bad grants: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return t, fmt.Errorf("token %s: bad scopes: %w", t.ID, err)
	}
	t.CreatedAt = time.UnixMilli(created).UTC()
	t.ExpiresAt = timeOrZero(expires)
	t.RevokedAt = timeOrZero(revoked)
	t.LastUsedAt = timeOrZero(used)
	return t, nil
}

func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (ts Tokens) create(ctx context.Context, ex audit.Execer, t Token, secret string) (string, Token, error) {
	if secret == "" {
		secret = NewSecret()
	}
	if len(secret) < 16 {
		return "", t, fmt.Errorf("token secret too short: at least 16 characters")
	}
	idb := make([]byte, 6)
	rand.Read(idb)
	t.ID = "tok_" + hex.EncodeToString(idb)
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	if t.Grants == nil {
		t.Grants = []Grant{}
	}
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	grants, _ := json.Marshal(t.Grants)
	scopes, _ := json.Marshal(t.Scopes)
	_, err := ex.ExecContext(ctx, `INSERT INTO api_tokens(id, name, hash, subject, grants, scopes, created_by,
		created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Name, hashSecret(secret), t.Subject,
		string(grants), string(scopes), t.CreatedBy, t.CreatedAt.UnixMilli(), unixMilliOrZero(t.ExpiresAt))
	if err != nil {
		return "", t, fmt.Errorf("store token %q: %w", t.Name, err)
	}
	return secret, t, nil
}

// Ensure stores secret as a token for t unless a token with that secret already exists. It is how a server seeds
// its first admin token from the environment on every start without duplicating it.
func (ts Tokens) Ensure(ctx context.Context, t Token, secret string) (created bool, err error) {
	var n int
	if err := ts.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE hash = ?`, hashSecret(secret)).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	_, _, err = ts.Create(ctx, t, secret)
	return err == nil, err
}

// Rotation is what Rotate did.
type Rotation struct {
	Created bool     // the secret was new and is stored
	Current Token    // the token of the secret (revoked, when someone revoked it since)
	Revoked []string // ids of the tokens of the same kind it revoked
}

// Rotate makes secret the one live token of its kind, the kind being t's Name and CreatedBy (a server's seeded
// admin token): it stores secret as a token for t unless a token with that secret exists, and then, while that
// token is live, revokes every other live token of the same name and creator. Each creation and revocation is
// audited (as actor, with reason; never a secret or its hash) in the same transaction as the change. With the
// same secret again and nothing else live, it changes nothing. A token with secret that was revoked stays
// revoked, and then nothing else is revoked either: Rotate never leaves a kind without the token it was given
// unless someone revoked that token on purpose.
func (ts Tokens) Rotate(ctx context.Context, t Token, secret, actor, reason string) (Rotation, error) {
	var rot Rotation
	tx, err := ts.DB.BeginTx(ctx, nil)
	if err != nil {
		return rot, err
	}
	defer tx.Rollback()
	cur, err := scanToken(tx.QueryRowContext(ctx, `SELECT id, name, subject, grants, scopes, created_by, created_at,
		expires_at, revoked_at, last_used_at FROM api_tokens WHERE hash = ?`, hashSecret(secret)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, cur, err = ts.create(ctx, tx, t, secret); err != nil {
			return rot, err
		}
		rot.Created = true
		if err := audit.RecordTx(ctx, tx, audit.Event{Actor: actor, Action: "token.created", Resource: "token/" + cur.ID,
			Detail: map[string]any{"name": cur.Name, "subject": cur.Subject, "grants": cur.Grants, "scopes": cur.Scopes,
				"reason": reason}}); err != nil {
			return rot, err
		}
	case err != nil:
		return rot, fmt.Errorf("find token: %w", err)
	}
	rot.Current = cur
	if cur.RevokedAt.IsZero() {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM api_tokens WHERE name = ? AND created_by = ? AND revoked_at = 0
			AND id != ? ORDER BY created_at, id`, t.Name, t.CreatedBy, cur.ID)
		if err != nil {
			return rot, fmt.Errorf("find tokens to rotate: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return rot, err
			}
			rot.Revoked = append(rot.Revoked, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return rot, err
		}
		now := time.Now().UnixMilli()
		for _, id := range rot.Revoked {
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, now, id); err != nil {
				return rot, fmt.Errorf("revoke token %s: %w", id, err)
			}
			if err := audit.RecordTx(ctx, tx, audit.Event{Actor: actor, Action: "token.revoked", Resource: "token/" + id,
				Detail: map[string]any{"reason": reason, "replaced_by": "token/" + cur.ID}}); err != nil {
				return rot, err
			}
		}
	}
	return rot, tx.Commit()
}

// Count returns how many tokens exist (revoked included).
func (ts Tokens) Count(ctx context.Context) (int, error) {
	var n int
	err := ts.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens`).Scan(&n)
	return n, err
}

// Authenticate finds the principal of a token secret.
func (ts Tokens) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrNoCredentials
	}
	var t Token
	var grants, scopes string
	var expires, revoked int64
	err := ts.DB.QueryRowContext(ctx, `SELECT id, subject, grants, scopes, expires_at, revoked_at FROM api_tokens
		WHERE hash = ?`, hashSecret(secret)).Scan(&t.ID, &t.Subject, &grants, &scopes, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	now := time.Now()
	if revoked != 0 {
		return Principal{}, ErrBadToken
	}
	if expires != 0 && now.UnixMilli() >= expires {
		return Principal{}, ErrExpiredToken
	}
	p := Principal{Subject: t.Subject, Via: "token", TokenID: t.ID}
	if err := json.Unmarshal([]byte(grants), &p.Grants); err != nil {
		return Principal{}, fmt.Errorf("token %s: bad grants: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &p.Scopes); err != nil {
		return Principal{}, fmt.Errorf("token %s: bad scopes: %w", t.ID, err)
	}
	// Last use is advisory; a failure to record it must not fail the request.
	_, _ = ts.DB.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?`,
		now.UnixMilli(), t.ID, now.Add(-time.Minute).UnixMilli())
	return p, nil
}

func unixMilliOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
