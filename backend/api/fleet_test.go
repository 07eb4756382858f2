package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/store"
)

// call sends method path with a JSON body (nil: none) and headers, and returns the status and raw body.
func (p *portal) call(method, path, token string, body any, header map[string]string) (int, []byte) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (p *portal) token(subject string, grants ...auth.Grant) string {
	p.t.Helper()
	secret, _, err := (auth.Tokens{DB: p.db.SQL()}).Create(context.Background(), auth.Token{Name: subject, Subject: subject,
		Grants: grants}, "")
	if err != nil {
		p.t.Fatal(err)
	}
	return secret
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func fieldsOf(t *testing.T, b []byte) map[string]string {
	t.Helper()
	e := decode[struct {
		Error struct {
			Code   string
			Fields []api.FieldProblem
		}
	}](t, b)
	out := map[string]string{}
	for _, f := range e.Error.Fields {
		out[f.Field] = f.Problem
	}
	return out
}

func TestFleetPushReachesTheFeedSigned(t *testing.T) {
	p := newPortal(t)
	dev := p.token("ana", auth.Grant{Role: auth.RoleDeveloper, Team: "payments"})

	// Nothing pushed yet.
	code, b := p.call(http.MethodGet, "/api/v1/fleet/config", adminToken, nil, nil)
	if v := decode[api.FleetVersion](t, b); code != 200 || v.Version != 0 {
		t.Fatalf("%d %s", code, b)
	}
	// An install reports itself on the feed; its first batch carries the portal's key.
	report := map[string]string{api.HeaderInstall: "ins_0123456789abcdef", api.HeaderAppVersion: "1.3.0",
		api.HeaderOS: "linux/amd64", api.HeaderTeam: "payments", api.HeaderConfigVersion: "0"}
	code, b = p.call(http.MethodGet, "/api/v1/changes?limit=1000", dev, nil, report)
	batch := decode[store.Batch](t, b)
	if code != 200 || batch.FleetKey == "" {
		t.Fatalf("feed: %d, key %q", code, batch.FleetKey)
	}
	code, b = p.call(http.MethodGet, "/api/v1/fleet/key", dev, nil, nil)
	key := decode[api.FleetKey](t, b)
	if code != 200 || key.PublicKey != batch.FleetKey || key.Algorithm != "ed25519" {
		t.Fatalf("key: %d %+v", code, key)
	}

	doc := map[string]any{"settings": map[string]any{"banner": map[string]any{"text": "Maintenance Friday", "level": "warning"},
		"min_app_version": "1.4.0"}, "teams": map[string]any{"payments": map[string]any{"landing_page": "scorecards"}}}
	// The preview names who gets what before anything is stored.
	code, b = p.call(http.MethodPost, "/api/v1/fleet/preview", adminToken, map[string]any{"config": doc}, nil)
	pv := decode[api.FleetPreview](t, b)
	if code != 200 || pv.Version != 1 || pv.Installs != 1 || len(pv.Groups) != 2 || pv.Groups[1].Team != "payments" ||
		pv.Groups[1].Installs != 1 || pv.Groups[1].Settings.LandingPage != "scorecards" {
		t.Fatalf("preview: %d %s", code, b)
	}
	if code, b := p.call(http.MethodGet, "/api/v1/fleet/history", adminToken, nil, nil); code != 200 ||
		len(decode[api.Items[api.FleetVersion]](t, b).Items) != 0 {
		t.Fatalf("a preview stored something: %s", b)
	}

	// A waiting replica is woken by the push and receives it signed.
	cursor := batch.Cursor
	woken := make(chan store.Batch, 1)
	go func() {
		_, b := p.call(http.MethodGet, "/api/v1/changes?wait=30&cursor="+cursor, dev, nil, report)
		var wb store.Batch
		if err := json.Unmarshal(b, &wb); err != nil {
			t.Error(err)
		}
		woken <- wb
	}()
	base := int64(0)
	code, b = p.call(http.MethodPost, "/api/v1/fleet/config", adminToken, api.FleetPush{Config: mustJSON(t, doc),
		Note: "maintenance banner", BaseVersion: &base}, nil)
	v1 := decode[api.FleetVersion](t, b)
	if code != 201 || v1.Version != 1 || v1.CreatedBy != "admin" || v1.KeyID != key.KeyID {
		t.Fatalf("push: %d %s", code, b)
	}
	var got *catalog.FleetConfig
	select {
	case wb := <-woken:
		for _, c := range wb.Changes {
			if c.Kind == store.KindFleet {
				got = c.Fleet
			}
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the long poll was not woken by the push")
	}
	if got == nil || got.Version != 1 {
		t.Fatalf("feed carried %+v", got)
	}
	pub, err := fleet.ParsePublicKey(key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.Verify(pub, *got); err != nil {
		t.Fatalf("the feed's configuration does not verify with the portal's key: %v", err)
	}
	parsed, ps := fleet.Parse(got.Content, fleet.Options{})
	if len(ps) > 0 || parsed.Settings.Banner.Text != "Maintenance Friday" {
		t.Fatalf("content %s: %v", got.Content, ps)
	}

	// The install applied it and says so on its next request; the fleet view shows it.
	report[api.HeaderConfigVersion] = "1"
	p.call(http.MethodGet, "/api/v1/changes?cursor="+cursor, dev, nil, report)
	code, b = p.call(http.MethodGet, "/api/v1/fleet/installs", adminToken, nil, nil)
	list := decode[fleet.InstallList](t, b)
	if code != 200 || len(list.Items) != 1 || list.LatestVersion != 1 {
		t.Fatalf("installs: %d %s", code, b)
	}
	in := list.Items[0]
	if in.ID != "ins_0123456789abcdef" || in.User != "ana" || in.ConfigVersion != 1 || !in.LatestConfig ||
		in.MinAppVersion != "1.4.0" || !in.BelowMinimum || in.Unseen || list.Counts["below_minimum"] != 1 {
		t.Errorf("install %+v counts %v", in, list.Counts)
	}
	if _, b := p.call(http.MethodGet, "/api/v1/fleet/installs?filter=stale_config", adminToken, nil, nil); len(decode[fleet.InstallList](t, b).Items) != 0 {
		t.Errorf("stale_config lists %s", b)
	}

	// A push made against version 0 now conflicts; nothing is stored.
	code, b = p.call(http.MethodPost, "/api/v1/fleet/config", adminToken, api.FleetPush{Config: mustJSON(t, doc), BaseVersion: &base}, nil)
	if code != 409 {
		t.Fatalf("stale base: %d %s", code, b)
	}
	// A second version, then a rollback to the first: a third version with the first's content.
	doc2 := map[string]any{"settings": map[string]any{"banner": map[string]any{"text": "All clear"}}}
	if code, b := p.call(http.MethodPost, "/api/v1/fleet/config", adminToken, map[string]any{"config": doc2}, nil); code != 201 {
		t.Fatalf("push 2: %d %s", code, b)
	}
	code, b = p.call(http.MethodPost, "/api/v1/fleet/rollback", adminToken, api.FleetRollback{Version: 1}, nil)
	v3 := decode[api.FleetVersion](t, b)
	if code != 201 || v3.Version != 3 || v3.RollbackOf != 1 || string(v3.Config) != string(v1.Config) ||
		!strings.Contains(v3.Note, "rollback to version 1") {
		t.Fatalf("rollback: %d %s", code, b)
	}
	code, b = p.call(http.MethodGet, "/api/v1/fleet/history?limit=2", adminToken, nil, nil)
	hist := decode[api.Items[api.FleetVersion]](t, b)
	if code != 200 || len(hist.Items) != 2 || hist.Items[0].Version != 3 || hist.Items[1].Version != 2 {
		t.Fatalf("history: %d %s", code, b)
	}
	if code, b := p.call(http.MethodGet, "/api/v1/fleet/history/2", adminToken, nil, nil); code != 200 ||
		!strings.Contains(string(b), "All clear") {
		t.Errorf("version 2: %d %s", code, b)
	}
	if code, _ := p.call(http.MethodGet, "/api/v1/fleet/history/9", adminToken, nil, nil); code != 404 {
		t.Errorf("version 9: %d", code)
	}
	if code, _ := p.call(http.MethodPost, "/api/v1/fleet/rollback", adminToken, api.FleetRollback{Version: 9}, nil); code != 404 {
		t.Errorf("rollback to version 9: %d", code)
	}
	// Every push and rollback is audited.
	_, b = p.call(http.MethodGet, "/api/v1/audit?action=fleet.rolled_back", adminToken, nil, nil)
	if !strings.Contains(string(b), `"fleet/3"`) {
		t.Errorf("audit: %s", b)
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFleetPushRefusesBadInputWithTheField(t *testing.T) {
	p := newPortal(t)
	for _, tc := range []struct {
		name   string
		config string
		field  string
		says   string
	}{
		{"unknown key", `{"settings": {"wallpaper": "blue"}}`, "/config/settings/wallpaper", "unknown setting"},
		{"invalid value", `{"settings": {"sync": {"long_poll_seconds": 1}}}`, "/config/settings/sync/long_poll_seconds", "out of range"},
		{"unknown team", `{"settings": {}, "teams": {"nobody": {"landing_page": "flags"}}}`, "/config/teams/nobody", "no team named"},
		{"too large", `{"settings": {"banner": {"text": "` + strings.Repeat("x", 400) + `"}}, "teams": {` +
			strings.Repeat(`"payments": {"banner": {"text": "`+strings.Repeat("y", 400)+`"}},`, 180) +
			`"growth": {}}}`, "/config", "at most 65536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := p.call(http.MethodPost, "/api/v1/fleet/config", adminToken, map[string]json.RawMessage{
				"config": json.RawMessage(tc.config)}, nil)
			if code != 400 || !strings.Contains(fieldsOf(t, b)[tc.field], tc.says) {
				t.Fatalf("%d %s", code, b)
			}
			if code, b := p.call(http.MethodGet, "/api/v1/fleet/config", adminToken, nil, nil); decode[api.FleetVersion](t, b).Version != 0 {
				t.Fatalf("stored after a refusal: %d %s", code, b)
			}
		})
	}
	// A body far over the bound is refused before it is read whole.
	code, _ := p.call(http.MethodPost, "/api/v1/fleet/config", adminToken, map[string]any{"config": map[string]any{
		"settings": map[string]any{}, "x": strings.Repeat("x", 300<<10)}}, nil)
	if code != 413 {
		t.Errorf("huge body: %d", code)
	}
}

func TestUsageAndAdoptionKPI(t *testing.T) {
	p := newPortal(t)
	dev := p.token("ana", auth.Grant{Role: auth.RoleDeveloper, Team: "payments"})
	ci := p.token("ci", auth.Grant{Role: auth.RoleDeveloper}) // a person's role, but never in the directory
	if code, b := p.call(http.MethodPut, "/api/v1/kpi/developers", adminToken, api.DeveloperUpload{Developers: []fleet.Member{
		{Login: "ana", Teams: []string{"payments"}}, {Login: "bo", Teams: []string{"growth"}}}}, nil); code != 200 ||
		decode[fleet.DirectoryChange](t, b).Added != 2 {
		t.Fatalf("upload: %d %s", code, b)
	}
	now := time.Now().UTC()
	code, b := p.call(http.MethodPost, "/api/v1/usage/batch", dev, api.UsageBatch{Events: []fleet.Event{
		{At: now, Kind: "page.view", Page: "flags", Client: "desktop", Count: 3},
		{At: now.AddDate(-2, 0, 0), Kind: "page.view", Page: "catalog", Client: "web", Count: 1},
	}}, nil)
	if acc := decode[api.UsageAccepted](t, b); code != 200 || acc.Stored != 1 || acc.Dropped != 1 {
		t.Fatalf("usage: %d %s", code, b)
	}
	if code, _ := p.call(http.MethodPost, "/api/v1/usage/batch", ci, api.UsageBatch{Events: []fleet.Event{
		{At: now, Kind: "page.view", Page: "catalog", Client: "web", Count: 1}}}, nil); code != 200 {
		t.Fatal(code)
	}
	code, b = p.call(http.MethodPost, "/api/v1/usage/batch", dev, api.UsageBatch{Events: []fleet.Event{
		{At: now, Kind: "", Page: "flags", Client: "tv", Count: 1}}}, nil)
	if f := fieldsOf(t, b); code != 400 || f["events/0/kind"] == "" || f["events/0/client"] == "" {
		t.Fatalf("bad event: %d %s", code, b)
	}

	code, b = p.call(http.MethodGet, "/api/v1/kpi/adoption", adminToken, nil, nil)
	a := decode[fleet.Adoption](t, b)
	if code != 200 || len(a.Weeks) != 26 || a.OtherActive != 1 {
		t.Fatalf("adoption: %d %s", code, b)
	}
	if last := a.Weeks[25]; last.Active != 1 || last.Developers != 2 || last.Percent != 50 || last.End != fleet.Day(now) {
		t.Errorf("this week: %+v", last)
	}
	code, b = p.call(http.MethodGet, "/api/v1/kpi/adoption?format=csv&weeks=4", adminToken, nil, nil)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if code != 200 || err != nil || len(rows) != 5 || strings.Join(rows[0], ",") != "week,end,active,developers,percent" ||
		rows[4][4] != "50.0" {
		t.Errorf("csv: %d %v %q", code, err, b)
	}
	_, b = p.call(http.MethodGet, "/api/v1/kpi/adoption?format=csv&table=features", adminToken, nil, nil)
	if !strings.Contains(string(b), "flags,1,100.0,3") {
		t.Errorf("features csv: %s", b)
	}
	if code, _ := p.call(http.MethodGet, "/api/v1/kpi/adoption?weeks=500", adminToken, nil, nil); code != 400 {
		t.Errorf("weeks=500: %d", code)
	}
	code, b = p.call(http.MethodGet, "/api/v1/kpi/developers", adminToken, nil, nil)
	if dl := decode[fleet.DeveloperList](t, b); code != 200 || len(dl.Items) != 2 || dl.Sources[0].Source != fleet.SourceUploaded {
		t.Errorf("developers: %d %s", code, b)
	}
}
