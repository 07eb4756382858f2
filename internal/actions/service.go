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
	"time"

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
	// Preparers check requests of the kinds this package does not check itself (service_create), by kind.
	Preparers map[Kind]Preparer
	// Observers list the SQS queues that exist in an environment (by name; the direct path's AWS), for topics to
	// subscribe; environments without one know the queues requested through the portal.
	Observers map[string]QueueObserver
	// Previewers say what an action of a kind will do (GET /actions/{id}/preview), by kind.
	Previewers map[Kind]Previewer
}

// Preparer checks a request of one kind and prepares what is stored for it. It is for kinds whose checking needs
// more than this package knows — a template, the catalog, GitHub — and whose action is not about an existing
// service of the catalog.
type Preparer interface {
	// Prepare validates req for p and returns what to store; a problem.Problems (errors.As) lists every bad field.
	// It must not change anything: nothing is stored when p may not make the request.
	Prepare(ctx context.Context, p auth.Principal, req Request) (Prepared, error)
}

// Prepared is a request a Preparer checked: what the action stores.
type Prepared struct {
	Params  json.RawMessage // normalised parameters, shown with the action
	Team    string          // the team the action is for: whose actions:request it needs
	Service string          // the service it is about (a new one's name for service_create)
	Region  string          // "" for global
	// Document is what the run executes, fixed now (the golden path's plan, as the requester reviewed it).
	Document string
}

// NewService returns a service over the actions tables of db.
func NewService(db *sql.DB, cfg Config, cat Catalog) *Service {
	return &Service{Store: Store{DB: db, Changes: &Changes{}}, Config: cfg, Catalog: cat}
}

// MaxIdempotencyKey is the longest idempotency key accepted.
const MaxIdempotencyKey = 200

// Request validates req, checks that p may request actions for the service's team in req's environment, and
// stores the action — or returns the action stored before under the same idempotency key (created false). A
// problem.Problems (errors.As) lists every bad field; nothing is written unless the request is valid and allowed.
func (s *Service) Request(ctx context.Context, p auth.Principal, key string, req Request) (Action, bool, error) {
	if pr := s.Preparers[req.Kind]; pr != nil {
		return s.requestPrepared(ctx, p, key, req, pr)
	}
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
	if !problems.HasErrors() && req.Kind == KindSNSTopic {
		// The queue to subscribe must exist or be on its way — unless this is a retry of a request stored before,
		// which is answered as it was whatever happened to the queue since.
		var sp SNSTopicParams
		_, stored, err := s.Store.byKey(ctx, p.Subject, key)
		if err != nil {
			return Action{}, false, err
		}
		if err := json.Unmarshal(params, &sp); err == nil && sp.SubscribeQueue != "" && !stored {
			why, err := s.checkSubscribeQueue(ctx, req, sp)
			if err != nil {
				return Action{}, false, err
			}
			if why != "" {
				problems.Add("params.subscribe_queue", "%s", why)
			}
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

// requestPrepared is Request for a kind with a Preparer. The request is identified by what was sent (not by what
// preparing made of it), so that a retry with the same idempotency key finds the action even once the world it was
// checked against has changed — after the run registered the new service, say.
func (s *Service) requestPrepared(ctx context.Context, p auth.Principal, key string, req Request, pr Preparer) (Action, bool, error) {
	var problems problem.Problems
	switch {
	case key == "":
		problems.Add("Idempotency-Key", "header required: a unique value per intended action, reused on retries")
	case len(key) > MaxIdempotencyKey:
		problems.Add("Idempotency-Key", "at most %d characters", MaxIdempotencyKey)
	}
	var raw any
	if len(req.Params) > 0 && json.Unmarshal(req.Params, &raw) != nil {
		problems.Add("params", "not a JSON value")
	}
	if problems.HasErrors() {
		return Action{}, false, invalid(problems)
	}
	canon, _ := json.Marshal(raw) // map keys sorted: the same request hashes the same however it was written
	norm, _ := json.Marshal(struct {
		Kind                         Kind
		Service, Environment, Region string
		Params                       json.RawMessage
	}{req.Kind, req.Service, req.Environment, req.Region, canon})
	h := sha256.Sum256(norm)
	hash := hex.EncodeToString(h[:])
	if prev, found, err := s.Store.byKey(ctx, p.Subject, key); err != nil {
		return Action{}, false, err
	} else if found {
		if prev.requestHash != hash {
			return prev, false, fmt.Errorf("%w: key %q was first used for action %s", ErrIdempotencyConflict, key, prev.ID)
		}
		return prev, false, nil
	}
	env, ok := s.Config.Environments[req.Environment]
	switch {
	case req.Environment == "":
		problems.Add("environment", "required")
	case len(s.Config.Environments) == 0:
		problems.Add("environment", "this portal has no environments for actions: an admin configures them in the actions section of its configuration file")
	case !ok:
		problems.Add("environment", "unknown environment %q; known: %s", req.Environment, strings.Join(s.Config.EnvironmentNames(), ", "))
	}
	if problems.HasErrors() {
		return Action{}, false, invalid(problems)
	}
	prep, err := pr.Prepare(ctx, p, req)
	if err != nil {
		return Action{}, false, err
	}
	if d := policy.DecideIn(p, policy.ActionsRequest, prep.Team, req.Environment); !d.Allow {
		return Action{}, false, fmt.Errorf("%w: %s", ErrForbidden, d.Reason)
	}
	delivery := DeliveryGolden
	if env.Delivery == DeliveryPreview {
		delivery = DeliveryPreview
	}
	region := prep.Region
	if region == "" {
		region = "global"
	}
	a := Action{Requester: p.Subject, Team: prep.Team, Service: prep.Service, Kind: req.Kind, Params: prep.Params,
		Environment: req.Environment, Region: region, Delivery: delivery, IdempotencyKey: key,
		Approvers: s.Config.ApproversOf(req.Environment), requestHash: hash, document: prep.Document}
	a, created, err := s.Store.create(ctx, a)
	if err == nil && created && a.State == StateApproved && s.Wake != nil {
		s.Wake()
	}
	return a, created, err
}

// Retry makes a failed action run again, as p: from its failed step, without redoing the steps that succeeded.
// Only its requester, an owner of its team or an admin may.
func (s *Service) Retry(ctx context.Context, p auth.Principal, id string) (Action, error) {
	a, err := s.Store.retry(ctx, id, p.Subject, s.mayControl(p))
	if err == nil && s.Wake != nil {
		s.Wake()
	}
	return a, err
}

// Cancel stops an action that has not finished, as p: at once when nothing of it is running, else before its next
// step (the action then shows cancel_requested until its run stops). The cancelled action's result says what it
// left behind. Only its requester, an owner of its team or an admin may.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id, reason string) (Action, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > 2000 {
		return Action{}, invalid(problem.Problems{problem.At("reason", "at most 2000 characters")})
	}
	return s.Store.cancel(ctx, id, p.Subject, reason, s.mayControl(p))
}

func (s *Service) mayControl(p auth.Principal) func(Action) error {
	return func(a Action) error {
		if d := policy.MayRetryOrCancel(p, a.Requester, a.Team, a.Environment); !d.Allow {
			return fmt.Errorf("%w: %s", ErrForbidden, d.Reason)
		}
		return nil
	}
}

// MaxWait bounds how long Wait holds a reader.
const MaxWait = 60 * time.Second

// Wait returns action id as soon as its version differs from version, or as it is when d (at most MaxWait) has
// passed or ctx ends: a reader following an action's progress asks again with the version it got.
func (s *Service) Wait(ctx context.Context, id string, version int64, d time.Duration) (Action, error) {
	d = min(d, MaxWait)
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		var next <-chan struct{}
		if s.Store.Changes != nil {
			next = s.Store.Changes.Next()
		}
		a, err := s.Store.Get(ctx, id)
		if err != nil || a.Version != version {
			return a, err
		}
		// Another portal process may have changed it: look again every second even without a notice.
		select {
		case <-next:
		case <-time.After(time.Second):
		case <-deadline.C:
			return a, nil
		case <-ctx.Done():
			return a, nil
		}
	}
}
