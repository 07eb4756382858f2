// Package sources is what every collector (GitHub, Kubernetes, AWS) shares: the status a collector reports while it
// runs, and the set of running collectors the portal API asks about. The collectors themselves live in the
// sub-packages; each writes services through the store and reports here.
package sources

import (
	"context"
	"errors"
	"fmt"
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

// Collector is a source of services the portal reports on: a running collector (a GitHub organisation, a
// Kubernetes cluster), or a source known only from what it left in the store (Recorded).
type Collector interface {
	// Name is the source's name, e.g. github:acme, kube:prod-eu-1, demo.
	Name() string
	// Status reports progress and the outcome of the last sync; it never blocks on a running sync. Syncable is
	// the Set's to fill.
	Status() Status
	// Detail is Status with per-item errors.
	Detail(ctx context.Context) (Detail, error)
}

// Syncer is a collector that syncs on request (GitHub). Collectors that watch continuously (Kubernetes informers)
// and recorded sources are not Syncers: there is nothing to start.
type Syncer interface {
	Collector
	// Trigger asks for a sync as soon as possible and returns at once; a sync already running is not repeated.
	Trigger()
}

// Recorded is a source known only from the freshness record it left in the store — the demo, a collector no longer
// configured: its last recorded status, and nothing to sync.
type Recorded struct{ Last Status }

// Name implements Collector.
func (r Recorded) Name() string { return r.Last.Name }

// Status implements Collector.
func (r Recorded) Status() Status { return r.Last }

// Detail implements Collector: a recorded source keeps no per-item errors.
func (r Recorded) Detail(context.Context) (Detail, error) {
	return Detail{Status: r.Last, ItemErrors: []ItemError{}}, nil
}

// Errors of a Set.
var (
	// ErrNotFound is returned for a name no collector of the set has.
	ErrNotFound = errors.New("no source")
	// ErrNotSyncable is returned when asked to sync a collector that is not a Syncer.
	ErrNotSyncable = errors.New("nothing to sync")
)

// Set is the collectors a portal reports on, by name (e.g. github:acme, kube:prod-eu-1, demo).
type Set map[string]Collector

// Add puts collectors into the set under their names.
func (s Set) Add(cs ...Collector) {
	for _, c := range cs {
		s[c.Name()] = c
	}
}

// With returns a set of s's collectors and, for names s does not have, more's.
func (s Set) With(more Set) Set {
	out := make(Set, len(s)+len(more))
	for n, c := range more {
		out[n] = c
	}
	for n, c := range s {
		out[n] = c
	}
	return out
}

// status is c's status, saying whether it syncs on request.
func status(c Collector) Status {
	st := c.Status()
	_, st.Syncable = c.(Syncer)
	return st
}

// Statuses lists every collector's status: the running collectors by name, then the recorded sources by name.
func (s Set) Statuses() []Status {
	type entry struct {
		st       Status
		recorded bool
	}
	list := make([]entry, 0, len(s))
	for _, c := range s {
		_, rec := c.(Recorded)
		list = append(list, entry{status(c), rec})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].recorded != list[j].recorded {
			return !list[i].recorded
		}
		return list[i].st.Name < list[j].st.Name
	})
	out := make([]Status, len(list))
	for i, e := range list {
		out[i] = e.st
	}
	return out
}

// Get returns the named collector, or an error wrapping ErrNotFound.
func (s Set) Get(name string) (Collector, error) {
	if c, ok := s[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w named %q", ErrNotFound, name)
}

// Detail is the named collector's detail.
func (s Set) Detail(ctx context.Context, name string) (Detail, error) {
	c, err := s.Get(name)
	if err != nil {
		return Detail{}, err
	}
	d, err := c.Detail(ctx)
	_, d.Syncable = c.(Syncer)
	return d, err
}

// Sync triggers the named collector and returns its status, or an error wrapping ErrNotFound or ErrNotSyncable.
func (s Set) Sync(name string) (Status, error) {
	c, err := s.Get(name)
	if err != nil {
		return Status{}, err
	}
	sy, ok := c.(Syncer)
	if !ok {
		if _, rec := c.(Recorded); rec {
			return Status{}, fmt.Errorf("source %q has no collector running on this portal; there is %w", name,
				ErrNotSyncable)
		}
		return Status{}, fmt.Errorf("source %q watches continuously; there is %w", name, ErrNotSyncable)
	}
	sy.Trigger()
	return status(c), nil
}
