package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/problem"
)

// Member is one developer of the identity source: their login, the teams they belong to and other names they sign
// in to Atrium with (an email, an SSO subject), whose usage counts for them.
type Member struct {
	Login   string   `json:"login"`
	Teams   []string `json:"teams,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
}

// Sources of the directory that are not a GitHub organisation ("github:ORG").
const (
	SourceUploaded = "uploaded" // a list an admin uploads (PUT /api/v1/kpi/developers, atrium kpi developers FILE)
	SourceDemo     = "demo"     // the demo catalog's developers
)

// MaxMembers bounds one source's snapshot.
const MaxMembers = 200_000

var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@+-]{0,199}$`)

// CheckMembers validates a snapshot, naming each bad entry ("developers/3/login").
func CheckMembers(ms []Member) problem.Problems {
	var ps problem.Problems
	if len(ms) > MaxMembers {
		ps.Add("developers", "%d developers; at most %d", len(ms), MaxMembers)
		return ps
	}
	seen := map[string]int{}
	for i, m := range ms {
		p := fmt.Sprintf("developers/%d/", i)
		login := strings.ToLower(strings.TrimSpace(m.Login))
		switch j, dup := seen[login]; {
		case !loginRE.MatchString(login):
			ps.Add(p+"login", "a login is letters, digits and . _ @ + -, at most 200 characters")
		case dup:
			ps.Add(p+"login", "%q is listed twice (also developers/%d)", login, j)
		default:
			seen[login] = i
		}
		if len(m.Teams) > 50 {
			ps.Add(p+"teams", "at most 50 teams")
		}
		for k, t := range m.Teams {
			if !loginRE.MatchString(strings.ToLower(t)) || len(t) > 63 {
				ps.Add(fmt.Sprintf("%steams/%d", p, k), "not a team name")
			}
		}
		if len(m.Aliases) > 20 {
			ps.Add(p+"aliases", "at most 20 aliases")
		}
		for k, a := range m.Aliases {
			if !loginRE.MatchString(strings.ToLower(strings.TrimSpace(a))) {
				ps.Add(fmt.Sprintf("%saliases/%d", p, k), "an alias is letters, digits and . _ @ + -, at most 200 characters")
			}
		}
	}
	return ps
}

// Directory is the list of all developers, by source: the KPI's denominator.
type Directory struct {
	DB  *sql.DB
	Now func() time.Time
}

// DirectoryChange is what replacing a source's snapshot did.
type DirectoryChange struct {
	Source     string `json:"source"`
	Developers int    `json:"developers"`
	Added      int    `json:"added"`
	Removed    int    `json:"removed"`
}

// Replace makes members the whole of source's snapshot, in one transaction: members new to it are added (as of
// now; on the source's first snapshot as members since before records began, so that the trend of weeks before
// the directory was first read has a denominator), members missing from it are marked removed as of now, and
// returning members are members again. Teams and aliases are replaced.
func (d *Directory) Replace(ctx context.Context, source string, members []Member) (DirectoryChange, error) {
	if ps := CheckMembers(members); len(ps) > 0 {
		return DirectoryChange{}, fmt.Errorf("invalid developer list: nothing was stored: %w", ps)
	}
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	at := now.UnixMilli()
	ch := DirectoryChange{Source: source, Developers: len(members)}
	tx, err := d.DB.BeginTx(ctx, nil)
	if err != nil {
		return ch, err
	}
	defer tx.Rollback()
	var known int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM developers WHERE source = ?`, source).Scan(&known); err != nil {
		return ch, err
	}
	since := at
	if known == 0 {
		since = 0
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS directory_snapshot (login TEXT PRIMARY KEY)`); err != nil {
		return ch, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM temp.directory_snapshot`); err != nil {
		return ch, err
	}
	for _, q := range []string{`DELETE FROM developer_teams WHERE source = ?`, `DELETE FROM developer_aliases WHERE source = ?`} {
		if _, err := tx.ExecContext(ctx, q, source); err != nil {
			return ch, err
		}
	}
	for _, m := range members {
		login := strings.ToLower(strings.TrimSpace(m.Login))
		if _, err := tx.ExecContext(ctx, `INSERT INTO temp.directory_snapshot(login) VALUES (?)`, login); err != nil {
			return ch, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO developers(source, login, added_at, removed_at) VALUES (?, ?, ?, 0)
			ON CONFLICT(source, login) DO UPDATE SET added_at = CASE WHEN removed_at != 0 THEN excluded.added_at ELSE added_at END,
			removed_at = 0 WHERE removed_at != 0`, source, login, since)
		if err != nil {
			return ch, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			ch.Added++
		}
		for _, t := range uniqueLower(m.Teams) {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO developer_teams(source, login, team) VALUES (?, ?, ?)`,
				source, login, t); err != nil {
				return ch, err
			}
		}
		for _, a := range uniqueLower(m.Aliases) {
			if a == login {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO developer_aliases(source, login, alias) VALUES (?, ?, ?)`,
				source, login, a); err != nil {
				return ch, err
			}
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE developers SET removed_at = ? WHERE source = ? AND removed_at = 0
		AND login NOT IN (SELECT login FROM temp.directory_snapshot)`, at, source)
	if err != nil {
		return ch, err
	}
	removed, _ := res.RowsAffected()
	ch.Removed = int(removed)
	if _, err := tx.ExecContext(ctx, `DELETE FROM temp.directory_snapshot`); err != nil {
		return ch, err
	}
	return ch, tx.Commit()
}

func uniqueLower(ss []string) []string {
	var out []string
	for _, s := range ss {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Developer is one developer in the directory now, with every source naming them.
type Developer struct {
	Login   string   `json:"login"`
	Teams   []string `json:"teams"`
	Aliases []string `json:"aliases"`
	Sources []string `json:"sources"`
}

// SourceCount is how many developers one source names now.
type SourceCount struct {
	Source     string `json:"source"`
	Developers int    `json:"developers"`
}

// DeveloperList is the directory now.
type DeveloperList struct {
	Sources []SourceCount `json:"sources"`
	Items   []Developer   `json:"items"`
}

// List reads the developers who are members now, by login.
func (d *Directory) List(ctx context.Context) (DeveloperList, error) {
	out := DeveloperList{Sources: []SourceCount{}, Items: []Developer{}}
	rows, err := d.DB.QueryContext(ctx, `SELECT source, login FROM developers WHERE removed_at = 0 ORDER BY login, source`)
	if err != nil {
		return out, err
	}
	counts := map[string]int{}
	for rows.Next() {
		var src, login string
		if err := rows.Scan(&src, &login); err != nil {
			rows.Close()
			return out, err
		}
		counts[src]++
		if n := len(out.Items); n == 0 || out.Items[n-1].Login != login {
			out.Items = append(out.Items, Developer{Login: login, Teams: []string{}, Aliases: []string{}, Sources: []string{}})
		}
		dv := &out.Items[len(out.Items)-1]
		dv.Sources = append(dv.Sources, src)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	byLogin := make(map[string]*Developer, len(out.Items))
	for i := range out.Items {
		byLogin[out.Items[i].Login] = &out.Items[i]
	}
	if err := d.each(ctx, `SELECT t.login, t.team FROM developer_teams t JOIN developers d ON d.source = t.source
		AND d.login = t.login AND d.removed_at = 0 ORDER BY t.team`, func(login, v string) {
		if dv := byLogin[login]; dv != nil && !slices.Contains(dv.Teams, v) {
			dv.Teams = append(dv.Teams, v)
		}
	}); err != nil {
		return out, err
	}
	if err := d.each(ctx, `SELECT a.login, a.alias FROM developer_aliases a JOIN developers d ON d.source = a.source
		AND d.login = a.login AND d.removed_at = 0 ORDER BY a.alias`, func(login, v string) {
		if dv := byLogin[login]; dv != nil && !slices.Contains(dv.Aliases, v) {
			dv.Aliases = append(dv.Aliases, v)
		}
	}); err != nil {
		return out, err
	}
	for src, n := range counts {
		out.Sources = append(out.Sources, SourceCount{Source: src, Developers: n})
	}
	sort.Slice(out.Sources, func(i, j int) bool { return out.Sources[i].Source < out.Sources[j].Source })
	return out, nil
}

func (d *Directory) each(ctx context.Context, q string, fn func(login, v string)) error {
	rows, err := d.DB.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var login, v string
		if err := rows.Scan(&login, &v); err != nil {
			return err
		}
		fn(login, v)
	}
	return rows.Err()
}
