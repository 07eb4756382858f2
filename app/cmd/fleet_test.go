package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const fleetAdmin = "atr_fleet_cli_admin_0123456789abcd"

// TestFleetContract is the contract, in-process: `atrium serve` and two desktops (`atrium web --portal`);
// `atrium fleet push FILE` prints the version, every connected install shows it in `atrium fleet installs --json`
// within seconds, `atrium kpi --json` has its weeks. (The same with the built binary: fleet_contract_test.go in
// the repository root, integration tag.)
func TestFleetContract(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("ATRIUM_ADMIN_TOKEN", fleetAdmin)
	_, stderr, stopPortal := running(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--demo", "on")
	defer stopPortal()
	portal := "http://" + stderr.await(t, regexp.MustCompile(`msg="portal listening" addr=(127\.0\.0\.1:\d+)`))[1]
	admin := []string{"--portal", portal, "--token", fleetAdmin}
	var stops []func() int
	for range 2 {
		out, _, stop := running(t, "web", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--portal", portal, "--token", fleetAdmin)
		out.await(t, regexp.MustCompile(`^Atrium is running at `))
		stops = append(stops, stop)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()

	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(file, []byte(`settings:
  banner: {text: "Atrium 2.0 is out: update by Friday", level: warning}
  landing_page: scorecards
  features: {matrix: true}
  min_app_version: 1.0.0
  links:
    - {title: Docs, url: "https://docs.example.com", kind: docs}
defaults: [landing_page]
teams:
  payments:
    banner: {text: "Payments: code freeze until Monday"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := atriumRun(t, append([]string{"fleet", "preview", file}, admin...)...)
	if r.code != 0 || !strings.Contains(r.out, "version 1 would replace version 0") || !strings.Contains(r.out, "team payments") {
		t.Fatalf("preview: %+v", r)
	}
	r = atriumRun(t, append([]string{"fleet", "push", file, "--note", "release banner"}, admin...)...)
	m := regexp.MustCompile(`^pushed version (\d+) \(signed by key [0-9a-f]{16}\)\n$`).FindStringSubmatch(r.out)
	if r.code != 0 || m == nil || m[1] != "1" {
		t.Fatalf("push: %+v", r)
	}

	// Every connected install shows the pushed version within seconds.
	type install struct {
		ID            string    `json:"id"`
		User          string    `json:"user"`
		ConfigVersion int64     `json:"config_version"`
		AppVersion    string    `json:"app_version"`
		LastSeen      time.Time `json:"last_seen"`
	}
	var installs []install
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = atriumRun(t, append([]string{"fleet", "installs", "--json"}, admin...)...)
		if r.code != 0 {
			t.Fatalf("installs: %+v", r)
		}
		installs = nil
		if err := json.Unmarshal([]byte(r.out), &installs); err != nil {
			t.Fatalf("installs --json is not an array of installs: %v\n%s", err, r.out)
		}
		if len(installs) == 2 && installs[0].ConfigVersion == 1 && installs[1].ConfigVersion == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("installs did not apply version 1 within 10 s: %+v", installs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, in := range installs {
		if in.ID == "" || in.User != "admin" || in.AppVersion == "" || time.Since(in.LastSeen) > time.Minute {
			t.Errorf("install %+v", in)
		}
	}
	for _, f := range []string{`"id"`, `"user"`, `"config_version"`, `"app_version"`, `"last_seen"`} {
		if !strings.Contains(r.out, f) {
			t.Errorf("installs --json lacks %s", f)
		}
	}

	r = atriumRun(t, append([]string{"kpi", "--json"}, admin...)...)
	var kpi struct {
		Weeks []struct {
			Week       string   `json:"week"`
			Active     *int     `json:"active"`
			Developers *int     `json:"developers"`
			Percent    *float64 `json:"percent"`
		} `json:"weeks"`
	}
	if err := json.Unmarshal([]byte(r.out), &kpi); r.code != 0 || err != nil || len(kpi.Weeks) != 26 ||
		kpi.Weeks[25].Week == "" || kpi.Weeks[25].Active == nil || kpi.Weeks[25].Developers == nil ||
		*kpi.Weeks[25].Developers == 0 || kpi.Weeks[25].Percent == nil {
		t.Fatalf("kpi --json: %v %+v", err, r)
	}
	if r = atriumRun(t, append([]string{"kpi"}, admin...)...); r.code != 0 || !strings.Contains(r.out, "weekly active developers:") {
		t.Errorf("kpi: %+v", r)
	}
	if r = atriumRun(t, append([]string{"kpi", "--csv", "weeks", "--weeks", "2"}, admin...)...); r.code != 0 ||
		!strings.HasPrefix(r.out, "week,end,active,developers,percent\n") || strings.Count(r.out, "\n") != 3 {
		t.Errorf("kpi --csv: %+v", r)
	}

	// An uploaded developer list (for portals with OIDC alone) joins the demo's directory.
	devs := filepath.Join(dir, "developers.yaml")
	if err := os.WriteFile(devs, []byte("developers:\n  - {login: ana, teams: [payments], aliases: [ana@example.com]}\n  - {login: bo}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r = atriumRun(t, append([]string{"kpi", "developers", devs}, admin...)...); r.code != 0 || r.out != "2 developers (2 added, 0 removed)\n" {
		t.Errorf("kpi developers: %+v", r)
	}

	// History and rollback.
	second := filepath.Join(dir, "second.json")
	if err := os.WriteFile(second, []byte(`{"settings": {"banner": {"text": "All clear"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r = atriumRun(t, append([]string{"fleet", "push", second}, admin...)...); r.code != 0 || !strings.HasPrefix(r.out, "pushed version 2 ") {
		t.Fatalf("push 2: %+v", r)
	}
	if r = atriumRun(t, append([]string{"fleet", "rollback", "1"}, admin...)...); r.code != 0 || r.out != "pushed version 3 (the content of version 1)\n" {
		t.Fatalf("rollback: %+v", r)
	}
	if r = atriumRun(t, append([]string{"fleet", "history"}, admin...)...); r.code != 0 || !strings.Contains(r.out, "rollback to version 1") ||
		!strings.Contains(r.out, "release banner") {
		t.Errorf("history: %+v", r)
	}

	// Bad input: refused with the field, in the file's terms; nothing pushed.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("settings:\n  banner: {text: hi, level: loud}\n  wallpaper: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = atriumRun(t, append([]string{"fleet", "push", bad}, admin...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "/settings/banner/level: \"loud\" is not one of") ||
		!strings.Contains(r.stderr, "/settings/wallpaper: unknown setting") {
		t.Errorf("bad file: %+v", r)
	}
	if err := os.WriteFile(bad, []byte("settings: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r = atriumRun(t, append([]string{"fleet", "push", bad}, admin...)...); r.code != 1 || !strings.Contains(r.stderr, "is not valid YAML") {
		t.Errorf("broken YAML: %+v", r)
	}
	if r = atriumRun(t, "fleet", "push", second, "--portal", portal); r.code != 2 || !strings.Contains(r.stderr, "needs an admin's token") {
		t.Errorf("no token: %+v", r)
	}
	if r = atriumRun(t, append([]string{"fleet", "rollback", "latest"}, admin...)...); r.code != 2 {
		t.Errorf("rollback latest: %+v", r)
	}
	if r = atriumRun(t, append([]string{"fleet", "history", "--json"}, admin...)...); !strings.Contains(r.out, `"version": 3`) {
		t.Errorf("a refused push was stored: %s", r.out)
	}
}
