package github_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

const org = "acme"

func atrium(name, owner string) string {
	return fmt.Sprintf("name: %s\nowner: %s\nlifecycle: production\ndescription: The %s service\n", name, owner, name)
}

const goMod = "module example.test/payments\n\ngo 1.22\n\nrequire (\n\tgithub.com/pkg/errors v0.9.0\n\tgolang.org/x/text v0.3.0 // indirect\n)\n"

const packageJSON = `{"name": "checkout", "dependencies": {"react": "^17.0.2", "left-pad": "1.3.0"}, "devDependencies": {"typescript": "~5.1.0"}}`

const packageLock = `{"lockfileVersion": 3, "packages": {"": {}, "node_modules/react": {"version": "17.0.2"}, "node_modules/left-pad": {"version": "1.3.0"}, "node_modules/typescript": {"version": "5.1.6"}}}`

// seedOrg creates the organisation most tests use, plus extra plain repositories so the listing spans pages.
func seedOrg(gh *githubtest.Server, extra int) {
	gh.AddOrg(org)
	gh.AddRepo(org, githubtest.Repo{Name: "payments-api", Language: "Go", Topics: []string{"pci"},
		Files: map[string]string{"atrium.yaml": atrium("payments-api", "payments"), "go.mod": goMod, "README.md": "# hi"}})
	gh.AddRepo(org, githubtest.Repo{Name: "checkout-web", Description: "Checkout pages",
		Files: map[string]string{"package.json": packageJSON, "package-lock.json": packageLock,
			"node_modules/x/package.json": "{}"}})
	gh.AddRepo(org, githubtest.Repo{Name: "mobile", Files: map[string]string{
		"apps/ios/atrium.yaml":      atrium("mobile-ios", "mobile"),
		"apps/android/atrium.yaml":  atrium("mobile-android", "mobile"),
		"apps/android/package.json": packageJSON}})
	gh.AddRepo(org, githubtest.Repo{Name: "broken", Files: map[string]string{
		"atrium.yaml":  "name: [unclosed\nowner: x\n",
		"package.json": `{"dependencies": {"react": `,
		"go.mod":       "module x\nrequire (\n\tgithub.com/a/b\n"}})
	gh.AddRepo(org, githubtest.Repo{Name: "old-thing", Archived: true, Files: map[string]string{"atrium.yaml": atrium("old-thing", "legacy")}})
	gh.AddRepo(org, githubtest.Repo{Name: "empty"})
	for i := range extra {
		gh.AddRepo(org, githubtest.Repo{Name: fmt.Sprintf("svc-%03d", i),
			Files: map[string]string{"atrium.yaml": atrium(fmt.Sprintf("svc-%03d", i), "platform"), "package.json": packageJSON}})
	}
}

type env struct {
	t     *testing.T
	gh    *githubtest.Server
	db    *store.DB
	hub   *github.Hub
	cfg   github.Config
	clock *githubtest.Clock // the time of the fake GitHub and of the collector's rate-limit waits
}

func newEnv(t *testing.T, gh *githubtest.Server, mod func(*github.Config)) *env {
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
	clock := githubtest.NewClock(time.Now())
	gh.SetClock(clock.Now)
	cfg := github.Config{APIURL: gh.URL, Orgs: []string{org}, Token: gh.Token, WebhookSecret: "s3cret",
		Concurrency: 4, Reserve: 5, SecondaryWait: 50 * time.Millisecond,
		Clock: github.Clock{Now: clock.Now, Sleep: clock.Sleep}}
	if mod != nil {
		mod(&cfg)
	}
	e := &env{t: t, gh: gh, db: db, cfg: cfg, clock: clock}
	e.hub = e.open()
	return e
}

func (e *env) open() *github.Hub {
	e.t.Helper()
	hub, err := github.New(e.db, e.cfg, nil, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return hub
}

func (e *env) sync() githubtest.Counts {
	e.t.Helper()
	e.gh.ResetCounts()
	if err := e.hub.Collector(org).Sync(context.Background()); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return e.gh.Counts()
}

func (e *env) service(name string) catalog.Service {
	e.t.Helper()
	s, err := e.db.GetService(context.Background(), name)
	if err != nil {
		e.t.Fatalf("service %s: %v", name, err)
	}
	return s
}

func (e *env) names() []string {
	page, err := e.db.ListServices(context.Background(), store.ServiceQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range page.Items {
		out = append(out, r.Name)
	}
	return out
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dep(s catalog.Service, name string) (catalog.Dependency, bool) {
	for _, d := range s.Dependencies {
		if d.Name == name {
			return d, true
		}
	}
	return catalog.Dependency{}, false
}

func TestSyncIncremental(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 100) // 106 repositories: two pages
	e := newEnv(t, gh, nil)

	c := e.sync()
	if c.ByKind[githubtest.KindList] != 2 {
		t.Errorf("first sync: %d list requests, want 2 (106 repositories, 100 per page)", c.ByKind[githubtest.KindList])
	}
	names := e.names()
	for _, want := range []string{"payments-api", "checkout-web", "mobile-ios", "mobile-android", "broken", "empty", "svc-099"} {
		if !has(names, want) {
			t.Errorf("service %s missing; have %d services", want, len(names))
		}
	}
	if has(names, "old-thing") {
		t.Error("archived repository became a service")
	}
	if len(names) != 106 { // 105 unarchived repositories, one of them with two services
		t.Errorf("%d services, want 106", len(names))
	}
	pay := e.service("payments-api")
	if pay.Owner != "payments" || pay.Source != "github:acme" || pay.Repository.Head != gh.Head(org, "payments-api") ||
		pay.Repository.DefaultBranch != "main" || !has(pay.Tags, "pci") || pay.Language != "Go" {
		t.Errorf("payments-api: %+v", pay)
	}
	if d, ok := dep(pay, "github.com/pkg/errors"); !ok || d.Version != "v0.9.0" {
		t.Errorf("payments-api go dependency: %+v", pay.Dependencies)
	}
	co := e.service("checkout-web")
	if d, ok := dep(co, "react"); !ok || d.Version != "17.0.2" || d.Constraint != "^17.0.2" {
		t.Errorf("checkout-web react: %+v", co.Dependencies)
	}
	if co.Owner != "unowned" || len(co.Findings) == 0 || co.Description != "Checkout pages" || co.Language != "TypeScript" {
		t.Errorf("checkout-web defaults: %+v", co)
	}
	if s := e.service("mobile-android"); s.Repository.Path != "apps/android" || len(s.Dependencies) != 3 {
		t.Errorf("monorepo service: %+v", s)
	}
	broken := e.service("broken")
	errs := 0
	for _, f := range broken.Findings {
		if f.Severity == problem.Error {
			errs++
		}
	}
	if errs < 3 {
		t.Errorf("broken repository: want findings for atrium.yaml, package.json and go.mod, got %+v", broken.Findings)
	}
	// Shared package.json content is one blob, fetched once.
	if n := c.ByKind[githubtest.KindBlob]; n > 110 {
		t.Errorf("%d blob requests: identical files were fetched more than once", n)
	}

	// Nothing changed: every list page answers 304, no content is read, no rate limit is spent.
	c = e.sync()
	if c.ByKind[githubtest.KindList] != 2 || c.NotModified[githubtest.KindList] != 2 || c.Content() != 0 || c.Points != 0 {
		t.Errorf("unchanged sync: %+v", c)
	}

	// A push to the default branch: that repository alone is read, and only its new blob fetched.
	newMod := strings.Replace(goMod, "v0.9.0", "v0.9.1", 1)
	gh.Push(org, "payments-api", map[string]string{"atrium.yaml": atrium("payments-api", "payments"), "go.mod": newMod})
	c = e.sync()
	if c.ByKind[githubtest.KindCommit] != 1 || c.ByKind[githubtest.KindTree] != 1 || c.ByKind[githubtest.KindBlob] != 1 {
		t.Errorf("after one push: %+v", c)
	}
	if d, _ := dep(e.service("payments-api"), "github.com/pkg/errors"); d.Version != "v0.9.1" {
		t.Errorf("pushed go.mod not read: %+v", d)
	}

	// A push to another branch moves pushed_at but not the default head: one free 304 commit check, no tree.
	gh.PushOtherBranch(org, "checkout-web")
	c = e.sync()
	if c.ByKind[githubtest.KindCommit] != 1 || c.NotModified[githubtest.KindCommit] != 1 || c.ByKind[githubtest.KindTree] != 0 {
		t.Errorf("after a push to another branch: %+v", c)
	}

	// Metadata only: re-parsed without reading contents.
	gh.Update(org, "checkout-web", func(r *githubtest.Repo) { r.Description = "New checkout" })
	c = e.sync()
	if c.Content() != 0 || e.service("checkout-web").Description != "New checkout" {
		t.Errorf("description change: %+v, %q", c, e.service("checkout-web").Description)
	}

	// Archived and deleted repositories leave the catalog.
	gh.Update(org, "svc-001", func(r *githubtest.Repo) { r.Archived = true })
	gh.Delete(org, "svc-002")
	e.sync()
	if n := e.names(); has(n, "svc-001") || has(n, "svc-002") || !has(n, "svc-003") {
		t.Errorf("archived/deleted repositories still listed")
	}

	// A restart keeps ETags, heads and blobs: the next sync is free.
	e.hub = e.open()
	c = e.sync()
	if c.Points != 0 || c.Content() != 0 {
		t.Errorf("sync after restart: %+v", c)
	}
	st := e.hub.Collector(org).Status()
	if st.State != sources.StatePartial && st.State != sources.StateOK || st.Total != 103 || st.Done != st.Total ||
		st.RateLimit == nil || st.RateLimit.Limit != 5000 || st.Requests == nil || st.Requests.NotModified != 2 {
		t.Errorf("status: %+v rate %+v requests %+v", st, st.RateLimit, st.Requests)
	}
}

func TestChangeFeedQuietWhenNothingChanged(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 3)
	e := newEnv(t, gh, nil)
	e.sync()
	ctx := context.Background()
	b, _ := e.db.Changes(ctx, "", 1000, 0)
	e.sync()
	after, _ := e.db.Changes(ctx, b.Cursor, 1000, 0)
	if len(after.Changes) != 0 {
		t.Errorf("an unchanged sync advanced the feed by %d", len(after.Changes))
	}
	gh.Push(org, "svc-000", map[string]string{"atrium.yaml": atrium("svc-000", "search")})
	e.sync()
	after, _ = e.db.Changes(ctx, b.Cursor, 1000, 0)
	if len(after.Changes) != 1 || after.Changes[0].ID != "svc-000" || after.Changes[0].Service.Owner != "search" {
		t.Errorf("feed after one push: %+v", after.Changes)
	}
}

func TestOneFailingRepositoryDoesNotAbortTheRest(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 5)
	gh.Break(org, "svc-003", http.StatusInternalServerError)
	e := newEnv(t, gh, nil)
	e.sync()
	names := e.names()
	if has(names, "svc-003") || !has(names, "svc-004") || !has(names, "payments-api") {
		t.Errorf("services: %v", names)
	}
	d, err := e.hub.Collector(org).Detail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.State != sources.StatePartial || d.Errors != 1 || len(d.ItemErrors) != 1 || d.ItemErrors[0].Item != "acme/svc-003" ||
		!strings.Contains(d.ItemErrors[0].Error, "500") {
		t.Errorf("detail: %+v", d)
	}
	// Mended, it is read on the next sync and the error clears.
	gh.Break(org, "svc-003", 0)
	e.sync()
	d, _ = e.hub.Collector(org).Detail(context.Background())
	if !has(e.names(), "svc-003") || d.Errors != 0 || d.State != sources.StateOK {
		t.Errorf("after mending: %+v", d)
	}
}

func TestClearErrorsForUnknownOrganisationAndRevokedToken(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 2)
	e := newEnv(t, gh, func(c *github.Config) { c.Orgs = []string{org, "nope"} })
	ctx := context.Background()
	err := e.hub.Collector("nope").Sync(ctx)
	st := e.hub.Collector("nope").Status()
	if err == nil || st.State != sources.StateError || !strings.Contains(st.Message, `organisation "nope" not found`) {
		t.Errorf("unknown organisation: %v; status %+v", err, st)
	}
	e.sync()
	before := len(e.names())
	gh.RevokeToken()
	if err := e.hub.Collector(org).Sync(ctx); err == nil {
		t.Fatal("sync with a revoked token succeeded")
	}
	st = e.hub.Collector(org).Status()
	if st.State != sources.StateError || !strings.Contains(st.Message, "401") || !strings.Contains(st.Message, "revoked") {
		t.Errorf("revoked token: %+v", st)
	}
	if strings.Contains(st.Message, gh.Token) {
		t.Error("the status shows the token")
	}
	if n := len(e.names()); n != before {
		t.Errorf("a failed sync changed the catalog: %d services, had %d", n, before)
	}
	srcs, _ := e.db.Sources(ctx)
	for _, s := range srcs {
		if s.Name == "github:acme" && s.Status != sources.StateError {
			t.Errorf("stored source: %+v", s)
		}
	}
}

func TestSecondaryRateLimitIsWaitedOut(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			gh := githubtest.New(t)
			seedOrg(gh, 2)
			gh.Throttle(githubtest.KindTree, 2, status, 1)
			e := newEnv(t, gh, nil)
			start := e.clock.Now()
			c := e.sync()
			if c.Secondary != 2 {
				t.Errorf("secondary answers: %d", c.Secondary)
			}
			if waited := e.clock.Now().Sub(start); waited < time.Second {
				t.Errorf("the sync waited %v; Retry-After: 1 was not waited for", waited)
			}
			if !has(e.names(), "payments-api") {
				t.Error("services missing after secondary limits")
			}
			if st := e.hub.Collector(org).Status(); st.Requests.Retried != 2 || st.Errors != 0 {
				t.Errorf("status: %+v %+v", st, st.Requests)
			}
		})
	}
	t.Run("no Retry-After", func(t *testing.T) {
		gh := githubtest.New(t)
		seedOrg(gh, 0)
		gh.Throttle(githubtest.KindList, 1, http.StatusForbidden, -1)
		e := newEnv(t, gh, nil)
		if c := e.sync(); c.Secondary != 1 || !has(e.names(), "payments-api") {
			t.Errorf("counts %+v", c)
		}
	})
}

func TestSlowsDownBeforeTheRateLimitIsSpent(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 3)
	e := newEnv(t, gh, nil)
	// Room for the listing and a few more before the reserve; the rest must wait for the reset.
	reset := e.clock.Now().Add(2 * time.Second).Truncate(time.Second) // whole seconds, as X-RateLimit-Reset
	gh.SetRateLimit(100, 12, reset)
	c := e.sync()
	if c.Primary != 0 {
		t.Errorf("%d requests were refused for an exhausted rate limit", c.Primary)
	}
	if end := e.clock.Now(); end.Before(reset) {
		t.Errorf("the sync ended at %v, before the reset at %v: it did not wait for it", end, reset)
	}
	if !has(e.names(), "svc-002") {
		t.Error("services missing")
	}
}

func TestBoundedConcurrency(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 30)
	gh.Latency = 10 * time.Millisecond
	e := newEnv(t, gh, func(c *github.Config) { c.Concurrency = 3 })
	if c := e.sync(); c.MaxInFlight > 3 || c.MaxInFlight < 2 {
		t.Errorf("max in flight %d, want 2..3", c.MaxInFlight)
	}
}

func TestDuplicateServiceNamesAcrossRepositories(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg(org)
	gh.AddRepo(org, githubtest.Repo{Name: "a", Files: map[string]string{"atrium.yaml": atrium("shared", "one")}})
	gh.AddRepo(org, githubtest.Repo{Name: "b", Files: map[string]string{"atrium.yaml": atrium("shared", "two")}})
	e := newEnv(t, gh, nil)
	e.sync()
	if s := e.service("shared"); s.Owner != "one" {
		t.Errorf("owner %q: the first repository should keep the name", s.Owner)
	}
	d, _ := e.hub.Collector(org).Detail(context.Background())
	if len(d.ItemErrors) != 1 || d.ItemErrors[0].Item != "acme/b" || !strings.Contains(d.ItemErrors[0].Error, "acme/a") {
		t.Errorf("item errors: %+v", d.ItemErrors)
	}
}

// webhookServer serves the hub's webhook receiver the way the portal does: size-limited body, 401 on bad
// signatures.
func webhookServer(t *testing.T, hub *github.Hub) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		res, err := hub.ReceiveWebhook(r)
		switch {
		case errors.Is(err, github.ErrBadSignature), errors.Is(err, github.ErrNoSecret):
			w.WriteHeader(http.StatusUnauthorized)
		case err != nil:
			w.WriteHeader(http.StatusBadRequest)
		case res.Handled:
			w.WriteHeader(http.StatusAccepted)
		}
		io.WriteString(w, res.Detail)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// settled waits for the work webhook deliveries started (registered before their answer was sent), then
// requires cond.
func (e *env) settled(what string, cond func() bool) {
	e.t.Helper()
	e.hub.Wait()
	if !cond() {
		e.t.Fatalf("after the webhook's work: not %s", what)
	}
}

func TestWebhooks(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 3)
	e := newEnv(t, gh, nil)
	e.sync()
	url := webhookServer(t, e.hub)
	ctx := context.Background()

	gh.Push(org, "svc-000", map[string]string{"atrium.yaml": atrium("svc-000", "search")})
	payload := gh.PushPayload(org, "svc-000")

	// Bad signature: 401, and nothing is fetched or changed.
	gh.ResetCounts()
	resp, err := githubtest.Deliver(url, "wrong-secret", "push", payload)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad signature: %v %v", resp.StatusCode, err)
	}
	e.hub.Wait()
	if c := gh.Counts(); c.Requests != 0 || e.service("svc-000").Owner != "platform" {
		t.Errorf("a badly signed delivery had effects: %+v", c)
	}
	// Unsigned (no X-Hub-Signature-256) is refused too.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned delivery: %d", resp.StatusCode)
	}

	// Push to the default branch refreshes that repository at once (no sync runs here), without a listing.
	gh.ResetCounts()
	resp, err = githubtest.Deliver(url, "s3cret", "push", payload)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push delivery: %v %v", resp.StatusCode, err)
	}
	e.settled("the pushed owner", func() bool { s, _ := e.db.GetService(ctx, "svc-000"); return s.Owner == "search" })
	if c := gh.Counts(); c.ByKind[githubtest.KindList] != 0 || c.ByKind[githubtest.KindCommit] != 0 || c.ByKind[githubtest.KindTree] != 1 {
		t.Errorf("push refresh requests: %+v", c)
	}

	// Repository events: renamed (the service named after the repository follows), archived, deleted.
	gh.Update(org, "empty", func(r *githubtest.Repo) { r.Name = "still-empty" })
	resp, _ = githubtest.Deliver(url, "s3cret", "repository", gh.RepositoryPayload("renamed", org, "still-empty", "empty"))
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("renamed: %d", resp.StatusCode)
	}
	e.settled("the renamed service", func() bool { n := e.names(); return has(n, "still-empty") && !has(n, "empty") })

	gh.Update(org, "svc-001", func(r *githubtest.Repo) { r.Archived = true })
	if _, err := githubtest.Deliver(url, "s3cret", "repository", gh.RepositoryPayload("archived", org, "svc-001", "")); err != nil {
		t.Fatal(err)
	}
	e.settled("the archived service gone", func() bool { return !has(e.names(), "svc-001") })

	del := gh.RepositoryPayload("deleted", org, "svc-002", "")
	gh.Delete(org, "svc-002")
	if _, err := githubtest.Deliver(url, "s3cret", "repository", del); err != nil {
		t.Fatal(err)
	}
	e.settled("the deleted service gone", func() bool { return !has(e.names(), "svc-002") })

	// Ping and pushes elsewhere are accepted and ignored.
	resp, _ = githubtest.Deliver(url, "s3cret", "ping", []byte(`{"zen": "Keep it logically awesome.", "hook_id": 1}`))
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("ping: %d", resp.StatusCode)
	}
	other := strings.Replace(string(gh.PushPayload(org, "svc-000")), `"ref":"refs/heads/main"`, `"ref":"refs/heads/feature"`, 1)
	resp, _ = githubtest.Deliver(url, "s3cret", "push", []byte(other))
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "not the default branch") {
		t.Errorf("push to another branch: %d %s", resp.StatusCode, b)
	}
	e.hub.Wait()
}
