package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestDataPathWithURICharacters: SQLite reads "file:" URIs, where '?' starts parameters, '#' a fragment and '%' an
// escape; a data directory named with them must hold the database itself, and nothing may appear elsewhere.
func TestDataPathWithURICharacters(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a#b?c%d e", "100%", "x%3Fy", "q?mode=ro"} {
		t.Run(name, func(t *testing.T) {
			parent := filepath.Join(root, fmt.Sprint(len(dirNames(t, root))))
			dir := filepath.Join(parent, name)
			path := filepath.Join(dir, "portal.db")
			db, err := Open(path)
			if err != nil {
				t.Fatalf("open %q: %v", path, err)
			}
			if _, err := db.PutServices(context.Background(), []catalog.Service{svc("kept", "t", "Go")}); err != nil {
				t.Fatal(err)
			}
			if got := dirNames(t, dir); !slices.Contains(got, "portal.db") {
				t.Errorf("%s holds %v, not portal.db", dir, got)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if got := dirNames(t, parent); len(got) != 1 || got[0] != name {
				t.Errorf("the parent directory holds %q, want only %q", got, name)
			}
			if got := dirNames(t, dir); len(got) != 1 || got[0] != "portal.db" {
				t.Errorf("after close %s holds %v, want only portal.db", dir, got)
			}
			db, err = Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := db.Close(); err != nil {
					t.Error(err)
				}
			}()
			if _, err := db.GetService(context.Background(), "kept"); err != nil {
				t.Errorf("reopened database lost its row: %v", err)
			}
		})
	}
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestDatabaseFilesArePrivate: the database and its -wal and -shm files hold token hashes and audit; only Atrium's
// user may read them, whatever the umask, and files an older version left readable are tightened.
func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutServices(context.Background(), []catalog.Service{svc("a", "t", "Go")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s created with mode %v, want 0600", filepath.Base(p), m)
		}
	}

	// Files left world-readable (by an older Atrium, or a copy) are tightened when the database is opened.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s left with mode %v, want 0600", filepath.Base(p), m)
		}
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// fullDB is a database that cannot grow: one connection, whose max_page_count is the file's current size.
func fullDB(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	db.SQL().SetMaxOpenConns(1)
	var pages int
	if err := db.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func TestDiskFullIsReportedWithThePath(t *testing.T) {
	db, path := fullDB(t)
	s := svc("big", "t", "Go")
	s.Description = strings.Repeat("x", 200<<10) // needs new pages
	_, err := db.PutServices(context.Background(), []catalog.Service{s})
	var se *StorageError
	if !errors.Is(err, ErrDiskFull) || !errors.As(err, &se) {
		t.Fatalf("writing to a full database: %v, want ErrDiskFull", err)
	}
	msg := se.Error()
	if se.Path != path || !strings.Contains(msg, path) || !strings.Contains(msg, "Free space") {
		t.Errorf("message must name the file and what to do: %q", msg)
	}
	if strings.Contains(msg, "INSERT") || strings.Contains(msg, "services") {
		t.Errorf("message leaks SQL: %q", msg)
	}
	if _, err := db.GetService(context.Background(), "big"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("the failed write left a row: %v", err)
	}
	// Packages that keep their own tables write through the handle (flags, actions, collectors): same error.
	_, err = db.SQL().Exec(`INSERT INTO meta(key, value) VALUES ('big', ?)`, s.Description)
	if !errors.As(err, &se) || !errors.Is(err, ErrDiskFull) || se.Path != path {
		t.Errorf("a write through SQL(): %v, want ErrDiskFull naming the file", err)
	}
}

// TestCorruptPagesFoundAtOpen: a database whose schema is intact but whose data pages are overwritten opens fine
// as far as migrations can tell; quick_check finds it before anything is served, and the file is left as it was.
func TestCorruptPagesFoundAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var svcs []catalog.Service
	for i := range 2000 {
		svcs = append(svcs, svc(fmt.Sprintf("svc-%04d", i), "team", "Go"))
	}
	if _, err := db.PutServices(context.Background(), svcs); err != nil {
		t.Fatal(err)
	}
	// The last connection checkpoints the WAL into the file and removes it.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	mid := len(b) / page / 2
	if mid < 10 {
		t.Fatalf("database too small to corrupt its middle: %d pages", len(b)/page)
	}
	for i := mid * page; i < (mid+4)*page; i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	_, err = Open(path)
	var se *StorageError
	if !errors.Is(err, ErrUnusable) || !errors.As(err, &se) || se.Path != path || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "mv ") {
		t.Fatalf("corrupt pages: Open answered %v, want ErrUnusable naming %s and the remedy", err, path)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, b) {
		t.Error("Open modified the corrupt file")
	}
	if got := dirNames(t, filepath.Dir(path)); len(got) != 1 {
		t.Errorf("Open left files next to the corrupt one: %v", got)
	}
}

// TestQuickCheckIsBounded: on a file too large to check within the budget, Open goes on (unchecked, in the log)
// instead of holding the start.
func TestQuickCheckIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	defer func(b time.Duration) { quickCheckBudget = b }(quickCheckBudget)
	quickCheckBudget = time.Nanosecond
	db, err = Open(path)
	if err != nil {
		t.Fatalf("open with the check over budget: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
