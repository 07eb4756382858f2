// Package vault is local mode's secrets backend: values encrypted at rest (AES-256-GCM) in one file of the
// portal's data directory, so that the demo shows the whole flow of docs/secrets.md without a cluster or AWS. The
// key is not in the file: it is kept in the OS keyring, or in a key file of its own (mode 0600). No value is ever
// written anywhere in plaintext.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/secrets"
)

// KeySize is the size of a vault key: AES-256.
const KeySize = 32

// Vault keeps values in a file, each sealed with AES-256-GCM under the vault's key; the additional data binds a
// sealed value to its place and version, so that one cannot be swapped for another inside the file.
type Vault struct {
	path string
	aead cipher.AEAD
	now  func() time.Time

	mu sync.Mutex
}

// entry is one value as stored: nonce and ciphertext, never the value.
type entry struct {
	Version    string    `json:"version"`
	Nonce      string    `json:"nonce"`
	Ciphertext string    `json:"ciphertext"`
	UpdatedAt  time.Time `json:"updated_at"`
	Team       string    `json:"team,omitempty"`
	Service    string    `json:"service,omitempty"`
	Name       string    `json:"name,omitempty"`
}

type file struct {
	// Format names this file's layout.
	Format  string           `json:"format"`
	Entries map[string]entry `json:"entries"` // by place key and object
}

const format = "atrium-vault-1 (AES-256-GCM; the key is not in this file)"

// Open returns the vault in the file at path, sealing with key (KeySize bytes). The file is created on the first
// write, mode 0600.
func Open(path string, key []byte) (*Vault, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("vault key must be %d bytes", KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	v := &Vault{path: path, aead: aead, now: time.Now}
	if _, err := v.read(); err != nil {
		return nil, err
	}
	return v, nil
}

// NewKey makes a random vault key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// KeyFile reads the vault key kept in a file (base64, mode 0600), creating it when it does not exist.
func KeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(string(trimSpace(b)))
		if err != nil || len(k) != KeySize {
			return nil, fmt.Errorf("vault key file %s does not hold a %d-byte key in base64; it is left as it is "+
				"(the values sealed with it need it)", path, KeySize)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read vault key: %w", err)
	}
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create vault key file: %w", err)
	}
	_, werr := f.Write([]byte(base64.StdEncoding.EncodeToString(k) + "\n"))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("write vault key file: %w", werr)
	}
	return k, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func entryKey(t secrets.Target) string { return t.Key() + "#" + t.Object }

func (v *Vault) read() (file, error) {
	f := file{Format: format, Entries: map[string]entry{}}
	b, err := os.ReadFile(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read vault %s: %w", v.path, err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("vault %s is not a vault file (%w); it is left as it is", v.path, err)
	}
	if f.Entries == nil {
		f.Entries = map[string]entry{}
	}
	return f, nil
}

func (v *Vault) write(f file) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := v.path + ".tmp"
	if err := os.MkdirAll(filepath.Dir(v.path), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write vault: %w", err)
	}
	if err := os.Rename(tmp, v.path); err != nil {
		return fmt.Errorf("write vault: %w", err)
	}
	return nil
}

func aad(key, version string) []byte { return []byte(key + "\x00" + version) }

// Put implements secrets.Backend.
func (v *Vault) Put(_ context.Context, t secrets.Target, version string, value []byte, meta secrets.Meta) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	unlock, err := lockFile(v.path + ".lock")
	if err != nil {
		return fmt.Errorf("lock vault: %w", err)
	}
	defer unlock()
	f, err := v.read()
	if err != nil {
		return err
	}
	k := entryKey(t)
	if e, ok := f.Entries[k]; ok && e.Version == version {
		return nil // this version, again
	}
	nonce := make([]byte, v.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	ct := v.aead.Seal(nil, nonce, value, aad(k, version))
	f.Entries[k] = entry{Version: version, Nonce: base64.StdEncoding.EncodeToString(nonce),
		Ciphertext: base64.StdEncoding.EncodeToString(ct), UpdatedAt: v.now().UTC(), Team: meta.Team,
		Service: meta.Service, Name: meta.Name}
	return v.write(f)
}

// Delete implements secrets.Backend.
func (v *Vault) Delete(_ context.Context, t secrets.Target) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	unlock, err := lockFile(v.path + ".lock")
	if err != nil {
		return fmt.Errorf("lock vault: %w", err)
	}
	defer unlock()
	f, err := v.read()
	if err != nil {
		return err
	}
	k := entryKey(t)
	if _, ok := f.Entries[k]; !ok {
		return nil
	}
	delete(f.Entries, k)
	return v.write(f)
}

// Read implements secrets.Backend.
func (v *Vault) Read(_ context.Context, t secrets.Target) ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f, err := v.read()
	if err != nil {
		return nil, err
	}
	k := entryKey(t)
	e, ok := f.Entries[k]
	if !ok {
		return nil, secrets.ErrNoValue
	}
	nonce, err1 := base64.StdEncoding.DecodeString(e.Nonce)
	ct, err2 := base64.StdEncoding.DecodeString(e.Ciphertext)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("vault entry %s is damaged", k)
	}
	plain, err := v.aead.Open(nil, nonce, ct, aad(k, e.Version))
	if err != nil {
		return nil, fmt.Errorf("vault entry %s does not open with this vault's key (another key, or altered)", k)
	}
	return plain, nil
}
