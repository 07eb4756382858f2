package flagstore_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

func newStore(t *testing.T) *flagstore.Store {
	t.Helper()
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &flagstore.Store{DB: db.SQL(), Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
}

func flag(t *testing.T, src string) *flags.Flag {
	t.Helper()
	f, err := flags.ParseFlag([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const onOff = `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}`

func TestPutCreatesUpdatesAndRecordsHistory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	empty, _ := s.ETag(ctx, "dev")
	put := flags.Change{Action: flags.ActionPut, Environment: "dev", Key: "new-ui", Team: "web", Owner: "ana",
		Flag: flag(t, onOff), Actor: "ana"}
	if err := s.Apply(ctx, put); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, "dev", "new-ui")
	if err != nil || r.Version != 1 || r.Team != "web" || r.UpdatedBy != "ana" {
		t.Fatalf("created %+v %v", r, err)
	}
	etag1, _ := s.ETag(ctx, "dev")
	if etag1 == empty {
		t.Errorf("ETag unchanged by a new flag")
	}
	// The same definition again changes nothing.
	if err := s.Apply(ctx, put); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get(ctx, "dev", "new-ui"); r.Version != 1 {
		t.Errorf("no-op put bumped the version to %d", r.Version)
	}
	if e, _ := s.ETag(ctx, "dev"); e != etag1 {
		t.Errorf("no-op put changed the ETag")
	}
	put.Flag = flag(t, `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}`)
	put.IfVersion = 1
	if err := s.Apply(ctx, put); err != nil {
		t.Fatal(err)
	}
	put.IfVersion = 1 // stale now
	if err := s.Apply(ctx, put); !errors.Is(err, flagstore.ErrConflict) {
		t.Errorf("stale version: %v, want ErrConflict", err)
	}
	h, err := s.History(ctx, "dev", "new-ui", 0)
	if err != nil || len(h) != 2 {
		t.Fatalf("history %+v %v", h, err)
	}
	if h[0].Action != "update" || h[0].Version != 2 || len(h[0].Before) == 0 || len(h[0].After) == 0 {
		t.Errorf("newest entry %+v", h[0])
	}
	if h[1].Action != "create" || h[1].Before != nil {
		t.Errorf("oldest entry %+v", h[1])
	}
	if e, _ := s.ETag(ctx, "dev"); e == etag1 {
		t.Errorf("ETag unchanged by an update")
	}
	if e, _ := s.ETag(ctx, "staging"); e == etag1 {
		t.Errorf("other environment shares the ETag")
	}
}

func TestInvalidPutStoresNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	bad := flag(t, `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
		"targeting": {"fractional": [["on", 10.5], ["off", 89.5]]}}`)
	err := s.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "dev", Key: "x", Flag: bad, Actor: "a"})
	var ps problem.Problems
	if !errors.Is(err, flags.ErrInvalid) || !errors.As(err, &ps) || ps[0].Path != "/targeting/fractional/0/1" {
		t.Fatalf("got %v (problems %v)", err, ps)
	}
	if _, err := s.Get(ctx, "dev", "x"); !errors.Is(err, flagstore.ErrNotFound) {
		t.Errorf("invalid flag stored: %v", err)
	}
	if h, _ := s.History(ctx, "dev", "x", 0); len(h) != 0 {
		t.Errorf("history for an invalid flag: %+v", h)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.Apply(ctx, flags.Change{Action: flags.ActionDelete, Environment: "dev", Key: "x", Actor: "a"}); !errors.Is(err, flagstore.ErrNotFound) {
		t.Errorf("delete of a missing flag: %v", err)
	}
	if err := s.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "dev", Key: "x", Team: "t", Flag: flag(t, onOff), Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, flags.Change{Action: flags.ActionDelete, Environment: "dev", Key: "x", Actor: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "dev", "x"); !errors.Is(err, flagstore.ErrNotFound) {
		t.Errorf("deleted flag still there: %v", err)
	}
	h, _ := s.History(ctx, "dev", "x", 0)
	if len(h) != 2 || h[0].Action != "delete" || h[0].After != nil || h[0].Actor != "b" || h[0].Team != "t" {
		t.Errorf("history %+v", h)
	}
}

const fileV1 = `{"metadata": {"flagSetId": "shop"},
  "$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@sphera.io"]}},
  "flags": {
    "keep": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "change": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
      "targeting": {"if": [{"$ref": "staff"}, "b", null]}, "metadata": {"team": "growth", "owner": "li"}},
    "drop": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}
  }}`

const fileV2 = `{"metadata": {"flagSetId": "shop"},
  "$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@sphera.io"]}},
  "flags": {
    "keep": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "change": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "b",
      "targeting": {"if": [{"$ref": "staff"}, "b", null]}, "metadata": {"team": "growth", "owner": "li"}},
    "added": {"state": "ENABLED", "variants": {"x": 1, "y": 2}, "defaultVariant": "x"}
  }}`

func importFile(t *testing.T, s *flagstore.Store, env, src string) error {
	t.Helper()
	f, err := flags.ParseFile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s.Apply(context.Background(), flags.Change{Action: flags.ActionImport, Environment: env, File: f,
		Team: "platform", Actor: "admin"})
}

func TestImportReplacesTheSet(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := importFile(t, s, "production", fileV1); err != nil {
		t.Fatal(err)
	}
	etag1, _ := s.ETag(ctx, "production")
	if r, _ := s.Get(ctx, "production", "change"); r.Team != "growth" || r.Owner != "li" {
		t.Errorf("team/owner from metadata: %+v", r)
	}
	if r, _ := s.Get(ctx, "production", "keep"); r.Team != "platform" {
		t.Errorf("team of a flag without one: %+v", r)
	}
	if err := importFile(t, s, "production", fileV1); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.ETag(ctx, "production"); e != etag1 {
		t.Errorf("re-importing the same file changed the ETag")
	}
	if err := importFile(t, s, "production", fileV2); err != nil {
		t.Fatal(err)
	}
	recs, _ := s.List(ctx, flagstore.Filter{Environment: "production"})
	got := map[string]int{}
	for _, r := range recs {
		got[r.Key] = r.Version
	}
	if len(got) != 3 || got["keep"] != 1 || got["change"] != 2 || got["added"] != 1 {
		t.Errorf("after import: %v", got)
	}
	if h, _ := s.History(ctx, "production", "drop", 0); len(h) != 2 || h[0].After != nil {
		t.Errorf("dropped flag's history %+v", h)
	}
	if h, _ := s.History(ctx, "production", "keep", 0); len(h) != 1 {
		t.Errorf("unchanged flag got history: %+v", h)
	}
	set, err := s.Load(ctx, "production")
	if err != nil {
		t.Fatal(err)
	}
	if set.File.Metadata["flagSetId"] != "shop" || len(set.File.Evaluators) != 1 || len(set.File.Flags) != 3 {
		t.Errorf("loaded set %+v", set.File)
	}
	d := flags.Compile(set.File).Evaluate("change", map[string]any{"email": "jo@sphera.io"})
	if d.Variant != "b" || d.Reason != flags.ReasonTargetingMatch {
		t.Errorf("evaluating the loaded set: %+v", d)
	}
}

func TestInvalidImportChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := importFile(t, s, "dev", fileV1); err != nil {
		t.Fatal(err)
	}
	before, _ := s.ETag(ctx, "dev")
	bad := `{"flags": {"keep": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
		"targeting": {"if": [{"$ref": "gone"}, "on", null]}}}}`
	err := importFile(t, s, "dev", bad)
	var ps problem.Problems
	if !errors.As(err, &ps) || ps[0].Path != "/flags/keep/targeting/if/0/$ref" {
		t.Fatalf("got %v", err)
	}
	if after, _ := s.ETag(ctx, "dev"); after != before {
		t.Errorf("ETag changed by a rejected import")
	}
	if recs, _ := s.List(ctx, flagstore.Filter{Environment: "dev"}); len(recs) != 3 {
		t.Errorf("flags after a rejected import: %d", len(recs))
	}
}

// TestImportIsAtomic makes the database refuse one insert halfway through an import: nothing of it may remain.
func TestImportIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := importFile(t, s, "dev", fileV1); err != nil {
		t.Fatal(err)
	}
	before, _ := s.ETag(ctx, "dev")
	refuse := `CREATE TRIGGER refuse BEFORE INSERT ON flags WHEN NEW.key = 'added'
		BEGIN SELECT RAISE(ABORT, 'refused'); END`
	if store.IsPostgres(s.DB) {
		refuse = `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'refused'; END $$;
			CREATE TRIGGER refuse BEFORE INSERT ON flags FOR EACH ROW WHEN (NEW.key = 'added') EXECUTE FUNCTION refuse()`
	}
	if _, err := s.DB.Exec(refuse); err != nil {
		t.Fatal(err)
	}
	if err := importFile(t, s, "dev", fileV2); err == nil {
		t.Fatal("import succeeded despite the refused insert")
	}
	if after, _ := s.ETag(ctx, "dev"); after != before {
		t.Errorf("ETag changed by a failed import")
	}
	recs, _ := s.List(ctx, flagstore.Filter{Environment: "dev"})
	if len(recs) != 3 {
		t.Errorf("%d flags after a failed import, want the 3 from before", len(recs))
	}
	for _, r := range recs {
		if r.Version != 1 {
			t.Errorf("%s changed to version %d by a failed import", r.Key, r.Version)
		}
	}
	if h, _ := s.History(ctx, "dev", "drop", 0); len(h) != 1 {
		t.Errorf("history written by a failed import: %+v", h)
	}
}

// TestInTxFailureRollsBack: a failing in-transaction hook (the audit log, say) undoes the change.
func TestInTxFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var seen []flags.Change
	s.InTx = func(_ context.Context, _ *sql.Tx, c flags.Change) error {
		seen = append(seen, c)
		if c.Key == "refused" {
			return errors.New("audit log unavailable")
		}
		return nil
	}
	if err := s.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "dev", Key: "kept", Flag: flag(t, onOff), Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	err := s.Apply(ctx, flags.Change{Action: flags.ActionPut, Environment: "dev", Key: "refused", Flag: flag(t, onOff), Actor: "a"})
	if err == nil || !strings.Contains(err.Error(), "audit log unavailable") {
		t.Fatalf("got %v", err)
	}
	if _, err := s.Get(ctx, "dev", "refused"); !errors.Is(err, flagstore.ErrNotFound) {
		t.Errorf("refused change was stored: %v", err)
	}
	if h, _ := s.History(ctx, "dev", "refused", 0); len(h) != 0 {
		t.Errorf("history of a refused change: %+v", h)
	}
	if len(seen) != 2 || seen[0].Key != "kept" {
		t.Errorf("hook saw %+v", seen)
	}
}
