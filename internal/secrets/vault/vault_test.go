package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/secrets"
)

func target(region string) secrets.Target {
	return secrets.Target{SecretPlace: catalog.SecretPlace{Environment: "dev", Region: region, Backend: "local"},
		Object: "payments/checkout/db-password"}
}

// TestVault: values round-trip, the file holds none of them, the same version again changes nothing, another key
// opens nothing, and a sealed value moved to another place does not open there.
func TestVault(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, err := KeyFile(filepath.Join(dir, "vault.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "vault.key")); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	again, _ := KeyFile(filepath.Join(dir, "vault.key"))
	if !bytes.Equal(key, again) {
		t.Fatal("the key file gave another key")
	}
	path := filepath.Join(dir, "vault.json")
	v, err := Open(path, key)
	if err != nil {
		t.Fatal(err)
	}
	value := []byte("vault-test-value-4f9a")
	if err := v.Put(ctx, target("eu-west-1"), "v1", value, secrets.Meta{Team: "payments"}); err != nil {
		t.Fatal(err)
	}
	if err := v.Put(ctx, target("us-east-1"), "v1", []byte("other-value-77"), secrets.Meta{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := v.Put(ctx, target("eu-west-1"), "v1", value, secrets.Meta{Team: "payments"}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("putting the same version again rewrote the vault")
	}
	if bytes.Contains(before, value) || bytes.Contains(before, []byte("other-value-77")) {
		t.Fatal("the vault file holds a value in plaintext")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("vault file mode %v", fi.Mode().Perm())
	}
	got, err := v.Read(ctx, target("eu-west-1"))
	if err != nil || !bytes.Equal(got, value) {
		t.Fatalf("read: %q %v", got, err)
	}
	other, _ := NewKey()
	w, _ := Open(path, other)
	if _, err := w.Read(ctx, target("eu-west-1")); err == nil {
		t.Error("another key opened a value")
	}
	// Swap the two entries in the file: neither opens in the other's place.
	var f file
	if err := json.Unmarshal(before, &f); err != nil {
		t.Fatal(err)
	}
	a, b := entryKey(target("eu-west-1")), entryKey(target("us-east-1"))
	f.Entries[a], f.Entries[b] = f.Entries[b], f.Entries[a]
	swapped, _ := json.Marshal(f)
	if err := os.WriteFile(path, swapped, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Read(ctx, target("eu-west-1")); err == nil {
		t.Error("a sealed value moved to another place opened there")
	}
	if err := v.Delete(ctx, target("us-east-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Read(ctx, target("us-east-1")); !errors.Is(err, secrets.ErrNoValue) {
		t.Errorf("after delete: %v", err)
	}
	if err := v.Delete(ctx, target("us-east-1")); err != nil {
		t.Errorf("deleting what is gone: %v", err)
	}
}
