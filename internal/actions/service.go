package actions

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// Catalog finds the team owning a service; the store's DB implements it.
type Catalog interface {
	GetService(ctx context.Context, name string) (catalog.Service, error)
}

// Service is what the API calls: requests, decisions and reads of actions, with the policy applied.
type Service struct {
	Store   Store
	Config  Config
	Catalog Catalog
	// Wake, when set, is called after an action becomes runnable, so the worker need not wait for its next scan.
	Wake func()
}

// NewService returns a service over the actions tables of db.
func NewService(db *sql.DB, cfg Config, cat Catalog) *Service {
	return &Service{Store: Store{DB: db}, Config: cfg, Catalog: cat}
}

// MaxIdempotencyKey is the longest idempotency key accepted.
const MaxIdempotencyKey = 200

// Request validates req, checks that p may request actions for the service's team in req's environment, and
// stores the action — or returns the action stored before under the same idempotency key (created false). A
// problem.Problems (errors.As) lists every bad field; nothing is written unless the request is valid and allowed.
func (s *Service) Request(ctx context.Context, p auth.Principal, key string, req Request) (Action, bool, error) {
	params, problems := validate(s.Config, req)
	switch {
	case key == "":
		problems.Add("Idempotency-Key", "header required: a unique value per intended action, reused on retries")
	case len(key) > MaxIdempotencyKey:
		problems.Add("Idempotency-Key", "at most %d characters", MaxIdempotencyKey)
	}
	var team string
	if req.Service != "" {
		svc, err := s.Catalog.GetService(ctx, req.Service)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			problems.Add("service", "no service %q in the catalog", req.Service)
		case err != nil:
			return Action{}, false, err
		default:
			team = svc.Owner
		}
	}
	if problems.HasErrors() {
		return Action{}, false, invalid(problems)
	}
	if d := policy.DecideIn(p, policy.ActionsRequest, team, req.Environment); !d.Allow {
		return Action{}, false, fmt.Errorf("%w: %s", ErrForbidden, d.Reason)
	}
	norm, _ := json.Marshal(struct {
		Kind                         Kind
		Service, Environment, Region string
		Params                       json.RawMessage
	}{req.Kind, req.Service, req.Environment, req.Region, params})
	h := sha256.Sum256(norm)
	a := Action{Requester: p.Subject, Team: team, Service: req.Service, Kind: req.Kind, Params: params,
		Environment: req.Environment, Region: req.Region, Delivery: s.Config.Environments[req.Environment].Delivery,
		IdempotencyKey: key, Approvers: s.Config.ApproversOf(req.Environment), requestHash: hex.EncodeToString(h[:])}
	a, created, err := s.Store.create(ctx, a)
	if err == nil && created && a.State == StateApproved && s.Wake != nil {
		s.Wake()
	}
	return a, created, err
}

// Submit stores an action that another part of the portal built and checked itself — a flag change held for
// approval — under the same guarantees as a request: written before anything runs, once per idempotency key of
// its requester, audited, then approved or run by the worker. a needs Requester, Team, Kind, Params,
// Environment, Delivery and IdempotencyKey; Approvers empty means it runs at once.
func (s *Service) Submit(ctx context.Context, a Action) (Action, bool, error) {
	if a.Requester == "" || a.Kind == "" || a.Environment == "" || a.Delivery == "" || a.IdempotencyKey == "" {
		return Action{}, false, errors.New("actions: submitted action needs requester, kind, environment, delivery and idempotency key")
	}
	if a.Region == "" {
		a.Region = "global"
	}
	if a.Approvers == nil {
		a.Approvers = []string{}
	}
	norm, _ := json.Marshal(struct {
		Kind                      Kind
		Team, Environment, Region string
		Params                    json.RawMessage
	}{a.Kind, a.Team, a.Environment, a.Region, a.Params})
	h := sha256.Sum256(norm)
	a.requestHash = hex.EncodeToString(h[:])
	a, created, err := s.Store.create(ctx, a)
	if err == nil && created && a.State == StateApproved && s.Wake != nil {
		s.Wake()
	}
	return a, created, err
}

// Decide approves or rejects action id as p. Rejections need a reason.
func (s *Service) Decide(ctx context.Context, p auth.Principal, id string, approve bool, reason string) (Action, error) {
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return Action{}, invalid(problem.Problems{problem.At("reason", "required when rejecting: tell the requester why")})
	}
	if len(reason) > 2000 {
		return Action{}, invalid(problem.Problems{problem.At("reason", "at most 2000 characters")})
	}
	a, err := s.Store.decide(ctx, id, p.Subject, approve, reason, func(a Action) error {
		if d := policy.MayApprove(p, a.Requester, a.Team, a.Environment, a.Approvers); !d.Allow {
			return fmt.Errorf("%w: %s", ErrForbidden, d.Reason)
		}
		return nil
	})
	if err == nil && approve && s.Wake != nil {
		s.Wake()
	}
	return a, err
}

// Inbox lists the actions waiting for approval that p may approve, oldest first.
func (s *Service) Inbox(ctx context.Context, p auth.Principal) ([]Action, error) {
	pending, err := s.Store.List(ctx, Filter{State: StatePendingApproval, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := []Action{}
	for i := len(pending) - 1; i >= 0; i-- {
		a := pending[i]
		if policy.MayApprove(p, a.Requester, a.Team, a.Environment, a.Approvers).Allow {
			out = append(out, a)
		}
	}
	return out, nil
}
