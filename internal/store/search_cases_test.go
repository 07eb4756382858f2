package store_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/search-cases.json's answers from the index")

// searchCases is testdata/search-cases.json: services, queries, and the names each query finds in order. The UI
// answers narrower queries from rows it holds with the same rules (frontend/src/lib/search.ts); its test reads
// the same file, so the two cannot drift apart.
type searchCases struct {
	Comment  string `json:"comment"`
	Services []struct {
		Name        string   `json:"name"`
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Owner       string   `json:"owner"`
		Tags        []string `json:"tags"`
	} `json:"services"`
	Queries []struct {
		Q     string   `json:"q"`
		Finds []string `json:"finds"`
	} `json:"queries"`
}

// postgresFolds are the queries PostgreSQL's SQL search answers otherwise, and what it finds: its unaccent folds
// letters that FTS5's remove_diacritics and the index keep (Ø is O, the ligature ﬁ is fi), so it finds more there.
var postgresFolds = map[string][]string{
	"oresund": {"lodz-router"},
	"file":    {"strasse-maps"},
	"fi":      {"strasse-maps"},
}

func TestSearchCases(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join("testdata", "search-cases.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cases searchCases
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	// Both engines answer from the in-memory index, as the file says; their SQL references (FTS5, PostgreSQL's
	// tsvector) find the same, but for the letters postgresFolds names. The answers are rewritten from SQLite.
	storetest.Each(t, func(t *testing.T, e store.Engine) {
		db := storetest.OpenEngine(t, e)
		var svcs []catalog.Service
		for _, s := range cases.Services {
			svcs = append(svcs, catalog.Service{Name: s.Name, Title: s.Title, Description: s.Description, Owner: s.Owner,
				Tags: s.Tags, Language: "Go", Lifecycle: "production", Type: "service", Source: "test"})
		}
		if _, err := db.PutServices(ctx, svcs); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases.Queries {
			got := matches(t, db.ListServices, store.ServiceQuery{Q: c.Q})
			if got == nil {
				got = []string{}
			}
			fts := matches(t, db.SearchFTS, store.ServiceQuery{Q: c.Q})
			if fts == nil {
				fts = []string{}
			}
			wantFTS := got
			if more, ok := postgresFolds[c.Q]; ok && e == store.Postgres {
				wantFTS = more
			}
			if !reflect.DeepEqual(fts, wantFTS) {
				t.Errorf("%q: the index finds %v, SQL %v (want %v)", c.Q, got, fts, wantFTS)
			}
			if *update && e == store.SQLite {
				cases.Queries[i].Finds = got
			} else if !reflect.DeepEqual(got, c.Finds) {
				t.Errorf("%q finds %v, the file says %v (go test -run TestSearchCases -update rewrites it)", c.Q, got, c.Finds)
			}
		}
	})
	if *update {
		out, err := json.MarshalIndent(cases, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
