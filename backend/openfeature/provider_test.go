package openfeature_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"

	"github.com/sphera/atrium/backend/api"
	atrium "github.com/sphera/atrium/backend/openfeature"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// portal is a real portal on a fixed loopback address that a test can stop and start again.
type portal struct {
	t       *testing.T
	addr    string
	handler http.Handler
	store   *flagstore.Store
	token   string
	srv     *http.Server
	full    atomic.Int64 // 200 answers to definitions requests
	partial atomic.Int64 // 304 answers
}

func newPortal(t *testing.T) *portal {
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
	token, _, err := (auth.Tokens{DB: db.SQL()}).Create(context.Background(), auth.Token{Name: "svc", Subject: "svc",
		Scopes: []string{"flags:evaluate:production"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	fs := &flagstore.Store{DB: db.SQL()}
	h := (&api.Portal{DB: db, Log: quiet, Routes: (&api.Flags{Store: fs, Log: quiet}).Routes()}).Handler()
	p := &portal{t: t, store: fs, token: token}
	p.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusOK:
			p.full.Add(1)
		case http.StatusNotModified:
			p.partial.Add(1)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (p *portal) serve(ln net.Listener) {
	srv := &http.Server{Handler: p.handler}
	p.srv = srv
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			p.t.Error(err)
		}
	}()
}

func (p *portal) stop() {
	if p.srv != nil {
		if err := p.srv.Close(); err != nil {
			p.t.Error(err)
		}
		p.srv = nil
	}
}

// start serves again on the same address (free at once: stop closed the listener, and Go listens with
// SO_REUSEADDR).
func (p *portal) start() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// refreshes is a Config.After that lets a test run the provider's scheduled refreshes one at a time.
type refreshes struct {
	waits   chan chan time.Time // each wait of the provider's loop, as it starts
	pending chan time.Time      // the wait the loop is in
}

func newRefreshes() *refreshes {
	return &refreshes{waits: make(chan chan time.Time, 100)} // buffered: the loop never blocks on the test
}

func (r *refreshes) after(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	r.waits <- c
	return c
}

// step ends the loop's wait and returns when the refresh it starts is done (the loop waits again).
func (r *refreshes) step() {
	if r.pending == nil {
		r.pending = <-r.waits
	}
	r.pending <- time.Now()
	r.pending = <-r.waits
}

func (p *portal) put(key, def string) {
	p.t.Helper()
	f, err := flags.ParseFlag([]byte(def))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.store.Apply(context.Background(), flags.Change{Action: flags.ActionPut, Environment: "production",
		Key: key, Team: "web", Flag: f, Actor: "test"}); err != nil {
		p.t.Fatal(err)
	}
}

// events collects the provider's events as the SDK delivers them.
type events struct {
	mu  sync.Mutex
	got []of.EventDetails
	typ []of.EventType
	ch  chan struct{}
}

func watch(sdk *of.EvaluationAPI) *events {
	e := &events{ch: make(chan struct{}, 100)}
	for _, t := range []of.EventType{of.ProviderReady, of.ProviderConfigChange, of.ProviderStale, of.ProviderError} {
		t := t
		cb := func(d of.EventDetails) {
			e.mu.Lock()
			e.got, e.typ = append(e.got, d), append(e.typ, t)
			e.mu.Unlock()
			e.ch <- struct{}{}
		}
		sdk.AddHandler(t, &cb)
	}
	return e
}

// wait blocks until an event of type t arrives after the first `after` events, returning it.
func (e *events) wait(t *testing.T, typ of.EventType, after int) (of.EventDetails, int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		e.mu.Lock()
		for i := after; i < len(e.typ); i++ {
			if e.typ[i] == typ {
				d := e.got[i]
				e.mu.Unlock()
				return d, i + 1
			}
		}
		e.mu.Unlock()
		select {
		case <-e.ch:
		case <-deadline:
			t.Fatalf("no %s event; got %v", typ, e.typ)
		}
	}
}

func (e *events) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.typ)
}

const rollout = `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
	"targeting": {"if": [{"ends_with": [{"var": "email"}, "@sphera.io"]}, "on",
	  {"fractional": [{"var": "accountId"}, ["on", 50], ["off", 50]]}]}}`

func TestProviderFollowsThePortalAndSurvivesItsOutage(t *testing.T) {
	p := newPortal(t)
	p.put("new-checkout", rollout)
	p.put("theme", `{"state": "ENABLED", "variants": {"dark": {"bg": "#000"}, "light": {"bg": "#fff"}}, "defaultVariant": "light"}`)
	p.put("page-size", `{"state": "ENABLED", "variants": {"s": 10, "l": 50}, "defaultVariant": "s"}`)
	ctx := context.Background()

	refresh := newRefreshes()
	provider := atrium.New(atrium.Config{URL: "http://" + p.addr, Token: p.token, Logger: quiet, After: refresh.after})
	sdk := isolated.NewAPI()
	ev := watch(sdk)
	if err := sdk.SetProviderAndWait(ctx, provider); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sdk.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	client := sdk.NewClient()
	staff := of.NewEvaluationContext("u1", map[string]any{"email": "jo@sphera.io"})

	b, err := client.BooleanValueDetails(ctx, "new-checkout", false, staff)
	if err != nil || !b.Value || b.Reason != of.TargetingMatchReason || b.Variant != "on" {
		t.Fatalf("staff: %+v %v", b, err)
	}
	split, err := client.BooleanValueDetails(ctx, "new-checkout", false,
		of.NewEvaluationContext("u2", map[string]any{"accountId": "acct-1234"}))
	if err != nil || split.Reason != of.SplitReason {
		t.Errorf("split: %+v %v", split, err)
	}
	theme, err := client.ObjectValue(ctx, "theme", nil, staff)
	if err != nil || theme.(map[string]any)["bg"] != "#fff" {
		t.Errorf("object: %v %v", theme, err)
	}
	theme.(map[string]any)["bg"] = "mutated" // the caller's copy; the provider's value must not change
	if again, _ := client.ObjectValue(ctx, "theme", nil, staff); again.(map[string]any)["bg"] != "#fff" {
		t.Errorf("a caller's change leaked into the flag set: %v", again)
	}
	if n, err := client.IntValue(ctx, "page-size", 1, staff); err != nil || n != 10 {
		t.Errorf("int: %v %v", n, err)
	}
	if _, err := client.StringValueDetails(ctx, "page-size", "x", staff); err == nil {
		t.Errorf("type mismatch not reported")
	}
	nf, err := client.BooleanValueDetails(ctx, "nope", true, staff)
	if err == nil || nf.ErrorCode != of.FlagNotFoundCode || !nf.Value {
		t.Errorf("not found: %+v", nf)
	}
	bad, err := client.BooleanValueDetails(ctx, "new-checkout", false,
		of.NewEvaluationContext("u", map[string]any{"ch": make(chan int)}))
	if err == nil || bad.ErrorCode != of.InvalidContextCode {
		t.Errorf("invalid context: %+v %v", bad, err)
	}

	// Unchanged flags cost 304s.
	for range 3 {
		refresh.step()
	}
	if full, partial := p.full.Load(), p.partial.Load(); full != 1 || partial != 3 {
		t.Errorf("%d full and %d conditional answers; want 1 full, 3 answered 304", full, partial)
	}

	// A change reaches the provider with the changed key.
	seen := ev.count()
	p.put("new-checkout", `{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}`)
	refresh.step()
	d, seen := ev.wait(t, of.ProviderConfigChange, seen)
	if !slices.Equal(d.FlagChanges, []string{"new-checkout"}) {
		t.Errorf("changed flags %v", d.FlagChanges)
	}
	if b, _ := client.BooleanValueDetails(ctx, "new-checkout", false, of.NewEvaluationContext("u9", nil)); !b.Value ||
		b.Reason != of.StaticReason {
		t.Errorf("after change: %+v", b)
	}

	// The portal goes away: the provider says it is stale and keeps serving the last flag set.
	p.stop()
	refresh.step()
	_, seen = ev.wait(t, of.ProviderStale, seen)
	if b, err := client.BooleanValueDetails(ctx, "new-checkout", false, staff); err != nil || !b.Value {
		t.Errorf("during the outage: %+v %v", b, err)
	}
	p.put("new-checkout", rollout) // changed while the provider cannot see it
	p.start()
	refresh.step()
	_, after := ev.wait(t, of.ProviderReady, seen)
	ev.wait(t, of.ProviderConfigChange, seen)
	if b, _ := client.BooleanValueDetails(ctx, "new-checkout", true, of.NewEvaluationContext("u9", nil)); b.Reason == of.StaticReason {
		t.Errorf("after recovery still the old flag: %+v", b)
	}
	if provider.Metadata().Name != atrium.Name {
		t.Errorf("metadata %v", provider.Metadata())
	}
	if ev.count() < after {
		t.Errorf("events went missing")
	}
}

func TestProviderStartsWhileThePortalIsDown(t *testing.T) {
	p := newPortal(t)
	p.put("flag", `{"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "b"}`)
	p.stop()
	ctx := context.Background()
	refresh := newRefreshes()
	provider := atrium.New(atrium.Config{URL: "http://" + p.addr, Token: p.token, InitTimeout: time.Second,
		Logger: quiet, After: refresh.after})
	sdk := isolated.NewAPI()
	ev := watch(sdk)
	err := sdk.SetProviderAndWait(ctx, provider)
	if err == nil {
		t.Fatal("init succeeded without a portal")
	}
	defer func() {
		if err := sdk.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	client := sdk.NewClient()
	v, err := client.StringValueDetails(ctx, "flag", "code-default", of.NewEvaluationContext("u", nil))
	if err == nil || v.Value != "code-default" {
		t.Errorf("before any flag set: %+v %v", v, err)
	}
	p.start()
	refresh.step()
	ev.wait(t, of.ProviderReady, 0)
	if v, err := client.StringValue(ctx, "flag", "code-default", of.NewEvaluationContext("u", nil)); err != nil || v != "b" {
		t.Errorf("after the portal came up: %q %v", v, err)
	}
}

func TestProviderRejectsAWrongToken(t *testing.T) {
	p := newPortal(t)
	provider := atrium.New(atrium.Config{URL: "http://" + p.addr, Token: "atr_wrong_token_0000000000",
		Interval: time.Hour, Logger: quiet})
	err := provider.Init(of.NewEvaluationContext("", nil))
	defer provider.Shutdown()
	var apiErr interface{ Error() string }
	if err == nil || !errors.As(err, &apiErr) {
		t.Fatalf("init with a wrong token: %v", err)
	}
}
