package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sphera/atrium/internal/agent"
)

// Calls of a cluster agent (atrium agent; docs/agent.md). The token must carry agent:work:CLUSTER.

// AgentHello registers the agent of cluster with the portal and returns the portal's settings.
func (c *Client) AgentHello(ctx context.Context, cluster string, h agent.Hello) (agent.Settings, error) {
	var s agent.Settings
	err := c.postJSON(ctx, "/api/v1/agents/"+url.PathEscape(cluster)+"/hello", h, &s)
	return s, err
}

// AgentNext long-polls for cluster's next work item, waiting up to wait; false when none came.
func (c *Client) AgentNext(ctx context.Context, cluster string, wait time.Duration) (agent.Item, bool, error) {
	var it agent.Item
	q := url.Values{"wait": {strconv.Itoa(int(wait / time.Second))}}
	if err := c.Do(ctx, http.MethodGet, "/api/v1/agents/"+url.PathEscape(cluster)+"/work", q, nil, &it); err != nil {
		return it, false, err
	}
	return it, it.ID != "", nil // 204 leaves it empty
}

// AgentRenew extends the lease leaseID on work item id; a lost lease is an *APIError with status 409.
func (c *Client) AgentRenew(ctx context.Context, cluster, id, leaseID string) (time.Time, error) {
	var out struct {
		LeaseUntil time.Time `json:"lease_until"`
	}
	err := c.postJSON(ctx, "/api/v1/agents/"+url.PathEscape(cluster)+"/work/"+url.PathEscape(id)+"/renew",
		map[string]string{"lease_id": leaseID}, &out)
	return out.LeaseUntil, err
}

// AgentReport reports the outcome of work item id under lease leaseID.
func (c *Client) AgentReport(ctx context.Context, cluster, id, leaseID string, r agent.Result) (agent.Item, error) {
	var it agent.Item
	err := c.postJSON(ctx, "/api/v1/agents/"+url.PathEscape(cluster)+"/work/"+url.PathEscape(id)+"/result",
		struct {
			LeaseID string       `json:"lease_id"`
			Result  agent.Result `json:"result"`
		}{leaseID, r}, &it)
	return it, err
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.Do(ctx, http.MethodPost, path, nil, bytes.NewReader(b), out)
}
