package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/scaffold"
)

// The wire types of actions and templates, as the portal answers them.
//
//nolint:revive // a group of aliases: one comment says what all of them are
type (
	Action          = actions.Action
	ActionRequest   = actions.Request
	TemplateSummary = scaffold.Summary
	Plan            = scaffold.Plan
)

// RequestAction asks for an action under idempotency key: the same key again returns the action stored first.
func (c *Client) RequestAction(ctx context.Context, key string, req ActionRequest) (Action, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return Action{}, err
	}
	var a Action
	err = c.DoWith(ctx, http.MethodPost, "/api/v1/actions", nil, http.Header{"Idempotency-Key": {key}}, bytes.NewReader(b), &a)
	return a, err
}

// Action reads action id; with wait > 0 it is the long poll that answers at the first version other than version
// (or after wait, at most a minute, with the action as it is).
func (c *Client) Action(ctx context.Context, id string, version int64, wait time.Duration) (Action, error) {
	q := url.Values{}
	if wait > 0 {
		q.Set("wait", strconv.Itoa(int(min(wait, time.Minute)/time.Second)))
		q.Set("version", strconv.FormatInt(version, 10))
	}
	var a Action
	err := c.Do(ctx, http.MethodGet, "/api/v1/actions/"+url.PathEscape(id), q, nil, &a)
	return a, err
}

// Templates lists the golden path's templates.
func (c *Client) Templates(ctx context.Context) ([]TemplateSummary, error) {
	var out struct {
		Templates []TemplateSummary `json:"templates"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/v1/templates", nil, nil, &out)
	return out.Templates, err
}

// Template reads one template of the golden path.
func (c *Client) Template(ctx context.Context, name string) (TemplateSummary, error) {
	var t TemplateSummary
	err := c.Do(ctx, http.MethodGet, "/api/v1/templates/"+url.PathEscape(name), nil, nil, &t)
	return t, err
}

// PlanService is the dry run of creating a service from template with params: the plan as the API answers it.
func (c *Client) PlanService(ctx context.Context, template string, params map[string]any) (json.RawMessage, error) {
	b, err := json.Marshal(map[string]any{"parameters": params})
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	var raw json.RawMessage
	err = c.Do(ctx, http.MethodPost, "/api/v1/templates/"+url.PathEscape(template)+"/plan", nil, bytes.NewReader(b), &raw)
	return raw, err
}
