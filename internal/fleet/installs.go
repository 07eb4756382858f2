package fleet

import (
	"context"
	"database/sql"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Report is what an install says of itself on each change-feed request; the portal adds who it is (User, the
// authenticated caller) and when (At).
type Report struct {
	ID            string
	User          string
	Team          string
	OS            string
	AppVersion    string
	ConfigVersion int64
	ConfigError   string
	At            time.Time
}

var installIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{8,64}$`)

// ValidInstallID reports whether s may be an install's id.
func ValidInstallID(s string) bool { return installIDRE.MatchString(s) }

// Clean bounds what an install says of itself to sizes a list can show, without control characters.
func (r Report) Clean() Report {
	r.Team = clipText(strings.TrimSpace(r.Team), 63)
	r.OS = clipText(strings.TrimSpace(r.OS), 40)
	r.AppVersion = clipText(strings.TrimSpace(r.AppVersion), 64)
	r.ConfigError = clipText(strings.TrimSpace(r.ConfigError), 300)
	r.User = clipText(r.User, 200)
	if r.ConfigVersion < 0 {
		r.ConfigVersion = 0
	}
	return r
}

// InstallRecord is an install as the portal last heard of it, with what the fleet view derives from it.
type InstallRecord struct {
	ID            string    `json:"id"`
	User          string    `json:"user"`
	Team          string    `json:"team"`
	OS            string    `json:"os"`
	AppVersion    string    `json:"app_version"`
	ConfigVersion int64     `json:"config_version"`
	ConfigError   string    `json:"config_error,omitempty"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
	// LatestConfig: the install applied the newest configuration.
	LatestConfig bool `json:"latest_config"`
	// MinAppVersion is the minimum app version in force for the install's team; BelowMinimum says its app is older.
	MinAppVersion string `json:"min_app_version,omitempty"`
	BelowMinimum  bool   `json:"below_minimum"`
	// Unseen: not seen for UnseenAfter.
	Unseen bool `json:"unseen"`
}

// UnseenAfter is how long an install may be silent before the fleet view calls it unseen.
const UnseenAfter = 7 * 24 * time.Hour

// Filters of the installs list.
const (
	FilterStaleConfig  = "stale_config"  // not on the latest configuration
	FilterBelowMinimum = "below_minimum" // below the minimum app version
	FilterUnseen       = "unseen"        // not seen for 7 days
)

// Filters lists the installs list's filters.
var Filters = []string{FilterStaleConfig, FilterBelowMinimum, FilterUnseen}

// Registry records installs' reports. Reports arrive with every change-feed request — thousands a minute from a
// large fleet — so they are kept in memory and written together (Flush, every second under Run); a list flushes
// first, so it always shows every report received.
type Registry struct {
	DB  *sql.DB
	Now func() time.Time

	mu      sync.Mutex
	pending map[string]Report
}

func (g *Registry) now() time.Time {
	if g.Now != nil {
		return g.Now().UTC()
	}
	return time.Now().UTC()
}

// Report records r (see Report.Clean); one with an invalid id is ignored.
func (g *Registry) Report(r Report) {
	if !ValidInstallID(r.ID) || r.User == "" {
		return
	}
	r = r.Clean()
	if r.At.IsZero() {
		r.At = g.now()
	}
	g.mu.Lock()
	if g.pending == nil {
		g.pending = map[string]Report{}
	}
	g.pending[r.ID] = r
	g.mu.Unlock()
}

// Flush writes the reports received since the last flush, in one transaction. On failure they are kept for the
// next flush (unless a newer report of the same install arrived meanwhile).
func (g *Registry) Flush(ctx context.Context) error {
	g.mu.Lock()
	batch := g.pending
	g.pending = nil
	g.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := g.write(ctx, batch)
	if err != nil {
		g.mu.Lock()
		if g.pending == nil {
			g.pending = map[string]Report{}
		}
		for id, r := range batch {
			if _, newer := g.pending[id]; !newer {
				g.pending[id] = r
			}
		}
		g.mu.Unlock()
	}
	return err
}

func (g *Registry) write(ctx context.Context, batch map[string]Report) error {
	tx, err := g.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO fleet_installs(id, user, team, os, app_version, config_version,
		config_error, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET user = excluded.user, team = excluded.team, os = excluded.os,
		app_version = excluded.app_version, config_version = excluded.config_version,
		config_error = excluded.config_error, last_seen = MAX(last_seen, excluded.last_seen)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range batch {
		at := r.At.UnixMilli()
		if _, err := st.ExecContext(ctx, r.ID, r.User, r.Team, r.OS, r.AppVersion, r.ConfigVersion, r.ConfigError,
			at, at); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Run flushes every interval until ctx ends, and once more then.
func (g *Registry) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := g.Flush(context.WithoutCancel(ctx)); err != nil {
				log.Warn("record installs' last reports", "err", err)
			}
			return
		case <-t.C:
			if err := g.Flush(ctx); err != nil && ctx.Err() == nil {
				log.Warn("record installs' reports; retrying", "err", err)
			}
		}
	}
}

// InstallQuery selects installs: by filter (Filters; "" all) and team ("" any).
type InstallQuery struct {
	Filter string
	Team   string
}

// InstallList is the installs a query selects, newest seen first, with what the fleet view shows about all.
type InstallList struct {
	Items []InstallRecord `json:"items"`
	// LatestVersion is the newest configuration's version (0: none pushed).
	LatestVersion int64 `json:"latest_version"`
	// Counts are the number of installs of each filter (and "all"), whatever the query.
	Counts map[string]int `json:"counts"`
}

// List reads the installs, deriving against doc (the latest configuration, version latest) whether each is on it,
// below the minimum app version of its team, and unseen.
func (g *Registry) List(ctx context.Context, q InstallQuery, doc Document, latest int64) (InstallList, error) {
	if err := g.Flush(ctx); err != nil {
		return InstallList{}, err
	}
	rows, err := g.DB.QueryContext(ctx, `SELECT id, user, team, os, app_version, config_version, config_error,
		first_seen, last_seen FROM fleet_installs ORDER BY last_seen DESC, id`)
	if err != nil {
		return InstallList{}, err
	}
	defer rows.Close()
	out := InstallList{Items: []InstallRecord{}, LatestVersion: latest, Counts: map[string]int{"all": 0}}
	for _, f := range Filters {
		out.Counts[f] = 0
	}
	now := g.now()
	for rows.Next() {
		var r InstallRecord
		var first, last int64
		if err := rows.Scan(&r.ID, &r.User, &r.Team, &r.OS, &r.AppVersion, &r.ConfigVersion, &r.ConfigError, &first,
			&last); err != nil {
			return out, err
		}
		r.FirstSeen, r.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		r.LatestConfig = r.ConfigVersion == latest
		r.MinAppVersion = doc.For(r.Team).MinAppVersion
		r.BelowMinimum = BelowMinimum(r.AppVersion, r.MinAppVersion)
		r.Unseen = now.Sub(r.LastSeen) > UnseenAfter
		match := map[string]bool{"": true, FilterStaleConfig: !r.LatestConfig, FilterBelowMinimum: r.BelowMinimum,
			FilterUnseen: r.Unseen}
		out.Counts["all"]++
		for _, f := range Filters {
			if match[f] {
				out.Counts[f]++
			}
		}
		if match[q.Filter] && (q.Team == "" || q.Team == r.Team) {
			out.Items = append(out.Items, r)
		}
	}
	return out, rows.Err()
}

// PreviewGroup is what one group of installs gets from a configuration: the installs of a team with settings of
// its own, or (Team "") every other install.
type PreviewGroup struct {
	Team string `json:"team"`
	// Installs is how many installs report this team (for Team "": any team without settings of its own);
	// InstallIDs names up to 20 of them.
	Installs   int      `json:"installs"`
	InstallIDs []string `json:"install_ids"`
	// Settings are what the group gets, before each user's own choices where the configuration allows them.
	Settings Settings `json:"settings"`
	// Changed lists the settings that differ from what the group gets now.
	Changed []string `json:"changed"`
}

// Preview says which installs get what from a configuration before it is pushed.
type Preview struct {
	// Version is the version the configuration would get; Current the one in force (0: none).
	Version int64          `json:"version"`
	Current int64          `json:"current"`
	Groups  []PreviewGroup `json:"groups"`
	// Installs is the number of installs known; Changed how many of them get a different setting.
	Installs int `json:"installs"`
	Changed  int `json:"changed"`
	// DefaultsChanged says the settings users may override changed (which changes what applies to everyone who
	// chose their own).
	DefaultsChanged bool `json:"defaults_changed"`
}

// BuildPreview groups installs by what next (to be version current+1) gives them compared with cur (version
// current), by the team each install reports.
func BuildPreview(next, cur Document, current int64, installs []InstallRecord) Preview {
	p := Preview{Version: current + 1, Current: current, Groups: []PreviewGroup{}, Installs: len(installs),
		DefaultsChanged: !slices.Equal(sorted(next.Defaults), sorted(cur.Defaults))}
	teams := map[string]bool{"": true}
	for t := range next.Teams {
		teams[t] = true
	}
	for t := range cur.Teams {
		teams[t] = true
	}
	groups := map[string]*PreviewGroup{}
	for t := range teams {
		g := &PreviewGroup{Team: t, InstallIDs: []string{}, Settings: next.For(t), Changed: changedKeys(cur.For(t), next.For(t))}
		if current == 0 {
			g.Changed = g.Settings.Set()
		}
		groups[t] = g
	}
	for _, in := range installs {
		g := groups[in.Team]
		if g == nil {
			g = groups[""]
		}
		g.Installs++
		if len(g.InstallIDs) < 20 {
			g.InstallIDs = append(g.InstallIDs, in.ID)
		}
		if len(g.Changed) > 0 || p.DefaultsChanged {
			p.Changed++
		}
	}
	for _, g := range groups {
		p.Groups = append(p.Groups, *g)
	}
	sort.Slice(p.Groups, func(i, j int) bool { return p.Groups[i].Team < p.Groups[j].Team })
	return p
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func changedKeys(a, b Settings) []string {
	out := []string{}
	for _, k := range Keys {
		if !sameSetting(a, b, k) {
			out = append(out, k)
		}
	}
	return out
}

func sameSetting(a, b Settings, key string) bool {
	return string(Document{Settings: pick(a, key)}.Canonical()) == string(Document{Settings: pick(b, key)}.Canonical())
}

// pick is a layer setting only key, as s does.
func pick(s Settings, key string) Settings {
	var o Settings
	switch key {
	case KeyBanner:
		o.Banner = s.Banner
	case KeyLandingPage:
		o.LandingPage = s.LandingPage
	case KeyDefaultTeam:
		o.DefaultTeam = s.DefaultTeam
	case KeyFeatures:
		o.Features = s.Features
	case KeyMinAppVersion:
		o.MinAppVersion = s.MinAppVersion
	case KeySync:
		o.Sync = s.Sync
	case KeyLinks:
		o.Links = s.Links
	}
	return o
}
