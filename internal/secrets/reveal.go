package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// RevealRequest asks for a secret's value in one environment (and region, when it exists in several), saying why.
type RevealRequest struct {
	Environment string `json:"environment"`
	Region      string `json:"region,omitempty"`
	Reason      string `json:"reason"`
}

// Revealed is a value shown once. Its answer is never cached (Cache-Control: no-store) and the UI wipes it after
// RevealSeconds.
type Revealed struct {
	Service       string    `json:"service"`
	Name          string    `json:"name"`
	Environment   string    `json:"environment"`
	Region        string    `json:"region"`
	Version       string    `json:"version,omitempty"`
	Value         string    `json:"value"`
	RevealSeconds int       `json:"reveal_seconds"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// MaxReason bounds a reveal's reason.
const MaxReason = 500

// Reveal reads the value of service's secret name as p: only where the conventions allow p to reveal in the
// environment, with a reason, audited (also when refused). The value is in the answer only: not in the audit entry,
// a log or an error.
func (s *Service) Reveal(ctx context.Context, p auth.Principal, service, name string, req RevealRequest) (Revealed, error) {
	if !s.Config.Enabled() {
		return Revealed{}, ErrNotConfigured
	}
	id := catalog.SecretID(service, name)
	sec, err := s.DB.GetSecret(ctx, id)
	if err != nil {
		return Revealed{}, err
	}
	var ps problem.Problems
	reason := strings.TrimSpace(req.Reason)
	switch {
	case reason == "":
		ps.Add("reason", "required: say why you need the value (it is kept in the audit log)")
	case len(reason) > MaxReason:
		ps.Add("reason", "at most %d characters", MaxReason)
	}
	var loc catalog.SecretLocation
	var inEnv []catalog.SecretLocation
	for _, l := range sec.Locations {
		if l.Environment == req.Environment {
			inEnv = append(inEnv, l)
		}
	}
	switch {
	case req.Environment == "":
		ps.Add("environment", "required")
	case len(inEnv) == 0:
		ps.Add("environment", "%s does not exist in %s", id, req.Environment)
	case req.Region == "" && len(inEnv) > 1:
		var regions []string
		for _, l := range inEnv {
			regions = append(regions, l.Region)
		}
		ps.Add("region", "required: %s exists in %s of %s", id, strings.Join(regions, ", "), req.Environment)
	default:
		found := false
		for _, l := range inEnv {
			if req.Region == "" || l.Region == req.Region {
				loc, found = l, true
				break
			}
		}
		if !found {
			ps.Add("region", "%s does not exist in %s of %s", id, req.Region, req.Environment)
		}
	}
	if ps.HasErrors() {
		return Revealed{}, fmt.Errorf("invalid reveal: nothing was read: %w", ps)
	}
	deny := func(why string) error {
		s.auditReveal(ctx, p, id, loc, reason, audit.Denied, why)
		return fmt.Errorf("%w: %s", ErrForbidden, why)
	}
	if d := policy.DecideIn(p, policy.SecretsReveal, sec.Team, req.Environment); !d.Allow {
		return Revealed{}, deny(d.Reason)
	}
	if ok, why := s.Config.MayReveal(p, sec.Team, req.Environment); !ok {
		return Revealed{}, deny(why)
	}
	b := s.Backends[loc.Backend]
	if loc.Backend == catalog.SecretBackendKubernetes || b == nil {
		s.auditReveal(ctx, p, id, loc, reason, audit.Failure, "not revealable")
		return Revealed{}, fmt.Errorf("%w: %s is a Kubernetes Secret in cluster %s; the portal holds no credential "+
			"that reads Secrets' values (docs/secrets.md): read it with kubectl and your own access", ErrNotRevealable,
			id, loc.Cluster)
	}
	// Audited before the value leaves the backend: a reveal that cannot be recorded does not happen.
	if err := s.auditRevealErr(ctx, p, id, loc, reason, audit.Success, ""); err != nil {
		return Revealed{}, err
	}
	value, err := b.Read(ctx, Target{SecretPlace: loc.SecretPlace, Object: loc.Object})
	if err != nil {
		return Revealed{}, fmt.Errorf("read %s from %s: %w", id, loc.SecretPlace, err)
	}
	now := s.now()
	if _, err := s.DB.UpdateSecret(ctx, id, func(cur *catalog.Secret, exists bool) (bool, error) {
		if !exists {
			return false, nil
		}
		if i, ok := cur.Location(loc.Key()); ok {
			cur.Locations[i].LastReadAt, cur.Locations[i].LastReadBy = now, p.Subject
		}
		cur.UpdatedAt = now
		return true, nil
	}); err != nil {
		s.log().Warn("record when a secret was read", "secret", id, "err", err)
	}
	out := Revealed{Service: service, Name: name, Environment: loc.Environment, Region: loc.Region, Version: loc.Version,
		Value: string(value), RevealSeconds: s.Config.RevealSeconds,
		ExpiresAt: now.Add(time.Duration(s.Config.RevealSeconds) * time.Second)}
	clear(value)
	return out, nil
}

func (s *Service) auditReveal(ctx context.Context, p auth.Principal, id string, loc catalog.SecretLocation, reason, outcome, why string) {
	if err := s.auditRevealErr(ctx, p, id, loc, reason, outcome, why); err != nil {
		s.log().Error("audit a secret reveal", "err", err)
	}
}

func (s *Service) auditRevealErr(ctx context.Context, p auth.Principal, id string, loc catalog.SecretLocation, reason, outcome, why string) error {
	if s.Audit == nil {
		return errors.New("secrets: no audit log to record the reveal in")
	}
	detail := map[string]any{"environment": loc.Environment, "region": loc.Region, "reason": reason}
	if loc.Cluster != "" {
		detail["cluster"] = loc.Cluster
	}
	if why != "" {
		detail["refused"] = why
	}
	return s.Audit.Record(ctx, audit.Event{Actor: p.Subject, Action: "secret.revealed", Resource: "secret/" + id,
		Outcome: outcome, Detail: detail})
}
