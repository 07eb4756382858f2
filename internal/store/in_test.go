package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
)

func TestInCapsListsAndListServicesSaysSo(t *testing.T) {
	var args []any
	sql, err := In("owner", []string{"a", "b"}, &args)
	if err != nil || sql != "owner IN (?,?)" || len(args) != 2 {
		t.Errorf("In: %q %v %v", sql, args, err)
	}
	if _, err := In("owner", make([]int, MaxListValues+1), &args); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("over the cap: %v", err)
	}
	eachEngine(t, func(t *testing.T, e Engine) {
		db := openEngine(t, e)
		ctx := context.Background()
		if _, err := db.PutServices(ctx, []catalog.Service{svc("a", "t", "Go")}); err != nil {
			t.Fatal(err)
		}
		// An empty list matches nothing, and is SQL both engines take (PostgreSQL has no `IN ()`).
		var none []any
		cond, _ := In("owner", []string{}, &none)
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE `+cond, none...).Scan(&n); err != nil || n != 0 {
			t.Errorf("empty In %q: %d rows, %v", cond, n, err)
		}
		listCaps(t, db)
	})
}

func listCaps(t *testing.T, db *DB) {
	many := make([]string, 40000)
	for i := range many {
		many[i] = fmt.Sprint("team-", i)
	}
	ctx := context.Background()
	if _, err := db.ListServices(ctx, ServiceQuery{Owners: many}); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("ListServices with 40,000 owners: %v", err)
	}
	if _, err := db.ListPackages(ctx, PackageQuery{Owners: many}); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("ListPackages with 40,000 owners: %v", err)
	}
	if _, err := db.Matrix(ctx, MatrixQuery{Teams: many}); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("Matrix with 40,000 teams: %v", err)
	}
	if p, err := db.ListServices(ctx, ServiceQuery{Owners: many[:MaxListValues]}); err != nil || p.Total != 0 {
		t.Errorf("ListServices at the cap: %+v %v", p, err)
	}
}
