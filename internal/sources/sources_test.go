package sources_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sphera/atrium/internal/sources"
)

// syncer is a collector that syncs on request and counts the requests.
type syncer struct {
	name     string
	triggers int
}

func (s *syncer) Name() string { return s.name }
func (s *syncer) Status() sources.Status {
	return sources.Status{Name: s.name, Kind: "github", State: sources.StateOK}
}
func (s *syncer) Detail(context.Context) (sources.Detail, error) {
	return sources.Detail{Status: s.Status(), ItemErrors: []sources.ItemError{}}, nil
}
func (s *syncer) Trigger() { s.triggers++ }

// watcher is a collector with nothing to sync on request (a Kubernetes cluster).
type watcher struct{ name string }

func (w watcher) Name() string { return w.name }
func (w watcher) Status() sources.Status {
	return sources.Status{Name: w.name, Kind: "kube", State: "unreachable"}
}
func (w watcher) Detail(context.Context) (sources.Detail, error) {
	return sources.Detail{Status: w.Status(), ItemErrors: []sources.ItemError{}}, nil
}

func recorded(name string) sources.Recorded {
	return sources.Recorded{Last: sources.Status{Name: name, State: sources.StateOK}}
}

func TestSet(t *testing.T) {
	gh := &syncer{name: "github:acme"}
	running := sources.Set{}
	running.Add(watcher{"kube:prod"}, gh)
	// The store still records github:acme from an earlier run: the running collector wins.
	all := running.With(sources.Set{"demo": recorded("demo"), "github:acme": recorded("github:acme"),
		"github:old": recorded("github:old")})

	var names []string
	var syncable []bool
	for _, st := range all.Statuses() {
		names = append(names, st.Name)
		syncable = append(syncable, st.Syncable)
	}
	if want := []string{"github:acme", "kube:prod", "demo", "github:old"}; !slices.Equal(names, want) {
		t.Errorf("order %v, want running collectors by name, then recorded sources by name: %v", names, want)
	}
	if want := []bool{true, false, false, false}; !slices.Equal(syncable, want) {
		t.Errorf("syncable %v, want %v", syncable, want)
	}

	for _, tc := range []struct {
		name     string
		syncable bool
		syncErr  error
	}{
		{"github:acme", true, nil},
		{"kube:prod", false, sources.ErrNotSyncable},
		{"demo", false, sources.ErrNotSyncable},
		{"github:nope", false, sources.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := all.Detail(context.Background(), tc.name)
			switch {
			case errors.Is(tc.syncErr, sources.ErrNotFound):
				if !errors.Is(err, sources.ErrNotFound) || err.Error() != `no source named "github:nope"` {
					t.Errorf("detail of an unknown source: %v", err)
				}
			case err != nil || d.Name != tc.name || d.Syncable != tc.syncable || d.ItemErrors == nil:
				t.Errorf("detail: %+v %v", d, err)
			}
			st, err := all.Sync(tc.name)
			if !errors.Is(err, tc.syncErr) || (err == nil && (!st.Syncable || st.Name != tc.name)) {
				t.Errorf("sync: %+v %v, want %v", st, err, tc.syncErr)
			}
		})
	}
	if gh.triggers != 1 {
		t.Errorf("github:acme triggered %d times, want 1", gh.triggers)
	}
}
