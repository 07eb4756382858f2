package github_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

const appID = 77

// syncLog is a concurrency-safe log sink that tells when it was written to.
type syncLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // one pending signal after any write
}

func newSyncLog() *syncLog { return &syncLog{wrote: make(chan struct{}, 1)} }

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return l.buf.Write(p)
}

// await blocks until the log holds s, failing the test when nothing new is logged for ten seconds.
func (l *syncLog) await(t *testing.T, s string) {
	t.Helper()
	for !strings.Contains(l.String(), s) {
		select {
		case <-l.wrote:
		case <-time.After(10 * time.Second):
			t.Fatalf("%q never logged:\n%s", s, l)
		}
	}
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// appHub builds a hub authenticating as installation inst of App appID with the PEM key pemKey, logging at debug
// level into the returned sink.
func appHub(t *testing.T, gh *githubtest.Server, inst int64, pemKey []byte) (*github.Hub, *store.DB, *syncLog) {
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
	logs := newSyncLog()
	hub, err := github.New(db, github.Config{APIURL: gh.URL, Orgs: []string{org}, Concurrency: 4, Reserve: 5,
		App: &github.AppAuth{AppID: appID, InstallationID: inst, PrivateKey: pemKey}}, nil,
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return hub, db, logs
}

func TestSyncAsGitHubAppInstallation(t *testing.T) {
	ctx := context.Background()
	gh := githubtest.New(t)
	seedOrg(gh, 3)
	key, pemKey := githubtest.NewAppKey(t)
	gh.AddApp(appID, &key.PublicKey)
	inst := gh.Install(appID, org)
	hub, db, _ := appHub(t, gh, inst, pemKey) // tokens live an hour, as GitHub's

	gh.ResetCounts()
	if err := hub.Collector(org).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c := gh.Counts()
	page, _ := db.ListServices(ctx, store.ServiceQuery{Limit: 100})
	if c.Tokens != 1 || c.Rejected != 0 || len(page.Items) != 9 {
		t.Fatalf("first sync: %d services, counts %+v", len(page.Items), c)
	}
	if st := hub.Collector(org).Status(); st.State != sources.StatePartial && st.State != sources.StateOK || st.RateLimit == nil {
		t.Errorf("status: %+v", st)
	}

	// Before its renewal point: no new token.
	gh.ResetCounts()
	if err := hub.Collector(org).Sync(ctx); err != nil || gh.Counts().Tokens != 0 {
		t.Fatalf("second sync: %v, counts %+v", err, gh.Counts())
	}
	// Past its renewal point (ghinstallation renews a token within a minute of its expires_at) the library mints a
	// new token before GitHub would refuse the old one. A 59-second token is past that point when it is minted,
	// so it is renewed before every use: no clock needs to move, and none is refused.
	gh.SetInstallationTokenTTL(59 * time.Second)
	hub, db, _ = appHub(t, gh, inst, pemKey)
	gh.ResetCounts()
	gh.Push(org, "svc-000", map[string]string{"atrium.yaml": atrium("svc-000", "search")})
	if err := hub.Collector(org).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if c := gh.Counts(); c.Tokens < 2 || c.Tokens != c.Requests-c.ByKind[githubtest.KindApp] || c.Rejected != 0 {
		t.Errorf("sync with tokens past their renewal point: %+v", c)
	}
	if s, _ := db.GetService(ctx, "svc-000"); s.Owner != "search" {
		t.Errorf("pushed owner: %+v", s)
	}
}

func TestGitHubAppCredentialErrorsAreClear(t *testing.T) {
	gh := githubtest.New(t)
	seedOrg(gh, 1)
	key, pemKey := githubtest.NewAppKey(t)
	gh.AddApp(appID, &key.PublicKey)
	inst := gh.Install(appID, org)
	_, otherPEM := githubtest.NewAppKey(t)

	for _, c := range []struct {
		name  string
		inst  int64
		key   []byte
		wants []string
	}{
		{"a key that is not the App's", inst, otherPEM,
			[]string{"401", "A JSON web token could not be decoded", "private key", "App 77"}},
		{"an installation the App does not have", inst + 1000, pemKey,
			[]string{"404", "has no installation", "ATRIUM_GITHUB_APP_INSTALLATION_ID"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			hub, db, logs := appHub(t, gh, c.inst, c.key)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { hub.Run(ctx); close(done) }()
			col := hub.Collector(org)
			logs.await(t, "github sync failed") // the run loop logs after the sync's status was set
			cancel()
			<-done

			st := col.Status()
			t.Logf("status: %s", st.Message)
			for _, w := range c.wants {
				if !strings.Contains(st.Message, w) {
					t.Errorf("status message lacks %q: %s", w, st.Message)
				}
			}
			if !strings.Contains(logs.String(), "github sync failed") {
				t.Errorf("failure not logged:\n%s", logs)
			}
			// Neither the key, nor a JWT, nor a token shows.
			for _, where := range []string{st.Message, logs.String()} {
				for _, line := range strings.Split(string(c.key), "\n") {
					if len(line) > 20 && strings.Contains(where, line) {
						t.Errorf("key material shown: %s", where)
					}
				}
				if strings.Contains(where, "ghs_") || strings.Contains(where, "eyJ") || strings.Contains(where, gh.Token) {
					t.Errorf("a token or JWT shown: %s", where)
				}
			}
			srcs, _ := db.Sources(context.Background())
			if len(srcs) != 1 || srcs[0].Status != sources.StateError || srcs[0].Message != st.Message {
				t.Errorf("stored source: %+v", srcs)
			}
		})
	}

	// A file that is no RSA key at all is refused when the collector is built, saying so without echoing it.
	garbage := []byte("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIHNlY3JldC1sb29raW5nIGJ5dGVz\n-----END RSA PRIVATE KEY-----\n")
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	_, err = github.New(db, github.Config{APIURL: gh.URL, Orgs: []string{org},
		App: &github.AppAuth{AppID: appID, InstallationID: inst, PrivateKey: garbage}}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "not a PEM-encoded RSA private key") || strings.Contains(err.Error(), "bm90IGEga2V5") {
		t.Errorf("malformed key: %v", err)
	}
}
