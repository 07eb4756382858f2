package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store/pgtest"
)

// portalToCopy fills a SQLite portal with rows in every kind of table: services with their lists, teams, the feed,
// clusters, workloads and claims, and rows of the other packages' tables (tokens, audit, flags, actions, blobs).
func portalToCopy(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db := openEngine(t, SQLite)
	var svcs []catalog.Service
	for i := range 30 {
		s := svc(fmt.Sprintf("svc-%02d", i), "team-"+fmt.Sprint(i%3), "Go")
		s.Title = "Zürich " + s.Name
		s.Deployments = []catalog.Deployment{{Cluster: "eu-1", Namespace: "apps", Kind: "Deployment", Name: s.Name,
			Environment: "production", Region: "eu-west-1", Image: "r/x:1", Version: "1", Ready: 1, Desired: 1}}
		svcs = append(svcs, s)
	}
	if _, err := db.PutTeams(ctx, []catalog.Team{{Name: "team-0"}, {Name: "team-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReplaceSource(ctx, "test", svcs); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteService(ctx, "svc-07"); err != nil { // a tombstone in the feed
		t.Fatal(err)
	}
	if _, err := db.ReplaceClusterWorkloads(ctx, "eu-1", []catalog.Workload{wl("eu-1", "eu-west-1", "production",
		"apps", "orphan", "", "1")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.PutClaim(ctx, catalog.Claim{Namespace: "apps", Kind: "Deployment", Name: "orphan",
		Service: "svc-01", CreatedBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO api_tokens(id, name, hash, subject, created_at) VALUES ('tok_1', 'admin', 'h1', 'admin', 1)`,
		`INSERT INTO audit_log(at, actor, action, resource, outcome) VALUES (1, 'admin', 'token.created', 'token/tok_1', 'success')`,
		`INSERT INTO audit_log(at, actor, action, resource, outcome) VALUES (2, 'admin', 'token.revoked', 'token/tok_1', 'success')`,
		`INSERT INTO flags(environment, key, definition, version, created_at, updated_at, updated_by)
			VALUES ('dev', 'banner', '{"state":"ENABLED"}', 3, 1, 2, 'ana')`,
		`INSERT INTO flag_history(environment, key, version, action, actor, at) VALUES ('dev', 'banner', 3, 'update', 'ana', 2)`,
		`INSERT INTO actions(id, requester, team, service, kind, params, environment, region, delivery, idempotency_key,
			request_hash, state, created_at, updated_at) VALUES ('act_1', 'dana', 'team-0', 'svc-01', 'sqs_queue', '{}',
			'dev', 'eu-west-1', 'preview', 'k1', 'h', 'succeeded', 1, 2)`,
		`INSERT INTO action_events(action_id, at, actor, from_state, to_state) VALUES ('act_1', 1, 'dana', '', 'approved')`,
		`INSERT INTO github_blobs(sha, content) VALUES ('abc', x'00ff10802a')`,
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// TestCopyToPostgres: a SQLite portal copied into a new PostgreSQL database has the same rows in every table, the
// same change feed under the same epoch — a desktop's cursor continues there without a reset — searchable services,
// and ids that carry on after the copied ones.
func TestCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	src := portalToCopy(t)
	url := pgtest.NewDatabase(t)
	dst, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close() //nolint:errcheck // test cleanup
	before, err := src.Changes(ctx, "", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	rep, err := CopyToPostgres(ctx, src, dst, CopyOptions{Progress: func(tc TableCopy) { seen = append(seen, tc.Table) }})
	if err != nil {
		t.Fatalf("copy: %v (%+v)", err, rep)
	}
	if rep.Resumed || rep.Epoch != src.Epoch() || rep.FeedSeq == 0 || len(seen) != len(rep.Tables) {
		t.Errorf("report: %+v", rep)
	}
	for _, tc := range rep.Tables {
		if !tc.Copied || tc.Source != tc.Target {
			t.Errorf("table %s: %+v", tc.Table, tc)
		}
	}
	order := copyOrder(mustTables(t, src))
	if slices.Index(order, "services") > slices.Index(order, "dependencies") ||
		slices.Index(order, "actions") > slices.Index(order, "action_events") {
		t.Errorf("referenced tables must come first: %v", order)
	}

	// Copying again finds everything copied and verified.
	again, err := CopyToPostgres(ctx, src, dst, CopyOptions{})
	if err != nil || !again.Resumed || slices.ContainsFunc(again.Tables, func(tc TableCopy) bool { return tc.Copied }) {
		t.Errorf("copy again: %+v %v", again, err)
	}

	// A portal on the copy: same feed, same epoch, the desktop's cursor carries on.
	copied, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close() //nolint:errcheck // test cleanup
	if copied.Epoch() != src.Epoch() {
		t.Errorf("epoch %s, source %s", copied.Epoch(), src.Epoch())
	}
	after, err := copied.Changes(ctx, before.Cursor, 1000, 0)
	if err != nil || after.Reset || len(after.Changes) != 0 {
		t.Errorf("the desktop's cursor on the copy: reset=%v %d changes %v", after.Reset, len(after.Changes), err)
	}
	all, _ := copied.Changes(ctx, "", 1000, 0)
	if all.Cursor != before.Cursor || len(all.Changes) != len(before.Changes) {
		t.Errorf("the copy's feed: %s %d, the source's %s %d", all.Cursor, len(all.Changes), before.Cursor, len(before.Changes))
	}
	if p, err := copied.ListServices(ctx, ServiceQuery{Q: "zurich svc-03"}); err != nil || p.Total != 1 {
		t.Errorf("search on the copy: %+v %v", p, err)
	}
	var blob []byte
	if err := copied.SQL().QueryRowContext(ctx, `SELECT content FROM github_blobs WHERE sha = 'abc'`).Scan(&blob); err != nil ||
		string(blob) != "\x00\xff\x10\x80\x2a" {
		t.Errorf("blob: %x %v", blob, err)
	}
	if _, err := copied.PutServices(ctx, []catalog.Service{svc("after-the-move", "team-0", "Go")}); err != nil {
		t.Errorf("a service written after the copy: %v", err)
	}
	if _, err := copied.SQL().ExecContext(ctx, `INSERT INTO audit_log(at, actor, action, resource, outcome)
		VALUES (3, 'admin', 'x', 'y', 'success')`); err != nil {
		t.Errorf("an audit entry written after the copy: %v", err)
	}

}

// TestCopyResumes: a copy stopped halfway (here after its third table) resumes where it stopped when run again, and
// verifies; a source that changed in between, or a target holding something else, is refused.
func TestCopyResumes(t *testing.T) {
	ctx := context.Background()
	src := portalToCopy(t)
	dst := openEngine(t, Postgres)
	stop := errors.New("the connection was lost")
	n := 0
	_, err := CopyToPostgres(ctx, src, dst, CopyOptions{afterTable: func(string) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) {
		t.Fatalf("first run: %v", err)
	}
	rep, err := CopyToPostgres(ctx, src, dst, CopyOptions{})
	if err != nil || !rep.Resumed {
		t.Fatalf("resumed run: %+v %v", rep, err)
	}
	copied := 0
	for i, tc := range rep.Tables {
		if tc.Copied != (i >= 3) || tc.Source != tc.Target {
			t.Errorf("table %d %s on resuming: %+v", i, tc.Table, tc)
		}
		if tc.Copied {
			copied++
		}
	}
	if copied == 0 {
		t.Error("the resumed run copied nothing")
	}
	// Verification compares every table: a row lost from the target is reported.
	if _, err := dst.SQL().ExecContext(ctx, `DELETE FROM audit_log WHERE action = 'token.revoked'`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyToPostgres(ctx, src, dst, CopyOptions{}); !errors.Is(err, ErrCopyMismatch) ||
		!strings.Contains(err.Error(), "audit_log: 2 rows in the source, 1 in the target") {
		t.Errorf("a target missing a row: %v", err)
	}

	// The source changes after a partial copy: resuming would mix two states.
	src2 := portalToCopy(t)
	dst2 := openEngine(t, Postgres)
	n = 0
	if _, err := CopyToPostgres(ctx, src2, dst2, CopyOptions{afterTable: func(string) error { return stop }}); !errors.Is(err, stop) {
		t.Fatal(err)
	}
	if _, err := src2.PutServices(ctx, []catalog.Service{svc("late", "team-0", "Go")}); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyToPostgres(ctx, src2, dst2, CopyOptions{}); !errors.Is(err, ErrCopyRefused) ||
		!strings.Contains(err.Error(), "changed since") {
		t.Errorf("a changed source: %v", err)
	}

	// A target that already holds a portal.
	busy := openEngine(t, Postgres)
	if _, err := busy.PutServices(ctx, []catalog.Service{svc("mine", "team-0", "Go")}); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyToPostgres(ctx, src, busy, CopyOptions{}); !errors.Is(err, ErrCopyRefused) ||
		!strings.Contains(err.Error(), "not empty") {
		t.Errorf("a target holding a portal: %v", err)
	}
	if got, _ := busy.CountServices(ctx); got != 1 {
		t.Errorf("the refused target was written: %d services", got)
	}
}

func mustTables(t *testing.T, db *DB) []table {
	t.Helper()
	ts, err := copyTables(context.Background(), db.SQL())
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
