package store

import (
	"context"
	"errors"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
)

func depsSvc(name, owner string, deps ...catalog.Dependency) catalog.Service {
	s := svc(name, owner, "Go")
	s.Dependencies = deps
	return s
}

func npm(name, version, latest string) catalog.Dependency {
	return catalog.Dependency{Ecosystem: catalog.EcosystemNPM, Name: name, Version: version, Latest: latest}
}

func TestPackages(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		gomod := catalog.Dependency{Ecosystem: catalog.EcosystemGo, Name: "github.com/pkg/errors", Version: "v0.9.1", Latest: "v0.9.1"}
		if _, err := db.PutServices(ctx, []catalog.Service{
			depsSvc("a", "payments", npm("react", "17.0.2", "19.1.0"), npm("@acme/ui", "1.0.0", "1.0.3"), gomod),
			depsSvc("b", "payments", npm("react", "19.0.0", "19.1.0")),
			depsSvc("c", "search", npm("react", "19.1.0", "19.1.0"), npm("left_pad", "1.0.0", "")),
		}); err != nil {
			t.Fatal(err)
		}
		type row struct {
			name                                  string
			services, outdated, major, minor, pch int
		}
		for _, tc := range []struct {
			name string
			q    PackageQuery
			want []row
		}{
			{"all by name", PackageQuery{}, []row{{"@acme/ui", 1, 1, 0, 0, 1}, {"github.com/pkg/errors", 1, 0, 0, 0, 0},
				{"left_pad", 1, 0, 0, 0, 0}, {"react", 3, 2, 1, 1, 0}}},
			{"outdated in team payments", PackageQuery{Owners: []string{"payments"}, Outdated: true},
				[]row{{"@acme/ui", 1, 1, 0, 0, 1}, {"react", 2, 2, 1, 1, 0}}},
			{"ecosystem go", PackageQuery{Ecosystems: []string{"go"}}, []row{{"github.com/pkg/errors", 1, 0, 0, 0, 0}}},
			{"search is literal", PackageQuery{Q: "t_p"}, []row{{"left_pad", 1, 0, 0, 0, 0}}},
			{"search underscore is not a wildcard", PackageQuery{Q: "_"}, []row{{"left_pad", 1, 0, 0, 0, 0}}},
			{"sort by services desc", PackageQuery{Sort: "services", Desc: true, Limit: 2},
				[]row{{"react", 3, 2, 1, 1, 0}, {"@acme/ui", 1, 1, 0, 0, 1}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, err := db.ListPackages(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []row
				for _, r := range page.Items {
					got = append(got, row{r.Name, r.Services, r.Outdated, r.Major, r.Minor, r.Patch})
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("row %d: got %v, want %v", i, got[i], tc.want[i])
					}
				}
				if tc.q.Limit == 0 && page.Total != len(tc.want) {
					t.Errorf("total %d, want %d", page.Total, len(tc.want))
				}
			})
		}
		page, _ := db.ListPackages(ctx, PackageQuery{Q: "react"})
		vs := page.Items[0].Versions
		if len(vs) != 3 || vs[0].Version != "19.1.0" || vs[2].Version != "17.0.2" || page.Items[0].Latest != "19.1.0" {
			t.Errorf("react versions: %+v latest %q", vs, page.Items[0].Latest)
		}

		p, err := db.GetPackage(ctx, "npm", "react", nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Services != 3 || len(p.Uses) != 3 || p.Uses[0].Service != "a" || p.Uses[0].Behind != "major" ||
			p.Uses[1].Behind != "minor" || p.Uses[2].Behind != "" || p.Latest != "19.1.0" {
			t.Errorf("react detail: %+v", p)
		}
		if p, _ := db.GetPackage(ctx, "npm", "react", []string{"search"}); len(p.Uses) != 1 || p.Uses[0].Service != "c" {
			t.Errorf("react in search: %+v", p.Uses)
		}
		if _, err := db.GetPackage(ctx, "go", "react", nil); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("unknown package: %v", err)
		}
	})
}

func TestDeleteSource(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		if _, err := db.PutServices(ctx, []catalog.Service{svc("a", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutSource(ctx, Source{Name: "test", Status: "ok"}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.DeleteSource(ctx, "test"); err != nil || n != 1 {
			t.Fatalf("delete source: %d %v", n, err)
		}
		if srcs, _ := db.Sources(ctx); len(srcs) != 0 {
			t.Errorf("sources left: %v", srcs)
		}
		if n, _ := db.CountServices(ctx); n != 0 {
			t.Errorf("%d services left", n)
		}
	})
}
