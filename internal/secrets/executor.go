package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/catalog"
)

// Executor is the delivery path of secret actions (Delivery): one step per target, in order, each writing (or
// deleting) the secret in its backend — itself for AWS Secrets Manager and the local vault, through the cluster's
// agent for a Kubernetes Secret — and recording the location in the secret's metadata. A target that fails stops
// the run there: the action says which targets have the new version and a retry writes the rest.
type Executor struct {
	Svc *Service
	// Poll is how often a step waiting for an agent looks at its report when no report wakes it; default 5 min.
	Poll time.Duration
}

// Execute implements actions.Executor.
func (e *Executor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	var p Params
	if err := json.Unmarshal(a.Params, &p); err != nil || len(p.Targets) == 0 {
		return actions.Outcome{}, actions.Permanentf("action %s holds no secret parameters with targets", a.ID)
	}
	var steps []actions.Step
	for _, t := range p.Targets {
		title := "Write the new version to " + t.String()
		if p.Operation == OpDelete {
			title = "Delete it from " + t.String()
		}
		steps = append(steps, actions.Step{ID: stepID(p.Operation, t), Title: title,
			Run: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) {
				out, err := e.run(ctx, r, p, t)
				if err != nil && !errors.Is(err, context.Canceled) {
					err = e.explain(r, p, t, err)
				}
				return out, err
			}})
	}
	return actions.RunSteps(ctx, a, steps)
}

// explain adds to a target's failure which targets have the new version already and which do not, so that the
// action says exactly where the secret stands.
func (e *Executor) explain(r *actions.StepRun, p Params, failed Target, err error) error {
	var done, not []string
	for _, t := range p.Targets {
		if r.Output(stepID(p.Operation, t))["done"] != "" {
			done = append(done, t.String())
		} else {
			not = append(not, t.String())
		}
	}
	what := "the new version"
	if p.Operation == OpDelete {
		what = "the deletion"
	}
	msg := fmt.Sprintf("%s failed: %v", failed.SecretPlace, err)
	if len(done) > 0 {
		msg += fmt.Sprintf("; %s is done in %s", what, strings.Join(done, ", "))
	}
	msg += fmt.Sprintf("; not in %s: retry the action to finish", strings.Join(not, ", "))
	if actions.IsPermanent(err) {
		return actions.Permanent(errors.New(msg))
	}
	return errors.New(msg)
}

func (e *Executor) run(ctx context.Context, r *actions.StepRun, p Params, t Target) (actions.Output, error) {
	s := e.Svc
	a := r.Action
	id := catalog.SecretID(a.Service, p.Name)
	if p.Operation == OpDelete {
		if t.Backend == catalog.SecretBackendKubernetes {
			return e.viaAgent(ctx, r, p, t)
		}
		b := s.Backends[t.Backend]
		if b == nil {
			return actions.Output{}, actions.Permanentf("this portal has no %s backend configured", t.Backend)
		}
		if err := b.Delete(ctx, t); err != nil {
			return actions.Output{}, classify(err)
		}
		if err := e.forget(ctx, id, t); err != nil {
			return actions.Output{}, err
		}
		return actions.Output{Values: map[string]string{"done": "deleted"}}, nil
	}
	// Written before (a crash came after the write and its record): nothing more to do.
	if sec, err := s.DB.GetSecret(ctx, id); err == nil {
		if i, ok := sec.Location(t.Key()); ok && sec.Locations[i].Version == p.ValueRef {
			if err := s.Staging.drop(ctx, p.ValueRef, t.Key()); err != nil {
				return actions.Output{}, err
			}
			return actions.Output{Values: map[string]string{"done": p.ValueRef}}, nil
		}
	}
	if t.Backend == catalog.SecretBackendKubernetes {
		return e.viaAgent(ctx, r, p, t)
	}
	b := s.Backends[t.Backend]
	if b == nil {
		return actions.Output{}, actions.Permanentf("this portal has no %s backend configured", t.Backend)
	}
	sealed, ok, err := s.Staging.get(ctx, p.ValueRef, t.Key())
	if err != nil {
		return actions.Output{}, err
	}
	if !ok {
		return actions.Output{}, actions.Permanentf("the portal no longer holds the value of this request (it " +
			"is discarded once an action has failed for longer than the retry window): request the change again " +
			"with the value")
	}
	value, err := s.Staging.openForPortal(sealed)
	if err != nil {
		return actions.Output{}, actions.Permanentf("%v: request the change again with the value", err)
	}
	err = b.Put(ctx, t, versionToken(p.ValueRef, t), value, Meta{Team: a.Team, Service: a.Service, Name: p.Name,
		Environment: a.Environment})
	clear(value)
	if err != nil {
		return actions.Output{}, classify(err)
	}
	if err := e.record(ctx, r, p, t); err != nil {
		return actions.Output{}, err
	}
	return actions.Output{Values: map[string]string{"done": p.ValueRef}}, nil
}

// classify marks a backend's refusal permanent.
func classify(err error) error {
	if errors.Is(err, ErrRefused) {
		return actions.Permanent(err)
	}
	return err
}

// viaAgent writes (or deletes) a Kubernetes Secret through the cluster's agent: it queues the sealed manifest once
// per attempt of the step and waits for the agent's report, which wakes the action.
func (e *Executor) viaAgent(ctx context.Context, r *actions.StepRun, p Params, t Target) (actions.Output, error) {
	s := e.Svc
	if s.Agents == nil {
		return actions.Output{}, actions.Permanentf("this portal has no agent queue for Kubernetes secrets")
	}
	a := r.Action
	attempt := strconv.Itoa(r.Record.Attempts)
	if wid := r.Record.Output["work_id"]; wid != "" {
		it, err := s.Agents.Get(ctx, wid)
		if err != nil {
			return actions.Output{}, err
		}
		switch {
		case !it.State.Final():
			return actions.Output{Wait: true, After: e.poll(), Note: "waiting for the agent of " + t.Cluster}, nil
		case it.State == agent.StateSucceeded:
			if p.Operation == OpDelete {
				if err := e.forget(ctx, catalog.SecretID(a.Service, p.Name), t); err != nil {
					return actions.Output{}, err
				}
				return actions.Output{Values: map[string]string{"done": "deleted"}}, nil
			}
			if err := e.record(ctx, r, p, t); err != nil {
				return actions.Output{}, err
			}
			return actions.Output{Values: map[string]string{"done": p.ValueRef}}, nil
		case r.Record.Output["work_attempt"] == attempt:
			return actions.Output{}, actions.Permanentf("the agent of %s: %s", t.Cluster, agentFailure(it))
		}
		// A retry of a failed step: queue the work again, below.
	}
	ref := agent.ObjectRef{APIVersion: "v1", Kind: "Secret", Namespace: t.Namespace, Name: t.Object}
	w := agent.Work{Kind: "secret", IdempotencyKey: a.ID + "/" + t.Key() + "/" + attempt, Ref: "action/" + a.ID,
		Payload: agent.Payload{Namespace: t.Namespace}}
	if p.Operation == OpDelete {
		w.Kind = "secret-delete"
		w.Payload.Delete = []agent.ObjectRef{ref}
	} else {
		sealed, ok, err := s.Staging.get(ctx, p.ValueRef, t.Key())
		if err != nil {
			return actions.Output{}, err
		}
		if !ok {
			return actions.Output{}, actions.Permanentf("the portal no longer holds the sealed value of this request: " +
				"request the change again with the value")
		}
		w.Payload.Sealed = sealed
	}
	it, err := s.Agents.Enqueue(ctx, t.Cluster, w)
	if errors.Is(err, agent.ErrInvalid) || errors.Is(err, agent.ErrIdempotencyConflict) {
		return actions.Output{}, actions.Permanent(err)
	}
	if err != nil {
		return actions.Output{}, err
	}
	return actions.Output{Wait: true, After: e.poll(), Note: "queued for the agent of " + t.Cluster,
		Values: map[string]string{"work_id": it.ID, "work_attempt": attempt}}, nil
}

func (e *Executor) poll() time.Duration {
	if e.Poll > 0 {
		return e.Poll
	}
	return 5 * time.Minute
}

// agentFailure is why an agent's work failed, object by object; never a value (the agent scrubs them).
func agentFailure(it agent.Item) string {
	var why []string
	if it.Result != nil {
		for _, o := range it.Result.Objects {
			if o.Action == agent.ActionRefused && o.Error != nil {
				why = append(why, fmt.Sprintf("the API server refused %s: %s", o.ObjectRef, o.Error.Message))
			}
		}
		if len(why) == 0 && it.Result.Message != "" {
			why = append(why, it.Result.Message)
		}
	}
	if len(why) == 0 {
		why = append(why, it.Error)
	}
	return strings.Join(why, "; ")
}

// record notes in the secret's metadata that t has the action's new version, then discards t's sealed value.
func (e *Executor) record(ctx context.Context, r *actions.StepRun, p Params, t Target) error {
	s := e.Svc
	a := r.Action
	now := s.now()
	if _, err := s.DB.UpdateSecret(ctx, catalog.SecretID(a.Service, p.Name), func(sec *catalog.Secret, exists bool) (bool, error) {
		if !exists {
			*sec = catalog.Secret{Service: a.Service, Team: a.Team, Name: p.Name, FullName: p.FullName,
				CreatedBy: a.Requester, CreatedAt: now}
		}
		sec.Team, sec.FullName = a.Team, p.FullName
		i, ok := sec.Location(t.Key())
		if !ok {
			sec.Locations = append(sec.Locations, catalog.SecretLocation{SecretPlace: t.SecretPlace, Object: t.Object,
				CreatedBy: a.Requester, CreatedAt: now})
			i = len(sec.Locations) - 1
		}
		l := &sec.Locations[i]
		l.Object, l.Version, l.RotatedBy, l.RotatedAt, l.Source = t.Object, p.ValueRef, a.Requester, now, "atrium"
		if l.CreatedAt.IsZero() {
			l.CreatedAt, l.CreatedBy = now, a.Requester
		}
		sec.UpdatedAt = now
		sec.Normalize()
		s.refreshMissing(ctx, sec)
		return true, nil
	}); err != nil {
		return fmt.Errorf("record the new version of %s/%s in %s: %w", a.Service, p.Name, t.SecretPlace, err)
	}
	return s.Staging.drop(ctx, p.ValueRef, t.Key())
}

// forget removes t from the secret's metadata (deleted there); a secret left nowhere is deleted.
func (e *Executor) forget(ctx context.Context, id string, t Target) error {
	s := e.Svc
	_, err := s.DB.UpdateSecret(ctx, id, func(sec *catalog.Secret, exists bool) (bool, error) {
		if !exists {
			return false, nil
		}
		if i, ok := sec.Location(t.Key()); ok {
			sec.Locations = append(sec.Locations[:i], sec.Locations[i+1:]...)
		}
		if len(sec.Locations) == 0 {
			return false, nil
		}
		sec.UpdatedAt = s.now()
		s.refreshMissing(ctx, sec)
		return true, nil
	})
	return err
}
