package fleet

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

func mustParse(t *testing.T, raw string) Document {
	t.Helper()
	d, ps := Parse([]byte(raw), Options{})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return d
}

func TestResolveDefaultsAndEnforced(t *testing.T) {
	doc := mustParse(t, `{"settings": {"landing_page": "scorecards", "features": {"matrix": true}, "default_team": "platform",
		"banner": {"text": "all"}}, "defaults": ["landing_page"], "teams": {"payments": {"banner": {"text": "payments only"}}}}`)
	prefs := Prefs{Team: "payments", LandingPage: "flags", Features: map[string]bool{"matrix": false, "packages": false}}

	e := Resolve(doc, 3, prefs, "growth")
	// default_team is enforced (not in defaults): the configuration's team wins over the user's and the grant's.
	if e.Team != "platform" || e.TeamFrom != FromFleet || e.Banner.Text != "all" {
		t.Errorf("team %q from %q, banner %v", e.Team, e.TeamFrom, e.Banner)
	}
	// landing_page is a default: the user's choice wins.
	if e.LandingPage != "flags" || e.From[KeyLandingPage] != FromUser || e.Modes[KeyLandingPage] != ModeDefault {
		t.Errorf("landing %q from %q mode %q", e.LandingPage, e.From[KeyLandingPage], e.Modes[KeyLandingPage])
	}
	// features is enforced on the pages it names; the user decides the others.
	if !e.Features["matrix"] || e.From["features/matrix"] != FromFleet || e.Features["packages"] ||
		e.From["features/packages"] != FromUser {
		t.Errorf("features %v from %v", e.Features, e.From)
	}

	// With default_team a default, the user's team counts, and the team's layer applies.
	doc.Defaults = append(doc.Defaults, KeyDefaultTeam)
	e = Resolve(doc, 3, prefs, "growth")
	if e.Team != "payments" || e.TeamFrom != FromUser || e.Banner.Text != "payments only" {
		t.Errorf("team %q from %q, banner %v", e.Team, e.TeamFrom, e.Banner)
	}
	// No choice of their own: the team of their role on the portal, then the configuration's default.
	if e = Resolve(doc, 3, Prefs{}, "growth"); e.Team != "growth" || e.TeamFrom != FromGrant {
		t.Errorf("team %q from %q", e.Team, e.TeamFrom)
	}
	if e = Resolve(doc, 3, Prefs{}, ""); e.Team != "platform" || e.TeamFrom != FromFleet {
		t.Errorf("team %q from %q", e.Team, e.TeamFrom)
	}
	// Enforced landing page: the user's choice does not win.
	doc.Defaults = nil
	if e = Resolve(doc, 3, prefs, ""); e.LandingPage != "scorecards" || e.From[KeyLandingPage] != FromFleet {
		t.Errorf("landing %q", e.LandingPage)
	}
	// No configuration: everything is the user's.
	if e = Resolve(Document{}, 0, prefs, ""); e.LandingPage != "flags" || e.Team != "payments" || e.Features["matrix"] {
		t.Errorf("without configuration: %+v", e)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func newInstall() *Install {
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	in := NewInstall(InstallState{})
	in.Now = c.now
	return in
}

func signDoc(t *testing.T, s *Signer, version int64, raw string) catalog.FleetConfig {
	t.Helper()
	return s.Sign(version, mustParse(t, raw).Canonical())
}

func TestInstallAppliesOnlyWhatItsPortalSigned(t *testing.T) {
	portal := GenerateSigner()
	in := newInstall()
	v1 := signDoc(t, portal, 1, `{"settings": {"banner": {"text": "one"}}}`)
	// First contact pins the key and applies the configuration in the same batch.
	if !in.Offer(portal.PublicKey(), &v1) {
		t.Fatal("nothing changed")
	}
	doc, v := in.Applied()
	if v != 1 || doc.Settings.Banner.Text != "one" || in.State().KeyID != portal.KeyID() || in.Problem() != "" {
		t.Fatalf("applied v%d %+v, state %+v", v, doc.Settings, in.State())
	}
	// The same configuration again (a replica starting over) changes nothing.
	if in.Offer(portal.PublicKey(), &v1) {
		t.Error("a re-delivery changed the state")
	}

	refused := func(c catalog.FleetConfig, reason, says string) {
		t.Helper()
		before, _ := in.Applied()
		in.Offer(portal.PublicKey(), &c)
		st := in.State()
		if st.Refused == nil || st.Refused.Reason != reason || !strings.Contains(st.Refused.Message, says) {
			t.Fatalf("refusal %+v, want %s %q", st.Refused, reason, says)
		}
		if after, v := in.Applied(); v != 1 || string(after.Canonical()) != string(before.Canonical()) {
			t.Fatalf("the last good configuration did not stay: v%d", v)
		}
		if !strings.Contains(in.Problem(), reason) {
			t.Errorf("problem reported: %q", in.Problem())
		}
	}
	// Tampered content: the signature no longer verifies.
	v2 := signDoc(t, portal, 2, `{"settings": {"banner": {"text": "two"}}}`)
	tampered := v2
	tampered.Content = []byte(strings.Replace(string(v2.Content), "two", "evil", 1))
	refused(tampered, RefusedSignature, "does not verify")
	// A signed configuration replayed under another version number: the version is signed too.
	renumbered := v1
	renumbered.Version = 5
	refused(renumbered, RefusedSignature, "does not verify")
	// Signed by someone else's key.
	refused(signDoc(t, GenerateSigner(), 2, `{"settings": {}}`), RefusedSignature, "signed by key")
	// A setting this install cannot apply (from a newer portal): refused whole, with which and why.
	unknown := portal.Sign(2, []byte(`{"schema":1,"settings":{"banner":{"text":"x","level":"info"},"wallpaper":"blue"}}`))
	refused(unknown, RefusedInvalid, "/settings/wallpaper: unknown setting")
	if ps := in.State().Refused.Problems; len(ps) != 1 || ps[0].Path != "/settings/wallpaper" {
		t.Errorf("problems %v", ps)
	}

	// A newer one applies; the older one replayed afterwards is refused.
	if !in.Offer(portal.PublicKey(), &v2) {
		t.Fatal("v2 not applied")
	}
	if _, v := in.Applied(); v != 2 || in.State().Refused != nil {
		t.Fatalf("v%d, refused %+v", v, in.State().Refused)
	}
	if in.Offer(portal.PublicKey(), &v1); in.State().Refused == nil || in.State().Refused.Reason != RefusedReplay {
		t.Fatalf("replay: %+v", in.State().Refused)
	}
	if _, v := in.Applied(); v != 2 {
		t.Errorf("replay applied: v%d", v)
	}
	// Resuming from the saved state keeps v2 (it verifies against the pinned key).
	again := NewInstall(in.State())
	if _, v := again.Applied(); v != 2 {
		t.Errorf("resumed at v%d", v)
	}
	// A saved state edited by hand is dropped, with the reason.
	st := in.State()
	bad := *st.Config
	bad.Content = []byte(strings.Replace(string(bad.Content), "two", "xxx", 1))
	st.Config = &bad
	if again := NewInstall(st); again.State().Config != nil || again.State().Refused.Reason != RefusedSignature {
		t.Errorf("edited state: %+v", again.State())
	}
}

func TestInstallRefusesAChangedKeyUntilTrusted(t *testing.T) {
	old, rotated := GenerateSigner(), GenerateSigner()
	in := newInstall()
	v1 := signDoc(t, old, 1, `{"settings": {"banner": {"text": "old key"}}}`)
	in.Offer(old.PublicKey(), &v1)
	v2 := signDoc(t, rotated, 2, `{"settings": {"banner": {"text": "new key"}}}`)
	if !in.Offer(rotated.PublicKey(), &v2) {
		t.Fatal("nothing changed")
	}
	st := in.State()
	if st.KeyID != old.KeyID() || st.OfferedKey != rotated.PublicKey() || st.Refused.Reason != RefusedKey ||
		!strings.Contains(in.Problem(), "signing key changed") {
		t.Fatalf("state %+v, problem %q", st, in.Problem())
	}
	if _, v := in.Applied(); v != 1 {
		t.Fatalf("applied v%d under a key nobody trusted", v)
	}
	// Trusting another fingerprint than the one presented does nothing.
	if err := in.Trust(GenerateSigner().KeyID()); !errors.Is(err, ErrNothingToTrust) {
		t.Fatalf("trust of another key: %v", err)
	}
	// Trusting the presented key pins it and applies the configuration held for it.
	if err := in.Trust(rotated.KeyID()); err != nil {
		t.Fatal(err)
	}
	doc, v := in.Applied()
	if v != 2 || doc.Settings.Banner.Text != "new key" || in.State().KeyID != rotated.KeyID() || in.Problem() != "" {
		t.Fatalf("after trust: v%d %+v %q", v, in.State(), in.Problem())
	}
}

func TestInstallWithoutKeyRefuses(t *testing.T) {
	in := newInstall()
	c := signDoc(t, GenerateSigner(), 1, `{"settings": {}}`)
	in.Offer("", &c)
	if st := in.State(); st.Config != nil || st.Refused == nil || st.Refused.Reason != RefusedKey {
		t.Errorf("state %+v", st)
	}
}
