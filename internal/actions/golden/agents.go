package golden

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
)

// AgentClusters is Clusters over the portal's queue of cluster agents (docs/agent.md).
type AgentClusters struct{ Queue *agent.Queue }

// Deploy implements Clusters: the hello-world becomes a work item of kind "deploy" that applies the manifests and
// waits for the Deployments' rollouts.
func (c AgentClusters) Deploy(ctx context.Context, cluster string, w Work) (string, error) {
	p := agent.Payload{Namespace: w.Namespace, Apply: w.Manifests}
	for _, d := range w.Wait {
		p.Wait = append(p.Wait, agent.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: w.Namespace, Name: d})
	}
	it, err := c.Queue.Enqueue(ctx, cluster, agent.Work{Kind: "deploy", IdempotencyKey: w.Key, Ref: w.Ref, Payload: p})
	if errors.Is(err, agent.ErrInvalid) || errors.Is(err, agent.ErrIdempotencyConflict) {
		return "", actions.Permanent(err)
	}
	if err != nil {
		return "", err
	}
	return it.ID, nil
}

// Report implements Clusters.
func (c AgentClusters) Report(ctx context.Context, id string) (Report, error) {
	it, err := c.Queue.Get(ctx, id)
	if err != nil {
		return Report{}, err
	}
	return reportOf(it), nil
}

// reportOf is an item as the golden path reads it: finished or not, and when it failed, what the API server or the
// rollout said, object by object, with the fields at fault.
func reportOf(it agent.Item) Report {
	r := Report{Finished: it.State.Final()}
	if !r.Finished {
		return r
	}
	var why []string
	if res := it.Result; res != nil {
		for _, o := range res.Objects {
			if o.URL != "" && r.URL == "" {
				r.URL = o.URL
			}
			switch {
			case o.Action == agent.ActionRefused && o.Error != nil:
				msg := fmt.Sprintf("the API server refused %s: %s", o.ObjectRef, o.Error.Message)
				var fields []string
				for _, cs := range o.Error.Causes {
					if cs.Field != "" {
						fields = append(fields, cs.Field+": "+cs.Message)
					}
				}
				if len(fields) > 0 && !strings.Contains(o.Error.Message, fields[0]) {
					msg += " (" + strings.Join(fields, "; ") + ")"
				}
				why = append(why, msg)
			case o.Rollout != nil && o.Rollout.Status != agent.RolloutAvailable:
				msg := fmt.Sprintf("%s did not become available (%s, %d of %d replicas available)", o.ObjectRef,
					o.Rollout.Status, o.Rollout.Available, o.Rollout.Replicas)
				if o.Rollout.Message != "" {
					msg += ": " + o.Rollout.Message
				}
				why = append(why, msg)
			}
		}
		if res.Failed() && len(why) == 0 && res.Message != "" {
			why = append(why, res.Message)
		}
		r.Failed = res.Failed()
	}
	if it.State == agent.StateFailed {
		r.Failed = true
		if len(why) == 0 {
			msg := it.Error
			if msg == "" {
				msg = "the agent gave the work up"
			}
			why = append(why, msg)
		}
	}
	r.Message = strings.Join(why, "; ")
	return r
}
