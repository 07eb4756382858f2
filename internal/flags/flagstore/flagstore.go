// Package flagstore keeps flag sets in the portal's SQLite database (tables flag_sets, flags and flag_history of
// migration 0005): one set per environment, every change in one transaction with its history row and a new ETag.
package flagstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/problem"
)

// Errors of the store. Validation failures wrap flags.ErrInvalid and carry problem.Problems.
var (
	ErrNotFound = errors.New("flag not found")
	ErrConflict = errors.New("flag changed since it was read")
)

// Store reads and writes flags in a store database.
type Store struct {
	DB  *sql.DB
	Now func() time.Time // nil: time.Now
	// InTx, when set, runs inside every change's transaction after the change is written (to record it in the
	// audit log atomically with it, e.g. with audit.RecordTx); an error rolls the change back.
	InTx func(ctx context.Context, tx *sql.Tx, c flags.Change) error

	gen atomic.Uint64 // bumped after every committed change, for in-process caches
}

// Generation changes after every change this Store commits; caches compare it to know when to reload.
func (s *Store) Generation() uint64 { return s.gen.Load() }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Record is a stored flag.
type Record struct {
	Environment string          `json:"environment"`
	Key         string          `json:"key"`
	Team        string          `json:"team"`
	Owner       string          `json:"owner"`
	Definition  json.RawMessage `json:"definition"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	UpdatedBy   string          `json:"updated_by"`
}

// Flag decodes the record's definition.
func (r Record) Flag() *flags.Flag {
	f, _ := flags.ParseFlag(r.Definition)
	return f
}

// Entry is one change in a flag's history.
type Entry struct {
	ID          int64           `json:"id"`
	Environment string          `json:"environment"`
	Key         string          `json:"key"`
	Version     int             `json:"version"`
	Action      string          `json:"action"` // create, update, delete, import
	Team        string          `json:"team"`
	Actor       string          `json:"actor"`
	At          time.Time       `json:"at"`
	Comment     string          `json:"comment"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
}

// Set is an environment's flag set as stored.
type Set struct {
	Environment string
	ETag        string
	UpdatedAt   time.Time
	File        *flags.File
}

// Filter selects flags for List.
type Filter struct {
	Environment string // "" = all
	Team        string // "" = all
}

const recordColumns = `environment, key, team, owner, definition, version, created_at, updated_at, updated_by`

func scanRecord(sc interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var def string
	var created, updated int64
	if err := sc.Scan(&r.Environment, &r.Key, &r.Team, &r.Owner, &def, &r.Version, &created, &updated,
		&r.UpdatedBy); err != nil {
		return r, err
	}
	r.Definition = json.RawMessage(def)
	r.CreatedAt, r.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, nil
}

// Get reads one flag; ErrNotFound when the environment has no such flag.
func (s *Store) Get(ctx context.Context, env, key string) (Record, error) {
	r, err := scanRecord(s.DB.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM flags WHERE environment = ? AND key = ?`,
		env, key))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: no flag %q in %s", ErrNotFound, key, env)
	}
	return r, err
}

// List reads flags, ordered by environment and key.
func (s *Store) List(ctx context.Context, f Filter) ([]Record, error) {
	q := `SELECT ` + recordColumns + ` FROM flags WHERE (? = '' OR environment = ?) AND (? = '' OR team = ?)
		ORDER BY environment, key`
	rows, err := s.DB.QueryContext(ctx, q, f.Environment, f.Environment, f.Team, f.Team)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// History lists a flag's changes, newest first (at most limit; 0 = all), including those before it was deleted.
func (s *Store) History(ctx context.Context, env, key string, limit int) ([]Entry, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id, environment, key, version, action, team, actor, at, comment,
		before, after FROM flag_history WHERE environment = ? AND key = ? ORDER BY id DESC LIMIT ?`, env, key, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &e.Environment, &e.Key, &e.Version, &e.Action, &e.Team, &e.Actor, &at,
			&e.Comment, &before, &after); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ETag is the current ETag of an environment's flag set (that of an empty set when it has never been written).
func (s *Store) ETag(ctx context.Context, env string) (string, error) {
	var etag string
	err := s.DB.QueryRowContext(ctx, `SELECT etag FROM flag_sets WHERE environment = ?`, env).Scan(&etag)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && etag == "") {
		return computeETag(env, "", nil, nil, nil), nil
	}
	return etag, err
}

// Load reads an environment's whole flag set as a flagd file.
func (s *Store) Load(ctx context.Context, env string) (Set, error) {
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Set{}, err
	}
	defer tx.Rollback()
	return load(ctx, tx, env)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func load(ctx context.Context, q querier, env string) (Set, error) {
	set := Set{Environment: env, File: &flags.File{Flags: map[string]*flags.Flag{}}}
	var schema, evaluators, metadata string
	var updated int64
	err := q.QueryRowContext(ctx, `SELECT schema_url, evaluators, metadata, etag, updated_at FROM flag_sets
		WHERE environment = ?`, env).Scan(&schema, &evaluators, &metadata, &set.ETag, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		set.ETag = computeETag(env, "", nil, nil, nil)
		return set, nil
	case err != nil:
		return set, err
	}
	set.UpdatedAt = time.UnixMilli(updated).UTC()
	set.File.Schema = schema
	if err := json.Unmarshal([]byte(evaluators), &set.File.Evaluators); err != nil {
		return set, fmt.Errorf("flag set %s: stored $evaluators: %w", env, err)
	}
	if len(set.File.Evaluators) == 0 {
		set.File.Evaluators = nil
	}
	if err := json.Unmarshal([]byte(metadata), &set.File.Metadata); err != nil {
		return set, fmt.Errorf("flag set %s: stored metadata: %w", env, err)
	}
	if len(set.File.Metadata) == 0 {
		set.File.Metadata = nil
	}
	rows, err := q.QueryContext(ctx, `SELECT key, definition FROM flags WHERE environment = ?`, env)
	if err != nil {
		return set, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, def string
		if err := rows.Scan(&key, &def); err != nil {
			return set, err
		}
		f, err := flags.ParseFlag([]byte(def))
		if err != nil {
			return set, fmt.Errorf("flag %s in %s: stored definition: %w", key, env, err)
		}
		set.File.Flags[key] = f
	}
	return set, rows.Err()
}

// computeETag hashes everything an evaluation depends on, so equal sets have equal ETags.
func computeETag(env, schema string, evaluators map[string]json.RawMessage, metadata map[string]any,
	defs map[string][]byte) string {
	h := sha256.New()
	ev, _ := json.Marshal(canonicalRaw(evaluators))
	md, _ := json.Marshal(metadata)
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", env, schema, ev, md)
	keys := make([]string, 0, len(defs))
	for k := range defs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\x00", k, defs[k])
	}
	return `"` + hex.EncodeToString(h.Sum(nil))[:32] + `"`
}

func canonicalRaw(m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		var x any
		_ = json.Unmarshal(v, &x)
		out[k] = x
	}
	return out
}

// Apply applies a change in one transaction: the flags, a history row per changed flag and the set's new ETag.
// An invalid definition wraps flags.ErrInvalid (with problem.Problems) and changes nothing.
func (s *Store) Apply(ctx context.Context, c flags.Change) error {
	if c.Environment == "" {
		return fmt.Errorf("%w: no environment", flags.ErrInvalid)
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	set, err := load(ctx, tx, c.Environment)
	if err != nil {
		return err
	}
	if c.Base != nil {
		if err := checkBase(ctx, tx, c); err != nil {
			done, herr := holds(ctx, tx, set, c)
			if herr != nil {
				return herr
			}
			if !done {
				return err
			}
			// Already as the change asks (it was applied before a crash, or someone made the same change):
			// nothing is overwritten, so there is nothing to refuse and nothing to do.
			return nil
		}
	}
	c.At = s.now()
	now := c.At.UnixMilli()
	switch c.Action {
	case flags.ActionPut:
		err = s.put(ctx, tx, set, c, now)
	case flags.ActionDelete:
		err = s.remove(ctx, tx, c, now)
	case flags.ActionImport:
		err = s.importFile(ctx, tx, set, c, now)
	default:
		err = fmt.Errorf("%w: unknown action %q", flags.ErrInvalid, c.Action)
	}
	if err != nil {
		return err
	}
	if err := updateETag(ctx, tx, c.Environment, c.Actor, now); err != nil {
		return err
	}
	if s.InTx != nil {
		if err := s.InTx(ctx, tx, c); err != nil {
			return fmt.Errorf("flag change not applied: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.gen.Add(1)
	return nil
}

func (s *Store) put(ctx context.Context, tx *sql.Tx, set Set, c flags.Change, now int64) error {
	if c.Flag == nil {
		return flags.Invalid(problem.Problems{problem.At("/flag", "missing: the flag's flagd definition")})
	}
	// Checked against the whole set: its evaluators, and its size with this flag (flags.MaxNodes).
	if ps := flags.ValidateFlagIn(c.Key, c.Flag, set.File); len(ps) > 0 {
		return flags.Invalid(ps)
	}
	def := string(c.Flag.Canonical())
	old, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM flags WHERE environment = ? AND key = ?`,
		c.Environment, c.Key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if c.IfVersion != 0 {
			return fmt.Errorf("%w: flag %q does not exist in %s (expected version %d)", ErrConflict, c.Key,
				c.Environment, c.IfVersion)
		}
		v, err := firstVersion(ctx, tx, c.Environment, c.Key)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO flags(`+recordColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Environment, c.Key, c.Team, c.Owner, def, v, now, now, c.Actor); err != nil {
			return err
		}
		return history(ctx, tx, c.Environment, c.Key, v, "create", c.Team, c.Actor, c.Comment, now, nil, &def)
	case err != nil:
		return err
	}
	if c.CreateOnly {
		return fmt.Errorf("%w: flag %q already exists in %s (version %d); edit it instead", ErrConflict, c.Key,
			c.Environment, old.Version)
	}
	if c.IfVersion != 0 && c.IfVersion != old.Version {
		return fmt.Errorf("%w: flag %q in %s is at version %d, not %d; reload it and apply your change again",
			ErrConflict, c.Key, c.Environment, old.Version, c.IfVersion)
	}
	if string(old.Definition) == def && old.Team == c.Team && old.Owner == c.Owner {
		return nil // nothing changed: no new version, no history
	}
	v := old.Version + 1
	if _, err := tx.ExecContext(ctx, `UPDATE flags SET team = ?, owner = ?, definition = ?, version = ?, updated_at = ?,
		updated_by = ? WHERE environment = ? AND key = ?`, c.Team, c.Owner, def, v, now, c.Actor, c.Environment,
		c.Key); err != nil {
		return err
	}
	before := string(old.Definition)
	return history(ctx, tx, c.Environment, c.Key, v, "update", c.Team, c.Actor, c.Comment, now, &before, &def)
}

func (s *Store) remove(ctx context.Context, tx *sql.Tx, c flags.Change, now int64) error {
	old, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM flags WHERE environment = ? AND key = ?`,
		c.Environment, c.Key))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: no flag %q in %s", ErrNotFound, c.Key, c.Environment)
	}
	if err != nil {
		return err
	}
	if c.IfVersion != 0 && c.IfVersion != old.Version {
		return fmt.Errorf("%w: flag %q in %s is at version %d, not %d", ErrConflict, c.Key, c.Environment,
			old.Version, c.IfVersion)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM flags WHERE environment = ? AND key = ?`, c.Environment, c.Key); err != nil {
		return err
	}
	before := string(old.Definition)
	return history(ctx, tx, c.Environment, c.Key, old.Version, "delete", old.Team, c.Actor, c.Comment, now, &before, nil)
}

func (s *Store) importFile(ctx context.Context, tx *sql.Tx, set Set, c flags.Change, now int64) error {
	if c.File == nil {
		return flags.Invalid(problem.Problems{problem.At("", "missing: the flag-definition file")})
	}
	if ps := flags.Validate(c.File); len(ps) > 0 {
		return flags.Invalid(ps)
	}
	existing := map[string]Record{}
	rows, err := tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM flags WHERE environment = ?`, c.Environment)
	if err != nil {
		return err
	}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return err
		}
		existing[r.Key] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for key, fl := range c.File.Flags {
		def := string(fl.Canonical())
		team, owner := metaString(fl, "team"), metaString(fl, "owner")
		old, ok := existing[key]
		delete(existing, key)
		if !ok {
			if team == "" {
				team = c.Team
			}
			v, err := firstVersion(ctx, tx, c.Environment, key)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO flags(`+recordColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.Environment, key, team, owner, def, v, now, now, c.Actor); err != nil {
				return err
			}
			if err := history(ctx, tx, c.Environment, key, v, "import", team, c.Actor, c.Comment, now, nil, &def); err != nil {
				return err
			}
			continue
		}
		if team == "" {
			team = old.Team
		}
		if owner == "" {
			owner = old.Owner
		}
		if string(old.Definition) == def && team == old.Team && owner == old.Owner {
			continue
		}
		v := old.Version + 1
		if _, err := tx.ExecContext(ctx, `UPDATE flags SET team = ?, owner = ?, definition = ?, version = ?,
			updated_at = ?, updated_by = ? WHERE environment = ? AND key = ?`, team, owner, def, v, now, c.Actor,
			c.Environment, key); err != nil {
			return err
		}
		before := string(old.Definition)
		if err := history(ctx, tx, c.Environment, key, v, "import", team, c.Actor, c.Comment, now, &before, &def); err != nil {
			return err
		}
	}
	for key, old := range existing {
		if _, err := tx.ExecContext(ctx, `DELETE FROM flags WHERE environment = ? AND key = ?`, c.Environment, key); err != nil {
			return err
		}
		before := string(old.Definition)
		if err := history(ctx, tx, c.Environment, key, old.Version, "import", old.Team, c.Actor, c.Comment, now,
			&before, nil); err != nil {
			return err
		}
	}
	ev, _ := json.Marshal(orEmpty(c.File.Evaluators))
	md, _ := json.Marshal(orEmptyAny(c.File.Metadata))
	_, err = tx.ExecContext(ctx, `INSERT INTO flag_sets(environment, schema_url, evaluators, metadata)
		VALUES (?, ?, ?, ?) ON CONFLICT(environment) DO UPDATE SET schema_url = excluded.schema_url,
		evaluators = excluded.evaluators, metadata = excluded.metadata`, c.Environment, c.File.Schema, string(ev),
		string(md))
	return err
}

func orEmpty(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return map[string]json.RawMessage{}
	}
	return m
}

func orEmptyAny(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func metaString(f *flags.Flag, key string) string {
	s, _ := f.Metadata[key].(string)
	return s
}

// firstVersion is the version a flag gets when it is created: 1, or, when a flag of that key existed before and
// was deleted, one more than its last version — so a version names one state of a flag, never two (see
// flags.FlagState), and a change pinned to a deleted flag cannot apply to its successor.
func firstVersion(ctx context.Context, tx *sql.Tx, env, key string) (int, error) {
	var last int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM flag_history WHERE environment = ? AND key = ?`,
		env, key).Scan(&last)
	return last + 1, err
}

// Base reads the state a change is made against (flags.Change.Base): flag key of env, or, when key is "", every
// flag of env and the set's ETag.
func (s *Store) Base(ctx context.Context, env, key string) (*flags.Base, error) {
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return readBase(ctx, tx, env, key)
}

func readBase(ctx context.Context, q querier, env, key string) (*flags.Base, error) {
	b := &flags.Base{}
	if key != "" {
		var st flags.FlagState
		err := q.QueryRowContext(ctx, `SELECT version, team FROM flags WHERE environment = ? AND key = ?`, env, key).
			Scan(&st.Version, &st.Team)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return b, nil
		case err != nil:
			return nil, err
		}
		b.Flag = &st
		return b, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT key, version, team FROM flags WHERE environment = ?`, env)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b.Flags = map[string]flags.FlagState{}
	for rows.Next() {
		var k string
		var st flags.FlagState
		if err := rows.Scan(&k, &st.Version, &st.Team); err != nil {
			return nil, err
		}
		b.Flags[k] = st
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = q.QueryRowContext(ctx, `SELECT etag FROM flag_sets WHERE environment = ?`, env).Scan(&b.ETag)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && b.ETag == "") {
		b.ETag, err = computeETag(env, "", nil, nil, nil), nil
	}
	return b, err
}

// checkBase fails with ErrConflict, saying what changed, when c's target is no longer in the state c.Base.
func checkBase(ctx context.Context, tx *sql.Tx, c flags.Change) error {
	key := c.Key
	if c.Action == flags.ActionImport {
		key = ""
	}
	now, err := readBase(ctx, tx, c.Environment, key)
	if err != nil {
		return err
	}
	if c.Action != flags.ActionImport {
		was, is := c.Base.Flag, now.Flag
		switch {
		case was == nil && is == nil:
			return nil
		case was == nil:
			return fmt.Errorf("%w: flag %q was created in %s (version %d, team %q) after this change was requested "+
				"against no flag; request it again", ErrConflict, c.Key, c.Environment, is.Version, is.Team)
		case is == nil:
			return fmt.Errorf("%w: flag %q was deleted from %s after this change was requested against version %d; "+
				"request it again", ErrConflict, c.Key, c.Environment, was.Version)
		case was.Version != is.Version:
			return fmt.Errorf("%w: flag %q in %s changed after this change was requested: version %d → %d%s; "+
				"request it again against the current version", ErrConflict, c.Key, c.Environment, was.Version,
				is.Version, teamChange(*was, *is))
		}
		return nil
	}
	var changes []string
	for _, k := range sortedKeys(c.Base.Flags, now.Flags) {
		was, inBase := c.Base.Flags[k]
		is, inNow := now.Flags[k]
		switch {
		case !inNow:
			changes = append(changes, fmt.Sprintf("%s deleted", k))
		case !inBase:
			changes = append(changes, fmt.Sprintf("%s created", k))
		case was.Version != is.Version:
			changes = append(changes, fmt.Sprintf("%s version %d → %d%s", k, was.Version, is.Version, teamChange(was, is)))
		}
	}
	if len(changes) == 0 && c.Base.ETag == now.ETag {
		return nil
	}
	if len(changes) == 0 {
		changes = append(changes, "its $evaluators or metadata changed")
	}
	if len(changes) > 5 {
		changes = append(changes[:5], fmt.Sprintf("and %d more", len(changes)-5))
	}
	return fmt.Errorf("%w: the flags of %s changed after this import was requested (%s); export them again and "+
		"import anew", ErrConflict, c.Environment, strings.Join(changes, "; "))
}

func teamChange(was, is flags.FlagState) string {
	if was.Team == is.Team {
		return ""
	}
	return fmt.Sprintf(", team %q → %q", was.Team, is.Team)
}

func sortedKeys(ms ...map[string]flags.FlagState) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// holds reports whether c's target is already in the state c asks for, so that applying it would change nothing.
func holds(ctx context.Context, tx *sql.Tx, set Set, c flags.Change) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM flags WHERE environment = ?`, c.Environment)
	if err != nil {
		return false, err
	}
	current := map[string]Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return false, err
		}
		current[r.Key] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	switch c.Action {
	case flags.ActionDelete:
		_, ok := current[c.Key]
		return !ok, nil
	case flags.ActionPut:
		r, ok := current[c.Key]
		return ok && c.Flag != nil && string(r.Definition) == string(c.Flag.Canonical()) && r.Team == c.Team &&
			r.Owner == c.Owner, nil
	case flags.ActionImport:
		if c.File == nil || len(current) != len(c.File.Flags) || set.File.Schema != c.File.Schema {
			return false, nil
		}
		for key, fl := range c.File.Flags {
			r, ok := current[key]
			team, owner := metaString(fl, "team"), metaString(fl, "owner")
			if !ok || string(r.Definition) != string(fl.Canonical()) || (team != "" && team != r.Team) ||
				(owner != "" && owner != r.Owner) {
				return false, nil
			}
		}
		a, _ := json.Marshal(canonicalRaw(set.File.Evaluators))
		b, _ := json.Marshal(canonicalRaw(c.File.Evaluators))
		am, _ := json.Marshal(orEmptyAny(set.File.Metadata))
		bm, _ := json.Marshal(orEmptyAny(c.File.Metadata))
		return string(a) == string(b) && string(am) == string(bm), nil
	}
	return false, nil
}

func history(ctx context.Context, tx *sql.Tx, env, key string, version int, action, team, actor, comment string,
	at int64, before, after *string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO flag_history(environment, key, version, action, team, actor, at,
		comment, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, env, key, version, action, team, actor, at,
		comment, before, after)
	return err
}

// updateETag recomputes the set's ETag from what the transaction now holds.
func updateETag(ctx context.Context, tx *sql.Tx, env, actor string, now int64) error {
	var schema, evaluators, metadata string
	err := tx.QueryRowContext(ctx, `SELECT schema_url, evaluators, metadata FROM flag_sets WHERE environment = ?`,
		env).Scan(&schema, &evaluators, &metadata)
	if errors.Is(err, sql.ErrNoRows) {
		schema, evaluators, metadata = "", "{}", "{}"
		err = nil
	}
	if err != nil {
		return err
	}
	var ev map[string]json.RawMessage
	var md map[string]any
	_ = json.Unmarshal([]byte(evaluators), &ev)
	_ = json.Unmarshal([]byte(metadata), &md)
	defs := map[string][]byte{}
	rows, err := tx.QueryContext(ctx, `SELECT key, definition FROM flags WHERE environment = ?`, env)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k, d string
		if err := rows.Scan(&k, &d); err != nil {
			rows.Close()
			return err
		}
		defs[k] = []byte(d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(ev) == 0 {
		ev = nil
	}
	if len(md) == 0 {
		md = nil
	}
	etag := computeETag(env, schema, ev, md, defs)
	_, err = tx.ExecContext(ctx, `INSERT INTO flag_sets(environment, etag, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT(environment) DO UPDATE SET etag = excluded.etag, updated_at = excluded.updated_at,
		updated_by = excluded.updated_by`, env, etag, now, actor)
	return err
}
