package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCConfig says which identity provider's tokens the portal accepts and what roles their holders get.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document and JWKS are fetched from it.
	Issuer string `yaml:"issuer" json:"issuer"`
	// Audience is the client id the tokens must be issued for (the "aud" claim).
	Audience string `yaml:"audience" json:"audience"`
	// SubjectClaim names the claim used as the principal's subject: "sub" (default), "email" or
	// "preferred_username".
	SubjectClaim string `yaml:"subject_claim" json:"subject_claim"`
	// GroupsClaim names the claim holding the user's groups (default "groups"): a list of strings or one string.
	GroupsClaim string `yaml:"groups_claim" json:"groups_claim"`
	// Grants maps a group name to the grants its members receive, each "role" (on all teams) or "role@team".
	Grants map[string][]string `yaml:"grants" json:"grants"`
}

// ParseGrant reads "role" or "role@team".
func ParseGrant(s string) (Grant, error) {
	role, team, _ := strings.Cut(strings.TrimSpace(s), "@")
	switch role {
	case RoleDeveloper, RoleTeamOwner, RolePlatformApprover, RoleAdmin:
	default:
		return Grant{}, fmt.Errorf("grant %q: unknown role %q (developer, team_owner, platform_approver, admin)", s, role)
	}
	if strings.Contains(s, "@") && team == "" {
		return Grant{}, fmt.Errorf("grant %q: team after @ is empty", s)
	}
	return Grant{Role: role, Team: team}, nil
}

// ErrIdentityProvider is wrapped when the identity provider cannot be reached to verify a token: the token may
// be fine, so the caller gets 503, not 401.
var ErrIdentityProvider = errors.New("identity provider unreachable")

// OIDC verifies OpenID Connect ID tokens (JWTs) against the issuer's published keys and maps their claims to a
// principal. The issuer is discovered on first use, and again after a failure, so a portal starts while its
// provider is down.
type OIDC struct {
	cfg    OIDCConfig
	grants map[string][]Grant
	client *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	lastTry  time.Time
	lastErr  error
}

// NewOIDC checks cfg and returns a verifier for it. client may be nil (http.DefaultClient with a timeout).
func NewOIDC(cfg OIDCConfig, client *http.Client) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("OIDC needs both an issuer and an audience")
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = "sub"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	o := &OIDC{cfg: cfg, grants: map[string][]Grant{}, client: client}
	if o.client == nil {
		o.client = &http.Client{Timeout: 10 * time.Second}
	}
	for group, gs := range cfg.Grants {
		for _, s := range gs {
			g, err := ParseGrant(s)
			if err != nil {
				return nil, fmt.Errorf("OIDC grants of group %q: %w", group, err)
			}
			o.grants[group] = append(o.grants[group], g)
		}
	}
	return o, nil
}

// Config is the configuration in force.
func (o *OIDC) Config() OIDCConfig { return o.cfg }

func (o *OIDC) verifierFor(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, nil
	}
	if o.lastErr != nil && time.Since(o.lastTry) < 5*time.Second {
		return nil, o.lastErr
	}
	o.lastTry = time.Now()
	// Discovery and key fetches outlive this request: the key set is cached and refreshed by go-oidc.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), o.client)
	p, err := oidc.NewProvider(pctx, o.cfg.Issuer)
	if err != nil {
		o.lastErr = fmt.Errorf("%w: discover %s: %v", ErrIdentityProvider, o.cfg.Issuer, err)
		return nil, o.lastErr
	}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.Audience})
	o.lastErr = nil
	return o.verifier, nil
}

// LooksLikeJWT reports whether a bearer credential has the shape of a JWT (three base64url parts), as opposed to
// an Atrium API token.
func LooksLikeJWT(s string) bool {
	return !strings.HasPrefix(s, TokenPrefix) && strings.Count(s, ".") == 2 && len(s) > 20
}

// Authenticate verifies raw (signature, issuer, audience, expiry) and returns its principal. Errors wrap
// ErrBadToken, ErrExpiredToken or ErrIdentityProvider; their text never contains the token.
func (o *OIDC) Authenticate(ctx context.Context, raw string) (Principal, error) {
	v, err := o.verifierFor(ctx)
	if err != nil {
		return Principal{}, err
	}
	tok, err := v.Verify(oidc.ClientContext(ctx, o.client), raw)
	if err != nil {
		var te *oidc.TokenExpiredError
		if errors.As(err, &te) {
			return Principal{}, ErrExpiredToken
		}
		if strings.Contains(err.Error(), "fetching keys") {
			return Principal{}, fmt.Errorf("%w: %v", ErrIdentityProvider, err)
		}
		return Principal{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("%w: claims: %v", ErrBadToken, err)
	}
	subject, _ := claims[o.cfg.SubjectClaim].(string)
	if subject == "" {
		return Principal{}, fmt.Errorf("%w: the token has no %q claim", ErrBadToken, o.cfg.SubjectClaim)
	}
	p := Principal{Subject: subject, Via: "oidc", Grants: []Grant{}}
	seen := map[Grant]bool{}
	for _, group := range stringsClaim(claims[o.cfg.GroupsClaim]) {
		for _, g := range o.grants[group] {
			if !seen[g] {
				seen[g] = true
				p.Grants = append(p.Grants, g)
			}
		}
	}
	sort.Slice(p.Grants, func(i, j int) bool {
		if p.Grants[i].Role != p.Grants[j].Role {
			return p.Grants[i].Role < p.Grants[j].Role
		}
		return p.Grants[i].Team < p.Grants[j].Team
	})
	return p, nil
}

func stringsClaim(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
