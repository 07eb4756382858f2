package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store"
)

// BenchmarkOFREP measures OFREP requests per second on loopback against a real portal (SQLite, token
// authentication, policy), one client connection at a time (serial) and with concurrent clients (parallel).
func BenchmarkOFREP(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "portal.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	}()
	token, _, err := (auth.Tokens{DB: db.SQL()}).Create(ctx, auth.Token{Name: "svc", Subject: "svc",
		Scopes: []string{"flags:evaluate:production"}}, "")
	if err != nil {
		b.Fatal(err)
	}
	fs := &flagstore.Store{DB: db.SQL()}
	file, err := flags.ParseFile([]byte(shopFlags))
	if err != nil {
		b.Fatal(err)
	}
	if err := fs.Apply(ctx, flags.Change{Action: flags.ActionImport, Environment: "production", File: file, Actor: "b"}); err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer((&api.Portal{DB: db, Log: quiet,
		Routes: (&api.Flags{Store: fs, Log: quiet}).Routes()}).Handler())
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := `{"context": {"targetingKey": "user-42", "email": "ana@example.com", "accountId": "acct-1042", "appVersion": "2.3.1"}}`
	post := func(b *testing.B, path string) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	for _, tc := range []struct{ name, path string }{
		{"single", "/ofrep/v1/evaluate/flags/new-checkout"},
		{"bulk", "/ofrep/v1/evaluate/flags"},
	} {
		b.Run(tc.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				post(b, tc.path)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					post(b, tc.path)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
