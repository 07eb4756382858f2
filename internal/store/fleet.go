package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// The fleet configuration's entity in the change feed: one, replaced by every version.
const (
	KindFleet     = "fleet"
	FleetConfigID = "config"
)

// ErrFleetConflict is returned by PushFleetConfig when the caller's base version is no longer the latest.
var ErrFleetConflict = errors.New("the fleet configuration changed since it was read")

// ErrNoFleetConfig is returned for a version of the fleet configuration that does not exist.
var ErrNoFleetConfig = errors.New("no such fleet configuration version")

// PushFleetConfig stores the next version of the fleet configuration and puts it in the change feed, in one
// transaction, so that every waiting replica is woken with it. sign is called inside the transaction with the
// version the configuration gets (one more than the latest) and returns it signed. When base is not negative it
// must be the latest version (0: none yet), else ErrFleetConflict and nothing is stored.
func (d *DB) PushFleetConfig(ctx context.Context, base int64, sign func(version int64) (catalog.FleetConfig, error)) (catalog.FleetConfig, error) {
	var out catalog.FleetConfig
	_, err := d.write(ctx, func(tx *sql.Tx, bump bumper) (int, error) {
		var latest int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM fleet_configs`).Scan(&latest); err != nil {
			return 0, err
		}
		if base >= 0 && base != latest {
			return 0, fmt.Errorf("%w: it is at version %d, not %d", ErrFleetConflict, latest, base)
		}
		c, err := sign(latest + 1)
		if err != nil {
			return 0, err
		}
		if c.Version != latest+1 {
			return 0, fmt.Errorf("fleet configuration signed as version %d, not %d", c.Version, latest+1)
		}
		if c.CreatedAt.IsZero() {
			c.CreatedAt = d.Now()
		}
		c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, `INSERT INTO fleet_configs(version, content, signature, key_id, created_at,
			created_by, note, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Version, c.Content, c.Signature, c.KeyID,
			c.CreatedAt.UnixMilli(), c.CreatedBy, c.Note, c.RollbackOf); err != nil {
			return 0, err
		}
		out = c
		return 1, bump(KindFleet, FleetConfigID, false)
	})
	return out, err
}

const fleetColumns = `version, content, signature, key_id, created_at, created_by, note, rollback_of`

func scanFleetConfig(sc interface{ Scan(...any) error }) (catalog.FleetConfig, error) {
	var c catalog.FleetConfig
	var at int64
	err := sc.Scan(&c.Version, &c.Content, &c.Signature, &c.KeyID, &at, &c.CreatedBy, &c.Note, &c.RollbackOf)
	c.CreatedAt = time.UnixMilli(at).UTC()
	return c, err
}

// LatestFleetConfig is the newest version of the fleet configuration; ok is false when none was pushed.
func (d *DB) LatestFleetConfig(ctx context.Context) (c catalog.FleetConfig, ok bool, err error) {
	return latestFleetConfig(ctx, d.sql)
}

func latestFleetConfig(ctx context.Context, q querier) (catalog.FleetConfig, bool, error) {
	c, err := scanFleetConfig(q.QueryRowContext(ctx, `SELECT `+fleetColumns+` FROM fleet_configs ORDER BY version DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.FleetConfig{}, false, nil
	}
	return c, err == nil, err
}

// FleetConfig reads one version of the fleet configuration; ErrNoFleetConfig when there is none.
func (d *DB) FleetConfig(ctx context.Context, version int64) (catalog.FleetConfig, error) {
	c, err := scanFleetConfig(d.sql.QueryRowContext(ctx, `SELECT `+fleetColumns+` FROM fleet_configs WHERE version = ?`, version))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: version %d", ErrNoFleetConfig, version)
	}
	return c, err
}

// FleetHistory lists versions of the fleet configuration, newest first: at most limit, older than before (0: from
// the newest).
func (d *DB) FleetHistory(ctx context.Context, before int64, limit int) ([]catalog.FleetConfig, error) {
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT `+fleetColumns+` FROM fleet_configs WHERE version < ?
		ORDER BY version DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.FleetConfig{}
	for rows.Next() {
		c, err := scanFleetConfig(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
