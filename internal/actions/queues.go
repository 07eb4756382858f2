package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// States of a known queue.
const (
	QueueExists    = "exists"    // created by a request that succeeded, or seen in AWS
	QueuePreviewed = "previewed" // a preview environment's request succeeded: the Terraform exists, the queue does not
	QueueRequested = "requested" // requested and not yet done: waiting for approval, approved or running
)

// Queue is an SQS queue a topic of the same environment and region may subscribe: one that exists or is on its way.
type Queue struct {
	Name    string `json:"name"`
	FIFO    bool   `json:"fifo"`
	State   string `json:"state"`             // QueueExists, QueuePreviewed or QueueRequested
	Service string `json:"service,omitempty"` // the service it was requested for (none for a queue seen in AWS)
	Team    string `json:"team,omitempty"`
	Action  string `json:"action,omitempty"` // the request that made or will make it
}

// QueueObserver lists the SQS queues that exist in an environment's region, as its delivery path sees them (the
// direct path asks AWS). Environments without one know only the queues requested through the portal.
type QueueObserver interface {
	ObservedQueues(ctx context.Context, env, region string) ([]Queue, error)
}

// queueRank orders the states of one name: what exists beats a preview, which beats a request.
var queueRank = map[string]int{QueueExists: 0, QueuePreviewed: 1, QueueRequested: 2}

// Queues lists the SQS queues known in env and region: made by a request that succeeded (previewed, in a preview
// environment), requested and not yet done, or — where the environment has a QueueObserver — seen in AWS. Each
// name once, in its most real state, by name.
func (s *Service) Queues(ctx context.Context, env, region string) ([]Queue, error) {
	byName := map[string]Queue{}
	add := func(q Queue) {
		if old, ok := byName[q.Name]; !ok || queueRank[q.State] < queueRank[old.State] {
			byName[q.Name] = q
		}
	}
	requested, err := s.Store.requestedQueues(ctx, env, region)
	if err != nil {
		return nil, err
	}
	for _, q := range requested {
		add(q)
	}
	if o := s.Observers[env]; o != nil {
		seen, err := o.ObservedQueues(ctx, env, region)
		if err != nil {
			return nil, fmt.Errorf("list the SQS queues of %s/%s: %w", env, region, err)
		}
		for _, q := range seen {
			q.State = QueueExists
			add(q)
		}
	}
	out := make([]Queue, 0, len(byName))
	for _, q := range byName {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// requestedQueues reads the sqs_queue actions of env and region that made their queue or are on their way to.
func (s Store) requestedQueues(ctx context.Context, env, region string) ([]Queue, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, team, service, params, state, delivery FROM actions
		WHERE kind = ? AND environment = ? AND region = ? AND state IN (?, ?, ?, ?)`,
		KindSQSQueue, env, region, StateSucceeded, StatePendingApproval, StateApproved, StateRunning)
	if err != nil {
		return nil, fmt.Errorf("list requested queues: %w", err)
	}
	defer rows.Close()
	var out []Queue
	for rows.Next() {
		var q Queue
		var params, state, delivery string
		if err := rows.Scan(&q.Action, &q.Team, &q.Service, &params, &state, &delivery); err != nil {
			return nil, err
		}
		var p SQSQueueParams
		if err := json.Unmarshal([]byte(params), &p); err != nil || p.Name == "" {
			continue // not a queue request this portal can read: nothing to offer
		}
		q.Name, q.FIFO = p.Name, p.FIFO
		switch {
		case State(state) != StateSucceeded:
			q.State = QueueRequested
		case delivery == DeliveryPreview:
			q.State = QueuePreviewed
		default:
			q.State = QueueExists
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// checkSubscribeQueue refuses a subscription to a queue that neither exists nor is requested in the topic's
// environment and region, naming the ones that are.
func (s *Service) checkSubscribeQueue(ctx context.Context, req Request, p SNSTopicParams) (string, error) {
	qs, err := s.Queues(ctx, req.Environment, req.Region)
	if err != nil {
		return "", err
	}
	var names []string
	for _, q := range qs {
		if q.Name == p.SubscribeQueue {
			return "", nil
		}
		if q.FIFO == p.FIFO {
			names = append(names, q.Name)
		}
	}
	where := req.Environment + "/" + req.Region
	switch {
	case len(names) == 0:
		return fmt.Sprintf("no SQS queue %q exists or is requested in %s, and none there could be subscribed: "+
			"request the queue first", p.SubscribeQueue, where), nil
	case len(names) > 10:
		names = append(names[:10], fmt.Sprintf("and %d more", len(names)-10))
	}
	return fmt.Sprintf("no SQS queue %q exists or is requested in %s: request it first, or pick one of %s",
		p.SubscribeQueue, where, strings.Join(names, ", ")), nil
}
