package store

import (
	"context"
	"fmt"
	"time"
)

// RecordDelivery remembers a verified webhook delivery of source (e.g. "github") and reports whether it is new.
// A delivery is not new when one with the same id, or with the same signed body (digest), was recorded within
// keep: GitHub redelivers under the same id, and a replayed body may come with a made-up id. Records older than
// keep are forgotten here, so the table holds about keep's worth of deliveries.
func (d *DB) RecordDelivery(ctx context.Context, source, id, digest, event string, now time.Time,
	keep time.Duration) (bool, error) {
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE received_at < ?`,
		now.Add(-keep).UnixMilli()); err != nil {
		return false, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	res, err := d.sql.ExecContext(ctx, `INSERT INTO webhook_deliveries(source, digest, delivery_id, event, received_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, source, digest, id, event, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record webhook delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
