package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/catalog"
)

// KindSecret is a secret's metadata in the change feed (catalog.Secret; never a value).
const KindSecret = "secret"

// The secrets table holds each secret's metadata as one document; the secrets domain (internal/secrets) decides
// what goes in it, the store keeps it and feeds it to replicas.

// SecretQuery filters ListSecrets; empty fields match everything.
type SecretQuery struct {
	Service string
	Team    string
}

// ListSecrets lists secrets' metadata by id.
func (d *DB) ListSecrets(ctx context.Context, q SecretQuery) ([]catalog.Secret, error) {
	var where []string
	var args []any
	if q.Service != "" {
		where, args = append(where, "service = ?"), append(args, q.Service)
	}
	if q.Team != "" {
		where, args = append(where, "team = ?"), append(args, q.Team)
	}
	query := `SELECT doc FROM secrets`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := d.sql.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	out := []catalog.Secret{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		s, err := parseSecret(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func parseSecret(doc string) (catalog.Secret, error) {
	var s catalog.Secret
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return s, fmt.Errorf("secret document: %w", err)
	}
	s.Normalize()
	return s, nil
}

// GetSecret reads one secret's metadata; catalog.ErrNotFound when there is none.
func (d *DB) GetSecret(ctx context.Context, id string) (catalog.Secret, error) {
	return getSecret(ctx, d.sql, id)
}

func getSecret(ctx context.Context, q querier, id string) (catalog.Secret, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM secrets WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Secret{}, fmt.Errorf("secret %q: %w", id, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Secret{}, err
	}
	return parseSecret(doc)
}

// UpdateSecret changes the metadata of secret id in one transaction: fn gets the secret as stored (exists false
// and a zero secret when there is none) and changes it in place; it returns false to delete the secret. The feed
// advances only when the document changed. fn's error aborts without writing.
func (d *DB) UpdateSecret(ctx context.Context, id string, fn func(s *catalog.Secret, exists bool) (keep bool, err error)) (catalog.Secret, error) {
	var out catalog.Secret
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var old string
		err := tx.QueryRowContext(ctx, `SELECT doc FROM secrets WHERE id = ?`, id).Scan(&old)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		var s catalog.Secret
		if exists {
			if s, err = parseSecret(old); err != nil {
				return 0, err
			}
		}
		keep, err := fn(&s, exists)
		if err != nil {
			return 0, err
		}
		if !keep {
			out = catalog.Secret{}
			if !exists {
				return 0, nil
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE id = ?`, id); err != nil {
				return 0, err
			}
			return 1, bump(KindSecret, id, true)
		}
		s.ID = id
		s.Normalize()
		changed, err := putSecret(ctx, tx, s, old, bump)
		out = s
		if changed {
			return 1, err
		}
		return 0, err
	})
	return out, err
}

// putSecret writes s unless its document equals old (UpdatedAt aside), and advances the feed when it did.
func putSecret(ctx context.Context, tx *sql.Tx, s catalog.Secret, old string, bump bumper) (bool, error) {
	if old != "" {
		if prev, err := parseSecret(old); err == nil {
			prev.UpdatedAt = s.UpdatedAt // when it changed is no change by itself
			a, _ := json.Marshal(prev)
			b, _ := json.Marshal(s)
			if string(a) == string(b) {
				return false, nil
			}
		}
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO secrets(id, service, team, name, doc) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET service = excluded.service, team = excluded.team, name = excluded.name,
		doc = excluded.doc`, s.ID, s.Service, s.Team, s.Name, string(doc)); err != nil {
		return false, fmt.Errorf("store secret %s: %w", s.ID, err)
	}
	return true, bump(KindSecret, s.ID, false)
}

// applySecret writes a secret received from a portal's feed into this (replica) database.
func applySecret(ctx context.Context, tx *sql.Tx, s catalog.Secret, bump bumper) error {
	var old string
	if err := tx.QueryRowContext(ctx, `SELECT doc FROM secrets WHERE id = ?`, s.ID).Scan(&old); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return err
	}
	s.Normalize()
	_, err := putSecret(ctx, tx, s, old, bump)
	return err
}

func deleteSecretRow(ctx context.Context, tx *sql.Tx, id string, bump bumper) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE id = ?`, id); err != nil {
		return err
	}
	return bump(KindSecret, id, true)
}
