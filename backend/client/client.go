// Package client is the Go client of Atrium's portal API, shared by the desktop's sync loop, the CLI and the
// OpenFeature provider. Other services may import it.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// The API's wire types: the catalog's and the store's, as the portal sends them.
type (
	// Service is one deployable unit of software: a service page.
	Service = catalog.Service
	// Team owns services.
	Team = catalog.Team
	// ServicePage is a page of rows of the catalog table and how many match in all.
	ServicePage = store.ServicePage
	// ServiceRow is one line of the catalog table.
	ServiceRow = store.ServiceRow
	// Batch is one page of the change feed.
	Batch = store.Batch
	// Change is one entity in the change feed, carried whole.
	Change = store.Change
	// Source is a collector's freshness record.
	Source = store.Source
)

// ErrUnreachable wraps failures to reach the portal at all (refused, timed out, DNS), as opposed to answers.
var ErrUnreachable = errors.New("portal unreachable")

// APIError is an error answer of the portal.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Fields  []struct {
		Field   string `json:"field"`
		Problem string `json:"problem"`
	} `json:"fields"`
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("portal answered %d %s: %s", e.Status, e.Code, e.Message)
	for _, f := range e.Fields {
		msg += fmt.Sprintf("; %s: %s", f.Field, f.Problem)
	}
	return msg
}

// Client calls one portal.
type Client struct {
	BaseURL string // e.g. https://atrium.example.com
	Token   string
	HTTP    *http.Client
}

// New returns a client of the portal at baseURL authenticating with token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 90 * time.Second}}
}

// Do sends a request to path (with query) and decodes a JSON answer into out (may be nil).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body io.Reader, out any) error {
	return c.DoWith(ctx, method, path, query, nil, body, out)
}

// DoWith is Do with request headers (an Idempotency-Key).
func (c *Client) DoWith(ctx context.Context, method, path string, query url.Values, header http.Header, body io.Reader, out any) error {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, c.BaseURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return c.apiError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// DoRaw sends a GET-like request and copies a successful answer's body to w as it is (a CSV download).
func (c *Client) DoRaw(ctx context.Context, method, path string, query url.Values, w io.Writer) error {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, c.BaseURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return c.apiError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// apiError reads an error answer.
func (c *Client) apiError(resp *http.Response) error {
	var e struct {
		Error APIError `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
		e.Error = APIError{Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(b))}
		if e.Error.Message == "" || strings.HasPrefix(e.Error.Message, "<") {
			e.Error.Message = "the server at " + c.BaseURL + " did not answer like an Atrium portal"
		}
	}
	e.Error.Status = resp.StatusCode
	return &e.Error
}

// FlagDefinitions is an environment's flag set as the portal serves it to in-process providers.
type FlagDefinitions struct {
	Data        []byte // the flagd flag-definition file; nil when NotModified
	ETag        string
	NotModified bool
}

// maxFlagDefinitions bounds the flag set a client accepts.
const maxFlagDefinitions = 32 << 20

// FlagDefinitions fetches the flag set of environment ("" when the token is scoped to one). With etag from an
// earlier answer the portal answers NotModified when nothing changed, which costs it almost nothing.
func (c *Client) FlagDefinitions(ctx context.Context, environment, etag string) (FlagDefinitions, error) {
	u := c.BaseURL + "/api/v1/flags/definitions"
	if environment != "" {
		u += "?" + url.Values{"environment": {environment}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return FlagDefinitions{}, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return FlagDefinitions{}, ctx.Err()
		}
		return FlagDefinitions{}, fmt.Errorf("%w: %s: %v", ErrUnreachable, c.BaseURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return FlagDefinitions{ETag: etag, NotModified: true}, nil
	case resp.StatusCode >= 400:
		return FlagDefinitions{}, c.apiError(resp)
	case resp.StatusCode != http.StatusOK:
		return FlagDefinitions{}, fmt.Errorf("flag definitions: unexpected status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFlagDefinitions+1))
	if err != nil {
		return FlagDefinitions{}, fmt.Errorf("%w: %s: reading flag definitions: %v", ErrUnreachable, c.BaseURL, err)
	}
	if len(b) > maxFlagDefinitions {
		return FlagDefinitions{}, fmt.Errorf("flag definitions larger than %d bytes", maxFlagDefinitions)
	}
	return FlagDefinitions{Data: b, ETag: resp.Header.Get("ETag")}, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Changes reads the change feed after cursor, waiting up to wait for a change when there is none.
func (c *Client) Changes(ctx context.Context, cursor string, limit int, wait time.Duration) (Batch, error) {
	return c.ChangesWith(ctx, cursor, limit, wait, nil)
}

// ChangesWith is Changes with request headers: a desktop install reports itself with them (docs/fleet.md).
func (c *Client) ChangesWith(ctx context.Context, cursor string, limit int, wait time.Duration, header http.Header) (Batch, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if wait > 0 {
		q.Set("wait", strconv.Itoa(int(wait/time.Second)))
	}
	var b Batch
	err := c.DoWith(ctx, http.MethodGet, "/api/v1/changes", q, header, nil, &b)
	return b, err
}

// ServiceQuery selects services; see the listServices operation.
type ServiceQuery struct {
	Q, Owner, Language, Lifecycle, Sort, Order string
	Limit, Offset                              int
}

// Services lists services.
func (c *Client) Services(ctx context.Context, sq ServiceQuery) (ServicePage, error) {
	q := url.Values{}
	for k, v := range map[string]string{"q": sq.Q, "owner": sq.Owner, "language": sq.Language,
		"lifecycle": sq.Lifecycle, "sort": sq.Sort, "order": sq.Order} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if sq.Limit > 0 {
		q.Set("limit", strconv.Itoa(sq.Limit))
	}
	if sq.Offset > 0 {
		q.Set("offset", strconv.Itoa(sq.Offset))
	}
	var p ServicePage
	err := c.Do(ctx, http.MethodGet, "/api/v1/services", q, nil, &p)
	return p, err
}

// Service reads one service.
func (c *Client) Service(ctx context.Context, name string) (Service, error) {
	var s Service
	err := c.Do(ctx, http.MethodGet, "/api/v1/services/"+url.PathEscape(name), nil, nil, &s)
	return s, err
}
