package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// wl builds a workload of cluster c mapped by label to svc.
func wl(c, region, env, ns, name, svc, version string) catalog.Workload {
	return catalog.Workload{LabelService: svc, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Deployment: catalog.Deployment{Cluster: c, Region: region, Environment: env, Namespace: ns,
			Kind: "Deployment", Name: name, Image: "registry.example/" + name + ":" + version, Version: version,
			Ready: 2, Desired: 2, Health: catalog.HealthHealthy}}
}

func feedLen(t *testing.T, db *DB, cursor string) (int, string) {
	t.Helper()
	b, err := db.Changes(context.Background(), cursor, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(b.Changes), b.Cursor
}

func TestClusterWorkloadsBecomeDeployments(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		if _, err := db.ReplaceSource(ctx, "github", []catalog.Service{svc("payments-api", "payments", "Go"), svc("ledger", "payments", "Go")}); err != nil {
			t.Fatal(err)
		}
		_, cursor := feedLen(t, db, "")

		eu := []catalog.Workload{
			wl("eu-1", "eu-west-1", "production", "pay", "payments-api", "payments-api", "1.4.0"),
			wl("eu-1", "eu-west-1", "production", "pay", "ledger", "ledger", "2.0.0"),
			wl("eu-1", "eu-west-1", "production", "kube-system", "coredns", "", "1.11"),
			wl("eu-1", "eu-west-1", "production", "pay", "redis", "redis", "7.2"),
		}
		eu[0].Deployment.Autoscaler = &catalog.Autoscaler{Min: 2, Max: 10, Current: 3, Desired: 3}
		if n, err := db.ReplaceClusterWorkloads(ctx, "eu-1", eu); err != nil || n != 2 {
			t.Fatalf("first snapshot changed %d services (%v), want 2", n, err)
		}
		s, _ := db.GetService(ctx, "payments-api")
		if len(s.Deployments) != 1 {
			t.Fatalf("deployments: %+v", s.Deployments)
		}
		dp := s.Deployments[0]
		if dp.Cluster != "eu-1" || dp.Region != "eu-west-1" || dp.Version != "1.4.0" || dp.Autoscaler == nil ||
			dp.Autoscaler.Max != 10 || dp.Health != catalog.HealthHealthy || !dp.UpdatedAt.Equal(now) {
			t.Errorf("deployment: %+v", dp)
		}
		if !dp.RolloutAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("first sight of a workload: rollout at creation, got %v", dp.RolloutAt)
		}
		if n, _ := feedLen(t, db, cursor); n != 2 {
			t.Errorf("feed has %d changes, want 2", n)
		}
		_, cursor = feedLen(t, db, cursor)

		// The same snapshot again: nothing changes, not even timestamps.
		if n, err := db.ReplaceClusterWorkloads(ctx, "eu-1", eu); err != nil || n != 0 {
			t.Fatalf("identical snapshot changed %d (%v)", n, err)
		}
		if n, _ := feedLen(t, db, cursor); n != 0 {
			t.Errorf("identical snapshot advanced the feed by %d", n)
		}
		again, _ := db.GetService(ctx, "payments-api")
		if !again.Deployments[0].UpdatedAt.Equal(dp.UpdatedAt) {
			t.Error("updated_at moved without a change")
		}

		// A new image: one service changes, its rollout time moves to now.
		now = now.Add(time.Minute)
		eu[0].Deployment.Image, eu[0].Deployment.Version = "registry.example/payments-api:1.5.0", "1.5.0"
		if n, _ := db.ReplaceClusterWorkloads(ctx, "eu-1", eu); n != 1 {
			t.Fatalf("image change changed %d services", n)
		}
		s, _ = db.GetService(ctx, "payments-api")
		if dp := s.Deployments[0]; dp.Version != "1.5.0" || !dp.RolloutAt.Equal(now) || !dp.UpdatedAt.Equal(now) ||
			!s.SyncedAt.Equal(now) {
			t.Errorf("after image change: synced at %v, %+v", s.SyncedAt, dp)
		}

		// Another collector rewriting the service does not blank its deployments.
		rewritten := svc("payments-api", "payments", "Go")
		rewritten.Description = "moved to a new repository"
		if _, err := db.ReplaceSource(ctx, "github", []catalog.Service{rewritten, svc("ledger", "payments", "Go")}); err != nil {
			t.Fatal(err)
		}
		s, _ = db.GetService(ctx, "payments-api")
		if len(s.Deployments) != 1 || s.Description != "moved to a new repository" {
			t.Errorf("rewrite by another source: %+v", s.Deployments)
		}
		// Search follows the description (the index is refreshed only when searched columns change).
		if p, _ := db.ListServices(ctx, ServiceQuery{Q: "moved repos"}); p.Total != 1 {
			t.Errorf("search after rewrite: %+v", p)
		}

		// Unmapped: coredns names nothing, redis names a service the catalog lacks.
		page, err := db.Unmapped(ctx, UnmappedQuery{})
		if err != nil || page.Total != 2 {
			t.Fatalf("unmapped: %+v %v", page, err)
		}
		if page.Items[0].Name != "coredns" || page.Items[0].Candidate != "" || page.Items[1].Candidate != "redis" {
			t.Errorf("unmapped items: %+v", page.Items)
		}

		// Workload gone from the cluster: gone from the service.
		if n, _ := db.ReplaceClusterWorkloads(ctx, "eu-1", eu[1:]); n != 1 {
			t.Fatalf("removal changed %d", n)
		}
		if s, _ = db.GetService(ctx, "payments-api"); len(s.Deployments) != 0 {
			t.Errorf("removed workload still shown: %+v", s.Deployments)
		}
	})
}

func TestMappingPrecedenceAndClaims(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		if _, err := db.ReplaceSource(ctx, "github", []catalog.Service{svc("web", "t", "Go"), svc("cache", "t", "Go"), svc("api", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		w := wl("c1", "r", "prod", "ns", "redis", "redis", "7")
		w.AnnotationService = "cache" // annotation wins over the label
		other := wl("c2", "r2", "prod", "ns", "redis", "redis", "7")
		if _, err := db.ReplaceClusterWorkloads(ctx, "c1", []catalog.Workload{w}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReplaceClusterWorkloads(ctx, "c2", []catalog.Workload{other}); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.GetService(ctx, "cache"); len(s.Deployments) != 1 || s.Deployments[0].Cluster != "c1" {
			t.Fatalf("annotation mapping: %+v", s.Deployments)
		}

		if _, _, err := db.PutClaim(ctx, catalog.Claim{Namespace: "ns", Kind: "Deployment", Name: "redis", Service: "nope"}); !errors.Is(err, ErrNoSuchService) {
			t.Errorf("claim for a missing service: %v", err)
		}
		// A claim for every cluster beats annotation and label.
		c, n, err := db.PutClaim(ctx, catalog.Claim{Namespace: "ns", Kind: "Deployment", Name: "redis", Service: "api", CreatedBy: "admin"})
		if err != nil || n != 2 || c.ID == 0 {
			t.Fatalf("claim: %+v %d %v", c, n, err)
		}
		if s, _ := db.GetService(ctx, "api"); len(s.Deployments) != 2 {
			t.Errorf("claimed workloads: %+v", s.Deployments)
		}
		if s, _ := db.GetService(ctx, "cache"); len(s.Deployments) != 0 {
			t.Errorf("claim did not move the workload off its annotated service: %+v", s.Deployments)
		}
		if page, _ := db.Unmapped(ctx, UnmappedQuery{}); page.Total != 0 {
			t.Errorf("claimed workloads still unmapped: %+v", page)
		}
		// A claim for one cluster beats the one for every cluster.
		if _, n, _ := db.PutClaim(ctx, catalog.Claim{Cluster: "c2", Namespace: "ns", Kind: "Deployment", Name: "redis", Service: "web"}); n != 1 {
			t.Errorf("cluster claim matched %d", n)
		}
		if s, _ := db.GetService(ctx, "web"); len(s.Deployments) != 1 || s.Deployments[0].Cluster != "c2" {
			t.Errorf("cluster claim: %+v", s.Deployments)
		}
		// Claims hold for snapshots that come later.
		if _, err := db.ReplaceClusterWorkloads(ctx, "c2", []catalog.Workload{other}); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.GetService(ctx, "web"); len(s.Deployments) != 1 {
			t.Errorf("claim lost on the next snapshot: %+v", s.Deployments)
		}
		claims, _ := db.Claims(ctx)
		if len(claims) != 2 {
			t.Fatalf("claims: %+v", claims)
		}
		// Deleting the claims gives the workloads back to their annotation and label.
		for _, c := range claims {
			if err := db.DeleteClaim(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteClaim(ctx, claims[0].ID); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if s, _ := db.GetService(ctx, "cache"); len(s.Deployments) != 1 {
			t.Errorf("annotation after unclaim: %+v", s.Deployments)
		}
		if page, _ := db.Unmapped(ctx, UnmappedQuery{Cluster: "c2"}); page.Total != 1 || page.Items[0].Candidate != "redis" {
			t.Errorf("label after unclaim: %+v", page)
		}

		// A service created after its workloads were seen picks them up.
		if _, err := db.ReplaceSource(ctx, "github", []catalog.Service{svc("web", "t", "Go"), svc("cache", "t", "Go"), svc("api", "t", "Go"),
			svc("redis", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.GetService(ctx, "redis"); len(s.Deployments) != 1 || s.Deployments[0].Cluster != "c2" {
			t.Errorf("new service: %+v", s.Deployments)
		}
	})
}

func TestClusterStatusAndForget(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := openEngine(t, e)
		if _, err := db.ReplaceSource(ctx, "github", []catalog.Service{svc("api", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		ok := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		if err := db.PutCluster(ctx, catalog.Cluster{Name: "c1", Region: "r1", Environment: "prod", State: "ok", LastOKAt: ok, CheckedAt: ok}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutCluster(ctx, catalog.Cluster{Name: "c2", Region: "r2", Environment: "prod", State: "unreachable",
			Message: "dial tcp 127.0.0.1:1: connection refused", LastOKAt: ok}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReplaceClusterWorkloads(ctx, "c1", []catalog.Workload{wl("c1", "r1", "prod", "ns", "api", "api", "1"),
			wl("c1", "r1", "prod", "ns", "x", "", "1")}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReplaceClusterWorkloads(ctx, "c2", []catalog.Workload{wl("c2", "r2", "prod", "ns", "api", "api", "1")}); err != nil {
			t.Fatal(err)
		}
		cs, err := db.Clusters(ctx)
		if err != nil || len(cs) != 2 {
			t.Fatalf("clusters: %+v %v", cs, err)
		}
		if cs[0].Workloads != 2 || cs[0].Unmapped != 1 || !cs[0].LastOKAt.Equal(ok) || cs[1].State != "unreachable" {
			t.Errorf("clusters: %+v", cs)
		}
		srcs, _ := db.Sources(ctx)
		if !slices.ContainsFunc(srcs, func(s Source) bool { return s.Name == "kube:c2" && s.Status == "unreachable" }) {
			t.Errorf("cluster state not in sources: %+v", srcs)
		}
		if n, err := db.ForgetCluster(ctx, "c2"); err != nil || n != 1 {
			t.Fatalf("forget: %d %v", n, err)
		}
		s, _ := db.GetService(ctx, "api")
		if len(s.Deployments) != 1 || s.Deployments[0].Cluster != "c1" {
			t.Errorf("after forgetting c2: %+v", s.Deployments)
		}
		if cs, _ := db.Clusters(ctx); len(cs) != 1 {
			t.Errorf("forgotten cluster listed: %+v", cs)
		}
	})
}

func TestMatrix(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine) {
		ctx := context.Background()
		portal, replica := openEngine(t, e), openEngine(t, e)
		a, b, c := svc("alpha", "payments", "Go"), svc("beta", "search", "Go"), svc("gamma", "payments", "Go")
		if _, err := portal.ReplaceSource(ctx, "github", []catalog.Service{a, b, c, svc("idle", "payments", "Go")}); err != nil {
			t.Fatal(err)
		}
		put := func(cluster, region, env string, ws ...catalog.Workload) {
			if err := portal.PutCluster(ctx, catalog.Cluster{Name: cluster, Region: region, Environment: env, State: "ok", LastOKAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if _, err := portal.ReplaceClusterWorkloads(ctx, cluster, ws); err != nil {
				t.Fatal(err)
			}
		}
		put("prod-eu", "eu", "production",
			wl("prod-eu", "eu", "production", "a", "alpha", "alpha", "1.2"),
			wl("prod-eu", "eu", "production", "a", "alpha-worker", "alpha", "1.2"),
			wl("prod-eu", "eu", "production", "b", "beta", "beta", "3.0"))
		put("prod-us", "us", "production",
			wl("prod-us", "us", "production", "a", "alpha", "alpha", "1.2"),
			wl("prod-us", "us", "production", "b", "beta", "beta", "3.1"))
		put("prod-ap", "ap", "production",
			wl("prod-ap", "ap", "production", "a", "alpha", "alpha", "1.3"))
		put("stage-eu", "eu", "staging",
			wl("stage-eu", "eu", "staging", "a", "alpha", "alpha", "1.4"),
			wl("stage-eu", "eu", "staging", "g", "gamma", "gamma", "0.1"))
		if err := portal.PutCluster(ctx, catalog.Cluster{Name: "prod-us", Region: "us", Environment: "production", State: "unreachable",
			Message: "timed out", LastOKAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}

		// The replica answers from the feed alone.
		for cursor := ""; ; {
			bt, err := portal.Changes(ctx, cursor, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := replica.ApplyBatch(ctx, bt); err != nil {
				t.Fatal(err)
			}
			if cursor = bt.Cursor; bt.Remaining == 0 {
				break
			}
		}
		for name, db := range map[string]*DB{"portal": portal, "replica": replica} {
			t.Run(name, func(t *testing.T) {
				m, err := db.Matrix(ctx, MatrixQuery{})
				if err != nil {
					t.Fatal(err)
				}
				var cols []string
				for _, cl := range m.Clusters {
					cols = append(cols, cl.Name)
				}
				if !slices.Equal(cols, []string{"prod-ap", "prod-eu", "prod-us", "stage-eu"}) {
					t.Fatalf("columns (by environment, region): %v", cols)
				}
				if m.Clusters[2].State != "unreachable" || m.Clusters[2].LastOKAt.IsZero() || m.Clusters[1].State != "ok" {
					t.Errorf("cluster states: %+v", m.Clusters)
				}
				if m.Total != 3 || len(m.Services) != 3 {
					t.Fatalf("rows: total %d %+v", m.Total, m.Services)
				}
				status := func(row int) []string {
					var out []string
					for _, c := range m.Services[row].Cells {
						out = append(out, c.Status+":"+joinVersions(c.Versions)+"/"+joinVersions(c.Expected))
					}
					return out
				}
				// alpha: 1.2 in eu and us (two workloads in eu), 1.3 in ap → ap differs.
				if got := status(0); !slices.Equal(got, []string{"differs:1.3/1.2", "same:1.2/", "same:1.2/", "same:1.4/"}) {
					t.Errorf("alpha: %v", got)
				}
				if c := m.Services[0].Cells[1]; c.Workloads != 2 || c.Ready != 4 || c.Desired != 4 || c.Health != "healthy" {
					t.Errorf("alpha in prod-eu: %+v", c)
				}
				// beta: 3.0 vs 3.1, no majority → both differ; missing in ap; absent in staging.
				if got := status(1); !slices.Equal(got, []string{"missing:/", "differs:3.0/", "differs:3.1/", "absent:/"}) {
					t.Errorf("beta: %v", got)
				}
				// gamma runs only in staging: absent in production, not missing.
				if got := status(2); !slices.Equal(got, []string{"absent:/", "absent:/", "absent:/", "same:0.1/"}) {
					t.Errorf("gamma: %v", got)
				}

				m, _ = db.Matrix(ctx, MatrixQuery{Environments: []string{"production"}, Regions: []string{"ap"}})
				if len(m.Clusters) != 1 || m.Total != 2 || m.Services[0].Cells[0].Status != CellDiffers ||
					m.Services[1].Cells[0].Status != CellMissing {
					t.Errorf("production/ap: %+v", m)
				}
				m, _ = db.Matrix(ctx, MatrixQuery{Teams: []string{"payments"}, Limit: 1, Offset: 1})
				if m.Total != 2 || len(m.Services) != 1 || m.Services[0].Service != "gamma" {
					t.Errorf("team filter and paging: %+v", m)
				}
			})
		}
	})
}

func joinVersions(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
