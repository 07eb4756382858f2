package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

func TestServeReadsTheDeveloperDirectoryFromGitHub(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddOrg("acme")
	gh.AddRepo("acme", githubtest.Repo{Name: "payments-api", Files: map[string]string{"atrium.yaml": "name: payments-api\nowner: payments\n"}})
	gh.AddTeam("acme", "payments", "ana", "bo")
	gh.AddMember("acme", "cy")
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	t.Setenv("ATRIUM_DEMO", "")
	t.Setenv("ATRIUM_GITHUB_API_URL", gh.URL)
	t.Setenv("ATRIUM_GITHUB_ORGS", "acme")
	t.Setenv("ATRIUM_GITHUB_TOKEN", gh.Token)
	base := serve(t)
	var body map[string]any
	waitFor(t, "the directory", func() bool {
		_, body = getJSON(t, base+"/api/v1/kpi/developers")
		items, _ := body["items"].([]any)
		return len(items) == 3
	})
	var got []string
	for _, it := range body["items"].([]any) {
		m := it.(map[string]any)
		got = append(got, m["login"].(string)+":"+strings.Join(toStrings(m["teams"]), "+"))
	}
	if strings.Join(got, ",") != "ana:payments,bo:payments,cy:" {
		t.Errorf("directory %v", got)
	}
	if src := body["sources"].([]any)[0].(map[string]any); src["source"] != "github:acme" || src["developers"].(float64) != 3 {
		t.Errorf("sources %v", body["sources"])
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestServeKeepsItsSigningKey(t *testing.T) {
	t.Setenv("ATRIUM_ADMIN_TOKEN", admin)
	dir := t.TempDir()
	base := serve(t, "--data", dir)
	_, k1 := getJSON(t, base+"/api/v1/fleet/key")
	fi, err := os.Stat(filepath.Join(dir, fleet.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	base2 := serve(t, "--data", dir)
	_, k2 := getJSON(t, base2+"/api/v1/fleet/key")
	if k1["public_key"] == "" || k1["public_key"] != k2["public_key"] || k1["key_id"] != k2["key_id"] {
		t.Errorf("the key changed across restarts: %v %v", k1, k2)
	}
	// The demo has a directory: its KPI has a denominator.
	_, a := getJSON(t, base2+"/api/v1/kpi/adoption?weeks=1")
	if w := a["weeks"].([]any)[0].(map[string]any); w["developers"].(float64) < 40 {
		t.Errorf("demo developers: %v", w)
	}
}
