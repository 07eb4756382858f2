package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/store/storetest"
)

func TestRecordAndQuery(t *testing.T) {
	ctx := audit.WithRequestID(context.Background(), "req_1")
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	l := audit.Log{DB: db.SQL()}
	var a audit.Auditor = l // what other packages hold
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	events := []audit.Event{
		{At: t0, Actor: "admin", Action: "token.created", Resource: "token/tok_1"},
		{At: t0.Add(time.Hour), Actor: "dana", Action: "action.requested", Resource: "action/act_1", Detail: map[string]any{"kind": "sqs_queue"}},
		{At: t0.Add(2 * time.Hour), Actor: "pat", Action: "action.approved", Resource: "action/act_1"},
		{At: t0.Add(3 * time.Hour), Actor: "olga", Action: "action.approve", Resource: "action/act_2", Outcome: audit.Denied},
		{At: t0.Add(4 * time.Hour), Actor: "admin", Action: "flag.updated", Resource: "flag/checkout-v2"},
	}
	for _, e := range events {
		if err := a.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Record(ctx, audit.Event{Actor: "x"}); err == nil {
		t.Error("event without action and resource accepted")
	}
	count := func(f audit.Filter) int {
		t.Helper()
		got, err := l.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	tests := []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"all", audit.Filter{}, 5},
		{"actor", audit.Filter{Actor: "admin"}, 2},
		{"action family", audit.Filter{Action: "action."}, 3},
		{"exact action", audit.Filter{Action: "action.approve"}, 1},
		{"resource kind", audit.Filter{Resource: "action/"}, 3},
		{"resource", audit.Filter{Resource: "action/act_1"}, 2},
		{"since", audit.Filter{Since: t0.Add(2 * time.Hour)}, 3},
		{"until", audit.Filter{Until: t0.Add(2 * time.Hour)}, 2},
		{"window", audit.Filter{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, 2},
		{"limit", audit.Filter{Limit: 2}, 2},
		{"no match", audit.Filter{Actor: "nobody"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(tt.f); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	page, _ := l.Query(context.Background(), audit.Filter{Limit: 2})
	if page[0].Action != "flag.updated" || page[0].RequestID != "req_1" || page[0].Outcome != audit.Success {
		t.Errorf("newest first, with request id and default outcome: %+v", page[0])
	}
	rest, _ := l.Query(context.Background(), audit.Filter{Before: page[1].ID})
	if len(rest) != 3 || rest[0].Action != "action.approved" {
		t.Errorf("next page: %+v", rest)
	}
	if d := rest[1].Detail; d["kind"] != "sqs_queue" {
		t.Errorf("detail: %v", d)
	}
}
