package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestInCapsListsAndListServicesSaysSo(t *testing.T) {
	var args []any
	sql, err := In("owner", []string{"a", "b"}, &args)
	if err != nil || sql != "owner IN (?,?)" || len(args) != 2 {
		t.Errorf("In: %q %v %v", sql, args, err)
	}
	if sql, _ := In("owner", []string{}, &args); sql != "owner IN ()" {
		t.Errorf("empty In: %q", sql)
	}
	if _, err := In("owner", make([]int, MaxListValues+1), &args); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("over the cap: %v", err)
	}

	db, err := Open(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
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
