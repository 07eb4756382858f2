package fleet

import (
	"strings"
	"testing"
)

func TestParseAcceptsEverySetting(t *testing.T) {
	raw := `{
	  "settings": {
	    "banner": {"text": "Portal maintenance on Friday 18:00", "level": "warning"},
	    "landing_page": "scorecards",
	    "default_team": "payments",
	    "features": {"matrix": true, "flags": false},
	    "min_app_version": "1.4.0",
	    "sync": {"long_poll_seconds": 10, "retry_max_seconds": 30},
	    "links": [{"title": "Docs", "url": "https://docs.example.com", "kind": "docs"},
	              {"title": "On-call", "url": "https://oncall.example.com/atrium"}]
	  },
	  "defaults": ["landing_page", "features"],
	  "teams": {"growth": {"banner": {"text": "Growth: freeze until Monday"}, "links": []}}
	}`
	d, ps := Parse([]byte(raw), Options{Team: func(n string) bool { return n == "payments" || n == "growth" }})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if d.Settings.Banner.Level != "warning" || d.Settings.DefaultTeam != "payments" || !d.Settings.Features["matrix"] ||
		d.Settings.Sync.LongPollSeconds != 10 || len(*d.Settings.Links) != 2 || (*d.Settings.Links)[1].Kind != "other" {
		t.Errorf("parsed %+v", d.Settings)
	}
	if g := d.For("growth"); g.Banner.Text != "Growth: freeze until Monday" || g.Banner.Level != "info" ||
		len(*g.Links) != 0 || g.LandingPage != "scorecards" {
		t.Errorf("growth gets %+v", g)
	}
	// The canonical form parses back to itself: what the portal signs is what installs read.
	again, ps := Parse(d.Canonical(), Options{})
	if len(ps) > 0 || string(again.Canonical()) != string(d.Canonical()) {
		t.Errorf("canonical form does not round-trip: %v\n%s\n%s", ps, d.Canonical(), again.Canonical())
	}
}

// Canonical sorts a copy of the defaults: the caller's document (shared by readers of the portal's current
// configuration) is not written to.
func TestCanonicalLeavesTheDocumentAlone(t *testing.T) {
	d := Document{Defaults: []string{KeyLandingPage, KeyDefaultTeam}}
	got := string(d.Canonical())
	if d.Defaults[0] != KeyLandingPage || d.Schema != 0 {
		t.Errorf("Canonical changed its receiver's defaults: %v (schema %d)", d.Defaults, d.Schema)
	}
	if !strings.Contains(got, `"defaults":["default_team","landing_page"]`) {
		t.Errorf("canonical defaults not sorted: %s", got)
	}
}

func TestParseRefusesWithTheField(t *testing.T) {
	teams := Options{Team: func(n string) bool { return n == "payments" }}
	for _, tc := range []struct {
		name, raw, path, says string
	}{
		{"unknown setting", `{"settings": {"bannr": {"text": "x"}}}`, "/settings/bannr", "unknown setting"},
		{"unknown top-level key", `{"settings": {}, "target": "all"}`, "/target", "unknown key"},
		{"banner too long", `{"settings": {"banner": {"text": "` + strings.Repeat("x", 501) + `"}}}`,
			"/settings/banner/text", "501 characters; at most 500"},
		{"banner level", `{"settings": {"banner": {"text": "x", "level": "loud"}}}`, "/settings/banner/level", `"loud" is not one of`},
		{"banner without text", `{"settings": {"banner": {"level": "info"}}}`, "/settings/banner/text", "required"},
		{"landing page", `{"settings": {"landing_page": "home"}}`, "/settings/landing_page", `"home" is not one of`},
		{"unknown team", `{"settings": {"default_team": "nobody"}}`, "/settings/default_team", `no team named "nobody"`},
		{"bad team name", `{"settings": {"default_team": "Payments!"}}`, "/settings/default_team", "not a team name"},
		{"unknown page", `{"settings": {"features": {"billing": true}}}`, "/settings/features/billing", "unknown page"},
		{"page not boolean", `{"settings": {"features": {"matrix": "yes"}}}`, "/settings/features/matrix", "true or false"},
		{"version", `{"settings": {"min_app_version": "latest"}}`, "/settings/min_app_version", "not a version"},
		{"long poll range", `{"settings": {"sync": {"long_poll_seconds": 600}}}`, "/settings/sync/long_poll_seconds", "out of range"},
		{"long poll fraction", `{"settings": {"sync": {"long_poll_seconds": 7.5}}}`, "/settings/sync/long_poll_seconds", "whole number"},
		{"link scheme", `{"settings": {"links": [{"title": "x", "url": "javascript:alert(1)"}]}}`, "/settings/links/0/url", "http"},
		{"link without title", `{"settings": {"links": [{"url": "https://x.example"}]}}`, "/settings/links/0/title", "required"},
		{"too many links", `{"settings": {"links": [` + strings.Repeat(`{"title":"a","url":"https://a.example"},`, 20) +
			`{"title":"a","url":"https://a.example"}]}}`, "/settings/links", "21 links; at most 20"},
		{"enforced-only default", `{"settings": {}, "defaults": ["banner"]}`, "/defaults/0", "always enforced"},
		{"default twice", `{"settings": {}, "defaults": ["features", "features"]}`, "/defaults/1", "listed twice"},
		{"team default_team", `{"settings": {}, "teams": {"payments": {"default_team": "payments"}}}`,
			"/teams/payments/default_team", "cannot set default_team"},
		{"team unknown", `{"settings": {}, "teams": {"ghosts": {}}}`, "/teams/ghosts", `no team named "ghosts"`},
		{"null value", `{"settings": {"banner": null}}`, "/settings/banner", "must have a value"},
		{"newer schema", `{"schema": 2, "settings": {}}`, "/schema", "reads configuration schema 1"},
		{"not an object", `[1, 2]`, "", "must be an object"},
		{"not JSON", `{"settings": `, "", "not JSON"},
		{"trailing data", `{"settings": {}} {}`, "", "not one JSON value"},
		{"too large", `{"settings": {"banner": {"text": "x"}}, "pad": "` + strings.Repeat(" ", MaxBytes) + `"}`, "", "at most 65536"},
		{"missing settings", `{}`, "/settings", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := Parse([]byte(tc.raw), teams)
			if len(ps) == 0 {
				t.Fatal("accepted")
			}
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Summary, tc.says) {
					return
				}
			}
			t.Errorf("want %q at %q; got %v", tc.says, tc.path, ps)
		})
	}
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		app, minimum string
		below        bool
	}{
		{"1.4.0", "1.4.0", false},
		{"v1.4.1", "1.4.0", false},
		{"1.3.9", "1.4.0", true},
		{"1.4.0-rc.1", "1.4.0", true},
		{"v1.4.0-3-gabc1234-dirty", "1.4.0", false}, // git describe: after the tag
		{"v1.3.0-3-gabc1234", "1.4.0", true},
		{"dev", "1.4.0", true}, // unknown is below every minimum
		{"dev", "", false},
		{"2.0.0", "10.0.0", true}, // numbers, not text
	} {
		if got := BelowMinimum(tc.app, tc.minimum); got != tc.below {
			t.Errorf("BelowMinimum(%q, %q) = %v", tc.app, tc.minimum, got)
		}
	}
}
