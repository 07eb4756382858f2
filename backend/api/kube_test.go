package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/demo"
	"github.com/sphera/atrium/internal/store"
)

// send sends a request with an optional JSON body and decodes the answer, if any, into out.
func (p *portal) send(method, path, body string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			p.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// seedKube records what a collector would: two production clusters and a staging one.
func seedKube(t *testing.T, db *store.DB) {
	ctx := context.Background()
	// These clusters are the only deployments the tests count: drop the demo catalog's own.
	_, svcs, err := demo.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range svcs {
		svcs[i].Deployments = nil
	}
	if _, err := db.ReplaceSource(ctx, demo.Source, svcs); err != nil {
		t.Fatal(err)
	}
	w := func(cluster, region, env, name, svc, version string) catalog.Workload {
		return catalog.Workload{LabelService: svc, CreatedAt: time.Now(), Deployment: catalog.Deployment{
			Cluster: cluster, Region: region, Environment: env, Namespace: "prod", Kind: "Deployment", Name: name,
			Image: "r.example/" + name + ":" + version, Version: version, Ready: 2, Desired: 2,
			Health: catalog.HealthHealthy, Autoscaler: &catalog.Autoscaler{Min: 2, Max: 5, Current: 2, Desired: 2}}}
	}
	for _, c := range []struct {
		name, region, env string
		ws                []catalog.Workload
	}{
		{"prod-eu", "eu-west-1", "production", []catalog.Workload{w("prod-eu", "eu-west-1", "production", "payments-api", "payments-api", "1.4.0"),
			w("prod-eu", "eu-west-1", "production", "auth-gateway", "auth-gateway", "3.1.0"),
			w("prod-eu", "eu-west-1", "production", "redis", "", "7.2")}},
		{"prod-us", "us-east-1", "production", []catalog.Workload{w("prod-us", "us-east-1", "production", "payments-api", "payments-api", "1.3.9")}},
		{"stage-eu", "eu-west-1", "staging", []catalog.Workload{w("stage-eu", "eu-west-1", "staging", "payments-api", "payments-api", "1.5.0-rc.1")}},
	} {
		if err := db.PutCluster(ctx, catalog.Cluster{Name: c.name, Region: c.region, Environment: c.env, State: "ok",
			LastOKAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReplaceClusterWorkloads(ctx, c.name, c.ws); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKubeEndpoints(t *testing.T) {
	p := newPortal(t)
	seedKube(t, p.db)

	var svc catalog.Service
	if code := p.send("GET", "/api/v1/services/payments-api", "", &svc); code != 200 || len(svc.Deployments) != 3 {
		t.Fatalf("service with deployments: %d %+v", code, svc.Deployments)
	}
	if a := svc.Deployments[0].Autoscaler; a == nil || a.Max != 5 {
		t.Errorf("autoscaler: %+v", svc.Deployments[0])
	}

	var clusters struct{ Items []catalog.Cluster }
	if code := p.send("GET", "/api/v1/kube/clusters", "", &clusters); code != 200 || len(clusters.Items) != 3 ||
		clusters.Items[0].Name != "prod-eu" || clusters.Items[0].Workloads != 3 || clusters.Items[0].Unmapped != 1 {
		t.Errorf("clusters: %d %+v", code, clusters)
	}

	var m store.Matrix
	if code := p.send("GET", "/api/v1/kube/matrix?team=payments&environment=production", "", &m); code != 200 {
		t.Fatalf("matrix: %d", code)
	}
	if len(m.Clusters) != 2 || m.Total != 1 || m.Services[0].Service != "payments-api" ||
		m.Services[0].Cells[0].Status != store.CellDiffers {
		t.Errorf("matrix: %+v", m)
	}

	var unmapped store.UnmappedPage
	if code := p.send("GET", "/api/v1/kube/unmapped?cluster=prod-eu", "", &unmapped); code != 200 || unmapped.Total != 1 {
		t.Fatalf("unmapped: %d %+v", code, unmapped)
	}
	var claimed struct {
		Claim   catalog.Claim `json:"claim"`
		Matched int           `json:"matched"`
	}
	if code := p.send("POST", "/api/v1/kube/claims",
		`{"namespace":"prod","kind":"Deployment","name":"redis","service":"session-store"}`, &claimed); code != 201 ||
		claimed.Matched != 1 || claimed.Claim.CreatedBy != "admin" || claimed.Claim.Cluster != "" {
		t.Fatalf("claim: %d %+v", code, claimed)
	}
	if p.send("GET", "/api/v1/kube/unmapped", "", &unmapped); unmapped.Total != 0 {
		t.Errorf("claimed workload still unmapped: %+v", unmapped)
	}
	var claims struct{ Items []catalog.Claim }
	if code := p.send("GET", "/api/v1/kube/claims", "", &claims); code != 200 || len(claims.Items) != 1 {
		t.Errorf("claims: %d %+v", code, claims)
	}
	if code := p.send("DELETE", "/api/v1/kube/claims/"+itoa(claimed.Claim.ID), "", nil); code != 204 {
		t.Errorf("unclaim: %d", code)
	}
	if code := p.send("DELETE", "/api/v1/kube/claims/"+itoa(claimed.Claim.ID), "", nil); code != 404 {
		t.Errorf("unclaim twice: %d", code)
	}

	bad := []struct {
		method, path, body, field string
		status                    int
	}{
		{"GET", "/api/v1/kube/matrix?limit=0", "", "limit", 400},
		{"GET", "/api/v1/kube/matrix?colour=red", "", "colour", 400},
		{"GET", "/api/v1/kube/unmapped?offset=-2", "", "offset", 400},
		{"POST", "/api/v1/kube/claims", `{"namespace":"prod","kind":"Pod","name":"x","service":"payments-api"}`, "kind", 400},
		{"POST", "/api/v1/kube/claims", `{"namespace":"prod","kind":"Deployment","name":"x","service":"no-such-service"}`, "service", 400},
		{"POST", "/api/v1/kube/claims", `{"kind":"Deployment","name":"x","service":"payments-api"}`, "namespace", 400},
		{"DELETE", "/api/v1/kube/claims/abc", "", "id", 400},
	}
	for _, b := range bad {
		var e struct {
			Error api.Error `json:"error"`
		}
		code := p.send(b.method, b.path, b.body, &e)
		if code != b.status || len(e.Error.Fields) == 0 || e.Error.Fields[0].Field != b.field {
			t.Errorf("%s %s %s: %d %+v", b.method, b.path, b.body, code, e)
		}
	}
}

// A desktop mounts the matrix over its replica: the same answer, from the replicated service documents alone.
func TestKubeMatrixFromReplica(t *testing.T) {
	ctx := context.Background()
	p := newPortal(t)
	seedKube(t, p.db)
	rdb, err := store.Open(filepath.Join(t.TempDir(), "replica.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rdb.Close(); err != nil {
			t.Error(err)
		}
	}()
	for cursor := ""; ; {
		b, err := p.db.Changes(ctx, cursor, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.ApplyBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		if cursor = b.Cursor; b.Remaining == 0 {
			break
		}
	}
	mux := http.NewServeMux()
	api.Mount(mux, (&api.Kube{DB: rdb}).ReadRoutes())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	hc := &http.Client{Transport: apitest.Transport(t, nil)}
	get := func(base string, hc *http.Client, token string) store.Matrix {
		req, _ := http.NewRequest("GET", base+"/api/v1/kube/matrix?region=eu-west-1", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("matrix: %v %v", resp, err)
		}
		defer resp.Body.Close()
		var m store.Matrix
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	fromReplica, fromPortal := get(srv.URL, hc, ""), get(p.url, p.hc, adminToken)
	a, _ := json.Marshal(fromReplica)
	b, _ := json.Marshal(fromPortal)
	if string(a) != string(b) || len(fromReplica.Clusters) != 2 || fromReplica.Total != 2 {
		t.Errorf("replica and portal differ:\nreplica %s\n portal %s", a, b)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
