package github

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// repoMeta is what the collector takes from a repository listing (or a webhook payload).
type repoMeta struct {
	ID            int64
	Owner, Name   string
	URL           string
	DefaultBranch string
	Description   string
	Language      string
	Topics        []string
	Archived      bool
	PushedAt      string // RFC 3339, UTC
}

func (m repoMeta) fullName() string { return m.Owner + "/" + m.Name }

func metaFromRepo(r *gh.Repository) repoMeta {
	m := repoMeta{ID: r.GetID(), Owner: r.GetOwner().GetLogin(), Name: r.GetName(), URL: r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(), Description: r.GetDescription(), Language: r.GetLanguage(),
		Topics: r.Topics, Archived: r.GetArchived()}
	if r.PushedAt != nil {
		m.PushedAt = r.PushedAt.UTC().Format(time.RFC3339)
	}
	return m
}

func metaFromPush(r *gh.PushEventRepository) repoMeta {
	m := repoMeta{ID: r.GetID(), Owner: r.GetOwner().GetLogin(), Name: r.GetName(), URL: r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(), Description: r.GetDescription(), Language: r.GetLanguage(),
		Topics: r.Topics, Archived: r.GetArchived()}
	if m.Owner == "" {
		m.Owner, _, _ = strings.Cut(r.GetFullName(), "/")
	}
	if m.DefaultBranch == "" {
		m.DefaultBranch = r.GetMasterBranch()
	}
	if r.PushedAt != nil {
		m.PushedAt = r.PushedAt.UTC().Format(time.RFC3339)
	}
	return m
}

// hash fingerprints what the services take from the repository's metadata; a change means re-parse, no fetch.
func (m repoMeta) hash() string {
	b, _ := json.Marshal([]any{m.Name, m.URL, m.Description, m.Language, m.Topics})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// fileRef is a wanted file of a repository's tree.
type fileRef struct {
	SHA  string `json:"sha"`
	Size int    `json:"size"`
}

// repoRow is what the collector remembers of one repository.
type repoRow struct {
	ID            int64
	FullName      string
	DefaultBranch string
	PushedAt      string
	Head          string
	MetaHash      string
	Files         map[string]fileRef
	Notes         problem.Problems
	Services      []catalog.Service
	Error         string
	ErrorAt       time.Time
	// Tree is what the repository facts take from the tree at Head (nil: not read since the facts existed);
	// Protection is the default branch's protection as last read (nil: unknown).
	Tree         *catalog.RepoTree
	Protection   *catalog.BranchProtection
	ProtectionAt time.Time
	// Extra fingerprints the extra directories (Config.Extra) the files were chosen with.
	Extra string
}

func (c *Collector) loadRows(ctx context.Context) (map[int64]*repoRow, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id, full_name, default_branch, pushed_at, head, meta_hash, files, notes,
		services, error, error_at, tree, protection, protection_at, extra FROM github_repos WHERE source = ?`, c.source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]*repoRow{}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out[r.ID] = r
	}
	return out, rows.Err()
}

func (c *Collector) loadRow(ctx context.Context, id int64) (*repoRow, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id, full_name, default_branch, pushed_at, head, meta_hash, files, notes,
		services, error, error_at, tree, protection, protection_at, extra FROM github_repos WHERE source = ? AND id = ?`, c.source, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	return scanRow(rows)
}

func scanRow(rows *sql.Rows) (*repoRow, error) {
	var r repoRow
	var files, notes, svcs, tree, protection string
	var errAt, protAt int64
	if err := rows.Scan(&r.ID, &r.FullName, &r.DefaultBranch, &r.PushedAt, &r.Head, &r.MetaHash, &files, &notes, &svcs,
		&r.Error, &errAt, &tree, &protection, &protAt, &r.Extra); err != nil {
		return nil, err
	}
	if protAt > 0 {
		r.ProtectionAt = time.UnixMilli(protAt).UTC()
	}
	if tree != "" {
		r.Tree = &catalog.RepoTree{}
		if json.Unmarshal([]byte(tree), r.Tree) != nil {
			r.Tree = nil
		}
	}
	if protection != "" {
		r.Protection = &catalog.BranchProtection{}
		if json.Unmarshal([]byte(protection), r.Protection) != nil {
			r.Protection = nil
		}
	}
	_ = json.Unmarshal([]byte(files), &r.Files)
	_ = json.Unmarshal([]byte(notes), &r.Notes)
	_ = json.Unmarshal([]byte(svcs), &r.Services)
	if errAt > 0 {
		r.ErrorAt = time.UnixMilli(errAt).UTC()
	}
	return &r, nil
}

func (c *Collector) saveRow(ctx context.Context, r *repoRow) error {
	files, _ := json.Marshal(r.Files)
	notes, _ := json.Marshal(r.Notes)
	svcs, _ := json.Marshal(r.Services)
	tree, protection := "", ""
	if r.Tree != nil {
		b, _ := json.Marshal(r.Tree)
		tree = string(b)
	}
	if r.Protection != nil {
		b, _ := json.Marshal(r.Protection)
		protection = string(b)
	}
	var errAt int64
	if !r.ErrorAt.IsZero() {
		errAt = r.ErrorAt.UnixMilli()
	}
	_, err := c.db.ExecContext(ctx, `INSERT INTO github_repos(source, id, full_name, default_branch, pushed_at, head,
		meta_hash, files, notes, services, error, error_at, synced_at, tree, protection, protection_at, extra)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(source, id) DO UPDATE SET full_name = excluded.full_name, default_branch = excluded.default_branch,
		pushed_at = excluded.pushed_at, head = excluded.head, meta_hash = excluded.meta_hash, files = excluded.files,
		notes = excluded.notes, services = excluded.services, error = excluded.error, error_at = excluded.error_at,
		synced_at = excluded.synced_at, tree = excluded.tree, protection = excluded.protection,
		protection_at = excluded.protection_at, extra = excluded.extra`,
		c.source, r.ID, r.FullName, r.DefaultBranch, r.PushedAt, r.Head, r.MetaHash, string(files), string(notes),
		string(svcs), r.Error, errAt, time.Now().UnixMilli(), tree, protection, unixMilli(r.ProtectionAt), r.Extra)
	return err
}

func (c *Collector) setRowError(ctx context.Context, id int64, msg string) error {
	_, err := c.db.ExecContext(ctx, `UPDATE github_repos SET error = ?, error_at = ? WHERE source = ? AND id = ?`,
		msg, time.Now().UnixMilli(), c.source, id)
	return err
}

func (c *Collector) deleteRows(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := c.db.ExecContext(ctx, `DELETE FROM github_repos WHERE source = ? AND id = ?`, c.source, id); err != nil {
			return err
		}
	}
	return nil
}

// blobsFromStore reads the cached contents of the given SHAs.
func blobsFromStore(ctx context.Context, db *sql.DB, shas []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for len(shas) > 0 {
		n := min(len(shas), store.MaxListValues)
		var args []any
		in, err := store.In("sha", shas[:n], &args)
		if err != nil {
			return nil, err
		}
		rows, err := db.QueryContext(ctx, `SELECT sha, content FROM github_blobs WHERE `+in, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var sha string
			var b []byte
			if err := rows.Scan(&sha, &b); err != nil {
				rows.Close()
				return nil, err
			}
			out[sha] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		shas = shas[n:]
	}
	return out, nil
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
