package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/backend/server"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

func runMigrate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := &cobra.Command{Use: "atrium"}
	root.AddCommand(MigrateCommand())
	var out, errs bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errs)
	code := Run(context.Background(), root, append([]string{"migrate"}, args...))
	return code, out.String(), errs.String()
}

// TestMigrateMovesADemoPortal: the demo portal's SQLite database (catalog, scorecards, flags) moved to PostgreSQL
// by `atrium migrate` serves the same catalog, flags and change feed from a portal started with --database; run
// again, the command finds the copy done and verifies it.
func TestMigrateMovesADemoPortal(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(t.TempDir(), "portal.db")
	local, err := server.OpenLocal(ctx, path, quiet, server.LocalOptions{NoWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	services, _ := local.DB.CountServices(ctx)
	feed, err := local.DB.Changes(ctx, "", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := local.Flags.Store.List(ctx, flagFilter("production"))
	if err != nil || len(flags) == 0 {
		t.Fatalf("demo flags: %d %v", len(flags), err)
	}
	if err := local.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runMigrate(t, "--from", path, "--to", url)
	if code != ExitOK || errs != "" || !strings.Contains(out, "copied           services") ||
		!strings.Contains(out, "verified: ") || !strings.Contains(out, feed.Cursor) {
		t.Fatalf("migrate: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runMigrate(t, "--from", path, "--to", url)
	if code != ExitOK || errs != "" || !strings.Contains(out, "already copied   services") || strings.Contains(out, "\ncopied ") {
		t.Errorf("migrate again: %d\n%s\n%s", code, out, errs)
	}

	pg, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), Database: url, Demo: "auto", Log: quiet,
		AdminToken: "atr_migrated_admin_0123456789ab"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close() //nolint:errcheck // test cleanup
	if n, _ := pg.DB.CountServices(ctx); n != services || n == 0 {
		t.Errorf("services on PostgreSQL: %d, in the SQLite portal: %d", n, services)
	}
	if next, err := pg.DB.Changes(ctx, feed.Cursor, 1000, 0); err != nil || next.Reset {
		t.Errorf("a desktop's cursor from the SQLite portal on the PostgreSQL one: reset=%v %v", next.Reset, err)
	}
	moved, err := pg.Flags.Store.List(ctx, flagFilter("production"))
	if err != nil || len(moved) != len(flags) || moved[0].Version != flags[0].Version {
		t.Errorf("flags on PostgreSQL: %d (%v), in the SQLite portal: %d", len(moved), err, len(flags))
	}
	if pg.DB.Engine() != store.Postgres {
		t.Errorf("engine %s", pg.DB.Engine())
	}
}

// TestMigrateRefusesWhatItCannotDo: wrong command lines are usage errors; a --from that does not exist is not
// created (an empty copy would verify); a target that is not empty is left alone.
func TestMigrateRefusesWhatItCannotDo(t *testing.T) {
	t.Setenv("ATRIUM_DATABASE_URL", "")
	missing := filepath.Join(t.TempDir(), "nope.db")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--to", "postgres://a@b/c"}, ExitUsage, "--from is required"},
		{[]string{"--from", "x.db"}, ExitUsage, "--to (or $ATRIUM_DATABASE_URL) is required"},
		{[]string{"--from", "x.db", "--to", "mysql://root:hunter2@db/x"}, ExitUsage, "must be a PostgreSQL URL"},
		{[]string{"--from", missing, "--to", "postgres://a@127.0.0.1:1/c"}, ExitError, "does not exist"},
	} {
		code, _, errs := runMigrate(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || strings.Contains(errs, "hunter2") {
			t.Errorf("%v: %d %s", tc.args, code, errs)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a missing --from was created: %v", err)
	}
}

func flagFilter(env string) flagstore.Filter { return flagstore.Filter{Environment: env} }
