// Package sources is what every collector (GitHub, Kubernetes, AWS) shares: the status a collector reports while it
// runs, and the set of running collectors the portal API asks about. The collectors themselves live in the
// sub-packages; each writes services through the store and reports here.
package sources

import (
	"context"
	"errors"
	"sort"
	"time"
)

// States of a collector.
const (
	StateIdle    = "idle"    // configured, not yet run
	StateSyncing = "syncing" // a sync is running
	StateOK      = "ok"      // the last sync finished without errors
	StatePartial = "partial" // the last sync finished; some items failed (see Detail.Errors)
	StateError   = "error"   // the last sync could not run (bad credentials, unknown organisation, ...)
)

// RateLimit is an API's budget as its last answer reported it.
type RateLimit struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`
	// Waiting is set while requests are held back to spare the budget or because the API asked to wait.
	Waiting string `json:"waiting,omitempty"`
}

// Requests counts what the last (or current) sync asked of an API.
type Requests struct {
	Total       int `json:"total"`
	NotModified int `json:"not_modified"` // conditional requests answered 304 (free of rate limit on GitHub)
	List        int `json:"list"`
	Content     int `json:"content"` // requests for repository contents (commits, trees, blobs)
	Retried     int `json:"retried"` // requests repeated after a rate-limit answer
}

// Status is what a collector reports: progress while it syncs, and how its last sync went.
type Status struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	State    string `json:"state"`
	Message  string `json:"message,omitempty"` // for a person: what happened, what to do
	Done     int    `json:"done"`              // items (repositories) processed in the current or last sync
	Total    int    `json:"total"`
	Errors   int    `json:"errors"` // items whose last attempt failed
	Services int    `json:"services"`
	// Syncable says whether POST /sources/{name}/sync can start a sync now (a running collector), as opposed to
	// a source known only from what it left in the catalog (the demo, a collector no longer configured).
	Syncable   bool       `json:"syncable"`
	StartedAt  time.Time  `json:"started_at,omitzero"`
	FinishedAt time.Time  `json:"finished_at,omitzero"`
	RateLimit  *RateLimit `json:"rate_limit,omitempty"`
	Requests   *Requests  `json:"requests,omitempty"`
	// Versions says where newest package versions come from, or why they are unknown.
	Versions string `json:"versions,omitempty"`
}

// ItemError is one item (repository) whose last attempt failed.
type ItemError struct {
	Item  string    `json:"item"`
	Error string    `json:"error"`
	At    time.Time `json:"at"`
}

// Detail is a collector's status with the errors of its items.
type Detail struct {
	Status
	Items      int         `json:"items"` // items (repositories) known
	ItemErrors []ItemError `json:"item_errors"`
}

// Collector is a running source of services.
type Collector interface {
	// Status reports progress and the outcome of the last sync; it never blocks on a running sync.
	Status() Status
	// Detail is Status with per-item errors.
	Detail(ctx context.Context) (Detail, error)
	// Trigger asks for a sync as soon as possible and returns at once; a sync already running is not repeated.
	Trigger()
}

// ErrNotFound is returned for a collector name that is not running.
var ErrNotFound = errors.New("no such collector")

// Set is the collectors a portal runs, by name.
type Set map[string]Collector

// Statuses lists every collector's status by name.
func (s Set) Statuses() []Status {
	out := make([]Status, 0, len(s))
	for _, c := range s {
		out = append(out, c.Status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the named collector or ErrNotFound.
func (s Set) Get(name string) (Collector, error) {
	if c, ok := s[name]; ok {
		return c, nil
	}
	return nil, ErrNotFound
}
