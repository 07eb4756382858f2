package store

import "context"

// SearchFTS is searchFTS for the tests of package store_test: the SQL reference the in-memory index must agree with.
func (d *DB) SearchFTS(ctx context.Context, q ServiceQuery) (ServicePage, error) {
	return d.searchFTS(ctx, q)
}
