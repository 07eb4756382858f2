package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

// TestDatabaseFlag: --database (or $ATRIUM_DATABASE_URL) puts the portal on PostgreSQL; anything but a postgres://
// URL is refused before anything starts, without echoing a password; without either the portal keeps SQLite.
func TestDatabaseFlag(t *testing.T) {
	for _, tc := range []struct {
		flag, env, want, refused string
	}{
		{want: ""},
		{env: "postgres://portal@db:5432/atrium", want: "postgres://portal@db:5432/atrium"},
		{flag: "postgresql://a@b/c", env: "postgres://portal@db:5432/atrium", want: "postgresql://a@b/c"},
		{flag: "/var/lib/atrium/portal.db", refused: "must be a PostgreSQL URL"},
		{env: "mysql://root:hunter2@db/atrium", refused: "must be a PostgreSQL URL"},
	} {
		t.Setenv("ATRIUM_DATABASE_URL", tc.env)
		c := Config{Demo: "auto", Database: tc.flag}
		err := c.FromEnv()
		switch {
		case tc.refused != "":
			if err == nil || !strings.Contains(err.Error(), tc.refused) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("flag %q env %q: %v", tc.flag, tc.env, err)
			}
		case err != nil || c.Database != tc.want:
			t.Errorf("flag %q env %q: database %q, %v; want %q", tc.flag, tc.env, c.Database, err, tc.want)
		}
	}
}

// TestOpenOnPostgres: a portal opened with Database keeps everything in that database — a second portal on it (a
// replica, with a data directory of its own) sees what the first wrote.
func TestOpenOnPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	open := func() *Server {
		s, err := Open(ctx, Config{DataDir: t.TempDir(), Database: url, AdminToken: "atr_pg_admin_0123456789abcdef",
			Demo: "on", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	}
	a, b := open(), open()
	if a.DB.Engine() != store.Postgres || b.DB.Epoch() != a.DB.Epoch() {
		t.Fatalf("engine %s, epochs %s and %s", a.DB.Engine(), a.DB.Epoch(), b.DB.Epoch())
	}
	na, _ := a.DB.CountServices(ctx)
	nb, _ := b.DB.CountServices(ctx)
	if na == 0 || na != nb {
		t.Errorf("the demo catalog seen by the two replicas: %d and %d services", na, nb)
	}
}

// TestReplicasShareTheFleetKey: on PostgreSQL a replica keeps its fleet signing key in its own data directory
// (never in a directory named after the database URL), and replicas given one key file (fleet.signing_key_file)
// present one key to installs; a replica whose key did not sign the newest configuration says so in its log.
func TestReplicasShareTheFleetKey(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	shared := filepath.Join(t.TempDir(), "keys", "fleet-signing.key")
	open := func(keyFile string) (*Server, string, *bytes.Buffer) {
		dir, logs := t.TempDir(), &bytes.Buffer{}
		var fc FileConfig
		fc.Fleet.SigningKeyFile = keyFile
		s, err := Open(ctx, Config{DataDir: dir, Database: url, AdminToken: "atr_pg_admin_0123456789abcdef",
			Demo: "off", File: fc, Log: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s, dir, logs
	}
	alone, dir, _ := open("")
	if _, err := os.Stat(filepath.Join(dir, "fleet-signing.key")); err != nil {
		t.Errorf("the key is not in the replica's data directory: %v", err)
	}
	a, _, _ := open(shared)
	b, _, _ := open(shared)
	if a.Fleet.PublicKey() == "" || a.Fleet.PublicKey() != b.Fleet.PublicKey() {
		t.Fatalf("replicas sharing a key file present %q and %q", a.Fleet.PublicKey(), b.Fleet.PublicKey())
	}
	if alone.Fleet.PublicKey() == a.Fleet.PublicKey() {
		t.Fatal("a replica with a key of its own presents the shared one")
	}
	signer, _, err := fleet.LoadOrCreateKey(shared)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.PushFleetConfig(ctx, 0, func(v int64) (catalog.FleetConfig, error) {
		return signer.Sign(v, []byte(`{"schema":1}`)), nil
	}); err != nil {
		t.Fatal(err)
	}
	_, _, logs := open("")
	if !strings.Contains(logs.String(), "every replica must use the same key file") {
		t.Errorf("a replica with another key started without a word:\n%s", logs.String())
	}
}
