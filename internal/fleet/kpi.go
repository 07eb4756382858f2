package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"time"
)

// KPI computes the adoption KPI from usage events and the directory, in SQL.
type KPI struct {
	DB  *sql.DB
	Now func() time.Time
}

// Week is one point of the weekly-active trend: the seven days from Week to End (UTC days, both included), the
// developers active in them, all developers (members of the directory at the end of the week) and the percentage.
type Week struct {
	Week       string  `json:"week"`
	End        string  `json:"end"`
	Active     int     `json:"active"`
	Developers int     `json:"developers"`
	Percent    float64 `json:"percent"`
}

// TeamAdoption is the last seven days for one team's developers.
type TeamAdoption struct {
	Team       string  `json:"team"`
	Active     int     `json:"active"`
	Developers int     `json:"developers"`
	Percent    float64 `json:"percent"`
}

// FeatureAdoption is how many of the developers active in the last seven days used a feature, and what share of
// them that is.
type FeatureAdoption struct {
	Feature string  `json:"feature"`
	Active  int     `json:"active"`
	Percent float64 `json:"percent"`
	Events  int     `json:"events"`
}

// Adoption is the adoption KPI: weekly active developers as a percentage of all developers, its trend, by team and
// by feature.
type Adoption struct {
	// AsOf is the last day counted (today, UTC).
	AsOf string `json:"as_of"`
	// Weeks are the trend, oldest first; the last is the past seven days: the KPI.
	Weeks    []Week            `json:"weeks"`
	Teams    []TeamAdoption    `json:"teams"`
	Features []FeatureAdoption `json:"features"`
	// OtherActive counts people active in the last seven days who are not in the directory (admins' tokens,
	// service accounts, people who left): not in the KPI, shown so that nothing is hidden.
	OtherActive int `json:"other_active"`
	// Sources are where the directory comes from, with how many developers each names now.
	Sources []SourceCount `json:"sources"`
}

// MaxWeeks bounds the trend.
const MaxWeeks = 104

// members is every identity usage may carry (a login or an alias) with its login and membership span, as a CTE.
const membersCTE = `m(id, login, added, removed) AS MATERIALIZED (
		SELECT login, login, added_at, removed_at FROM developers
		UNION ALL
		SELECT a.alias, a.login, d.added_at, d.removed_at FROM developer_aliases a
			JOIN developers d ON d.source = a.source AND d.login = a.login)`

// memberAt is the condition that m's row is a member at the unix millisecond ?e.
const memberAt = `m.added <= %[1]s AND (m.removed = 0 OR m.removed > %[1]s)`

// Adoption computes the KPI over the last weeks weeks (1 to MaxWeeks), ending today.
func (k *KPI) Adoption(ctx context.Context, weeks int) (Adoption, error) {
	if weeks < 1 || weeks > MaxWeeks {
		return Adoption{}, fmt.Errorf("weeks must be 1 to %d", MaxWeeks)
	}
	now := time.Now().UTC()
	if k.Now != nil {
		now = k.Now().UTC()
	}
	today := Day(now)
	a := Adoption{AsOf: today, Weeks: make([]Week, weeks), Teams: []TeamAdoption{}, Features: []FeatureAdoption{},
		Sources: []SourceCount{}}
	for i := range a.Weeks {
		end := now.AddDate(0, 0, -7*(weeks-1-i))
		a.Weeks[i] = Week{Week: Day(end.AddDate(0, 0, -6)), End: Day(end)}
	}
	// One pass for every week: the windows as a CTE, developers at each window's end, and the distinct members
	// active in each window (usage_active holds one row per person and day). CROSS JOIN fixes the join order
	// SQLite would otherwise get wrong: each window's days read by the primary key, each person looked up among the
	// members (an automatic index on the small CTE), not an index over all usage built for every query.
	endMS := `((unixepoch(w.e) + 86400) * 1000)`
	q := `WITH RECURSIVE w(i, s, e) AS (
			SELECT 0, date(?1, '-6 days'), ?1
			UNION ALL SELECT i + 1, date(s, '-7 days'), date(e, '-7 days') FROM w WHERE i + 1 < ?2),
		` + membersCTE + `,
		devs AS (SELECT w.i, COUNT(DISTINCT m.login) AS n FROM w JOIN m ON m.id = m.login AND ` +
		fmt.Sprintf(memberAt, endMS) + ` GROUP BY w.i),
		act AS (SELECT w.i, COUNT(DISTINCT m.login) AS n FROM w CROSS JOIN usage_active u ON u.day BETWEEN w.s AND w.e
			CROSS JOIN m ON m.id = u.user AND ` + fmt.Sprintf(memberAt, endMS) + ` GROUP BY w.i)
		SELECT w.i, COALESCE(devs.n, 0), COALESCE(act.n, 0) FROM w LEFT JOIN devs ON devs.i = w.i
			LEFT JOIN act ON act.i = w.i`
	rows, err := k.DB.QueryContext(ctx, q, today, weeks)
	if err != nil {
		return a, err
	}
	for rows.Next() {
		var i, devs, act int
		if err := rows.Scan(&i, &devs, &act); err != nil {
			rows.Close()
			return a, err
		}
		if i >= 0 && i < weeks {
			wk := &a.Weeks[weeks-1-i]
			wk.Developers, wk.Active, wk.Percent = devs, act, percent(act, devs)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, err
	}
	last := a.Weeks[weeks-1]
	if err := k.teams(ctx, &a, last); err != nil {
		return a, err
	}
	if err := k.features(ctx, &a, last); err != nil {
		return a, err
	}
	err = k.DB.QueryRowContext(ctx, `WITH `+membersCTE+` SELECT COUNT(DISTINCT u.user) FROM usage_active u
		WHERE u.day BETWEEN ?1 AND ?2 AND u.user NOT IN (SELECT m.id FROM m WHERE `+fmt.Sprintf(memberAt, "?3")+`)`,
		last.Week, last.End, endOfDayMS(last.End)).Scan(&a.OtherActive)
	if err != nil {
		return a, err
	}
	list, err := (&Directory{DB: k.DB}).sources(ctx)
	a.Sources = list
	return a, err
}

func endOfDayMS(day string) int64 {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0
	}
	return t.AddDate(0, 0, 1).UnixMilli()
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(1000*float64(n)/float64(of)) / 10
}

// teams fills the last week by team: developers by the teams the directory gives them.
func (k *KPI) teams(ctx context.Context, a *Adoption, w Week) error {
	end := endOfDayMS(w.End)
	rows, err := k.DB.QueryContext(ctx, `WITH `+membersCTE+`,
		team(team, login) AS (SELECT DISTINCT t.team, t.login FROM developer_teams t
			JOIN developers d ON d.source = t.source AND d.login = t.login
			WHERE d.added_at <= ?3 AND (d.removed_at = 0 OR d.removed_at > ?3)),
		act(login) AS (SELECT DISTINCT m.login FROM usage_active u CROSS JOIN m ON m.id = u.user AND `+
		fmt.Sprintf(memberAt, "?3")+` WHERE u.day BETWEEN ?1 AND ?2)
		SELECT team.team, COUNT(*), COUNT(act.login) FROM team LEFT JOIN act ON act.login = team.login
		GROUP BY team.team ORDER BY team.team`, w.Week, w.End, end)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t TeamAdoption
		if err := rows.Scan(&t.Team, &t.Developers, &t.Active); err != nil {
			return err
		}
		t.Percent = percent(t.Active, t.Developers)
		a.Teams = append(a.Teams, t)
	}
	return rows.Err()
}

// features fills which features the developers active in the last week used.
func (k *KPI) features(ctx context.Context, a *Adoption, w Week) error {
	rows, err := k.DB.QueryContext(ctx, `WITH `+membersCTE+`
		SELECT u.feature, COUNT(DISTINCT m.login), SUM(u.count) FROM usage_events u
			CROSS JOIN m ON m.id = u.user AND `+fmt.Sprintf(memberAt, "?3")+`
		WHERE u.day BETWEEN ?1 AND ?2 GROUP BY u.feature`, w.Week, w.End, endOfDayMS(w.End))
	if err != nil {
		return err
	}
	defer rows.Close()
	got := map[string]FeatureAdoption{}
	for rows.Next() {
		var f FeatureAdoption
		if err := rows.Scan(&f.Feature, &f.Active, &f.Events); err != nil {
			return err
		}
		got[f.Feature] = f
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range Features {
		f := got[name]
		f.Feature = name
		f.Percent = percent(f.Active, w.Active)
		a.Features = append(a.Features, f)
	}
	sort.SliceStable(a.Features, func(i, j int) bool { return a.Features[i].Active > a.Features[j].Active })
	return nil
}

// sources counts each source's developers now.
func (d *Directory) sources(ctx context.Context) ([]SourceCount, error) {
	rows, err := d.DB.QueryContext(ctx, `SELECT source, COUNT(*) FROM developers WHERE removed_at = 0
		GROUP BY source ORDER BY source`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SourceCount{}
	for rows.Next() {
		var s SourceCount
		if err := rows.Scan(&s.Source, &s.Developers); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
