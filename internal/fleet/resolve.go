package fleet

import (
	"maps"
	"slices"

	"github.com/sphera/atrium/internal/problem"
)

// Prefs are a user's own choices on their install, for the settings users may set (UserSettable). Where the
// configuration sets one of these and does not mark it a default, the configuration wins.
type Prefs struct {
	Team        string          `json:"team,omitempty"`
	LandingPage string          `json:"landing_page,omitempty"`
	Features    map[string]bool `json:"features,omitempty"`
}

// CheckPrefs validates a user's choices, naming each bad one.
func CheckPrefs(p Prefs) problem.Problems {
	var ps problem.Problems
	if p.Team != "" {
		c := &checker{}
		c.team("team", p.Team)
		ps = append(ps, c.ps...)
	}
	if p.LandingPage != "" && !slices.Contains(LandingPages, p.LandingPage) {
		ps.Add("landing_page", "%q is not a page an install opens on", clip(p.LandingPage))
	}
	for _, k := range slices.Sorted(maps.Keys(p.Features)) {
		if _, ok := FeaturePages[k]; !ok {
			ps.Add("features/"+escape(k), "unknown page")
		}
	}
	return ps
}

// Where a setting's value comes from on an install.
const (
	FromFleet = "fleet" // the configuration: enforced, or a default the user has not overridden
	FromUser  = "user"  // the user's own choice
	FromGrant = "grant" // the team of the user's role on the portal (team only)
)

// Effective is what applies on one install: the configuration's settings for its team, with the user's own
// choices where the configuration allows them.
type Effective struct {
	// Version of the configuration applied; 0: none.
	Version int64 `json:"version"`
	// Team the install belongs to ("" none), and where that came from: the configuration (enforced default_team,
	// or its default), the user's choice, or the user's role on the portal.
	Team     string  `json:"team"`
	TeamFrom string  `json:"team_from,omitempty"`
	Banner   *Banner `json:"banner,omitempty"`
	// LandingPage is the page the install opens on ("" the catalog).
	LandingPage string `json:"landing_page,omitempty"`
	// Features are the pages switched on or off; a page not named here follows its own feature flag.
	Features      map[string]bool `json:"features"`
	MinAppVersion string          `json:"min_app_version,omitempty"`
	Sync          Sync            `json:"sync"`
	Links         []Link          `json:"links"`
	// Modes says, for each setting the configuration sets, "enforced" or "default".
	Modes map[string]string `json:"modes"`
	// From says where each value in force comes from (FromFleet, FromUser), by setting; for features, by page
	// ("features/matrix").
	From map[string]string `json:"from"`
}

// Modes of a setting.
const (
	ModeEnforced = "enforced"
	ModeDefault  = "default"
)

// Resolve is what applies on an install of a user with prefs, whose role on the portal names grantTeam ("" none),
// under doc (version; 0 and an empty doc: no configuration). The install's team is the configuration's
// default_team when enforced; else the user's choice; else grantTeam; else the configuration's default_team.
func Resolve(doc Document, version int64, prefs Prefs, grantTeam string) Effective {
	e := Effective{Version: version, Features: map[string]bool{}, Links: []Link{}, Modes: map[string]string{},
		From: map[string]string{}}
	mode := func(key string) string {
		if doc.IsDefault(key) {
			return ModeDefault
		}
		return ModeEnforced
	}
	dt := doc.Settings.DefaultTeam
	switch {
	case dt != "" && mode(KeyDefaultTeam) == ModeEnforced:
		e.Team, e.TeamFrom = dt, FromFleet
	case prefs.Team != "":
		e.Team, e.TeamFrom = prefs.Team, FromUser
	case grantTeam != "":
		e.Team, e.TeamFrom = grantTeam, FromGrant
	case dt != "":
		e.Team, e.TeamFrom = dt, FromFleet
	}
	if e.TeamFrom != "" {
		e.From[KeyDefaultTeam] = e.TeamFrom
	}
	s := doc.For(e.Team)
	for _, k := range s.Set() {
		e.Modes[k] = mode(k)
		e.From[k] = FromFleet
	}
	e.Banner = s.Banner
	e.MinAppVersion = s.MinAppVersion
	if s.Sync != nil {
		e.Sync = *s.Sync
	}
	if s.Links != nil {
		e.Links = *s.Links
	}
	// The user's choice wins where the configuration is silent or marks the setting a default.
	e.LandingPage = s.LandingPage
	if prefs.LandingPage != "" && (s.LandingPage == "" || mode(KeyLandingPage) == ModeDefault) {
		e.LandingPage = prefs.LandingPage
		e.From[KeyLandingPage] = FromUser
	}
	// Features are decided page by page: a page the configuration names is enforced unless features is a default.
	for page, on := range s.Features {
		e.Features[page] = on
		e.From[KeyFeatures+"/"+page] = FromFleet
	}
	for page, on := range prefs.Features {
		if _, named := s.Features[page]; !named || mode(KeyFeatures) == ModeDefault {
			e.Features[page] = on
			e.From[KeyFeatures+"/"+page] = FromUser
		}
	}
	return e
}

// UpdateRequired reports whether an install of app version app is below the minimum in force.
func (e Effective) UpdateRequired(app string) bool { return BelowMinimum(app, e.MinAppVersion) }
