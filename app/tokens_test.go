package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/sphera/atrium/internal/store/pgtest"
)

// TestMain keeps tests off the developer's real keyring: every test sees go-keyring's in-memory provider unless
// it installs another.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(pgtest.Run(m)) // stops the PostgreSQL of the outage test, if it started one
}

func TestTokensInKeyring(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	// A token left in the file by a session without a keyring is moved into the keyring on first read.
	legacy := &fileTokens{path: filepath.Join(dir, "portal-tokens.json")}
	if err := legacy.Set("https://old.example", "atr_old_0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	ts := NewTokenStore(dir, testLog(t))
	if ts.Where() != "keyring" {
		t.Fatalf("store: %s", ts.Where())
	}
	if err := ts.Set("https://portal.example", "atr_new_0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	if got, _ := keyring.Get(keyringService, "https://portal.example"); got != "atr_new_0123456789abcdef" {
		t.Errorf("keyring holds %q", got)
	}
	if got, err := ts.Get("https://old.example"); err != nil || got != "atr_old_0123456789abcdef" {
		t.Fatalf("legacy token: %q %v", got, err)
	}
	if got, _ := keyring.Get(keyringService, "https://old.example"); got != "atr_old_0123456789abcdef" {
		t.Error("legacy token not moved into the keyring")
	}
	if _, err := os.Stat(legacy.path); !errors.Is(err, os.ErrNotExist) {
		t.Error("the token file still exists after its last token moved to the keyring")
	}
	if got, err := ts.Get("https://unknown.example"); err != nil || got != "" {
		t.Errorf("unknown portal: %q %v", got, err)
	}
}

func TestTokensFallBackToFile(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(keyring.MockInit)
	dir := t.TempDir()
	ts := NewTokenStore(dir, testLog(t))
	if ts.Where() != "file" {
		t.Fatalf("store: %s", ts.Where())
	}
	if err := ts.Set("https://portal.example", "atr_file_0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "portal-tokens.json")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", info, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "atr_file_0123456789abcdef") {
		t.Error("token not in the file")
	}
	// A new store on the same directory (the next start) reads it back.
	if got, _ := NewTokenStore(dir, testLog(t)).Get("https://portal.example"); got != "atr_file_0123456789abcdef" {
		t.Errorf("read back %q", got)
	}
	t.Setenv("ATRIUM_TOKEN_STORE", "file")
	keyring.MockInit()
	if NewTokenStore(dir, testLog(t)).Where() != "file" {
		t.Error("ATRIUM_TOKEN_STORE=file ignored")
	}
}
