package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// TokenStore keeps the user's portal tokens, one per portal URL. Implementations never log a token.
type TokenStore interface {
	Get(portal string) (string, error)
	Set(portal, token string) error
	// Where says where tokens are kept, for the Settings page: "keyring" or "file".
	Where() string
}

// keyringService names Atrium's items in the OS keyring (Secret Service on Linux, Keychain, Credential Manager).
const keyringService = "atrium"

// probeTimeout bounds the check for a keyring: a Secret Service that is present but stuck must not stop the
// desktop from starting.
const probeTimeout = 3 * time.Second

// NewTokenStore returns the store for tokens of this desktop: the OS keyring when one answers, else a file in
// dataDir readable only by the user. ATRIUM_TOKEN_STORE=file forces the file (headless machines, CI).
func NewTokenStore(dataDir string, log *slog.Logger) TokenStore {
	file := &fileTokens{path: filepath.Join(dataDir, "portal-tokens.json")}
	if os.Getenv("ATRIUM_TOKEN_STORE") == "file" {
		return file
	}
	if err := probeKeyring(); err != nil {
		log.Info("no usable OS keyring; portal tokens are kept in a file only you can read", "file", file.path, "why", err)
		return file
	}
	return &keyringTokens{legacy: file, log: log}
}

// probeKeyring checks that the keyring answers: a lookup of an item that does not exist must say "not found".
func probeKeyring() error {
	done := make(chan error, 1)
	go func() {
		_, err := keyring.Get(keyringService, "atrium-probe")
		done <- err
	}()
	select {
	case err := <-done:
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		if err == nil {
			return nil
		}
		return err
	case <-time.After(probeTimeout):
		return errors.New("the keyring did not answer in time")
	}
}

// keyringTokens keeps tokens in the OS keyring, one item per portal URL. Tokens found in the file of an earlier
// version (or of a session without a keyring) are moved into the keyring when first read.
type keyringTokens struct {
	legacy *fileTokens
	log    *slog.Logger
}

func (k *keyringTokens) Where() string { return "keyring" }

func (k *keyringTokens) Get(portal string) (string, error) {
	tok, err := keyring.Get(keyringService, portal)
	if err == nil {
		return tok, nil
	}
	if !errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("read portal token from the keyring: %w", err)
	}
	tok, err = k.legacy.Get(portal)
	if err != nil || tok == "" {
		return "", err
	}
	if err := k.Set(portal, tok); err != nil {
		k.log.Warn("could not move the portal token from its file into the keyring", "err", err)
	}
	return tok, nil
}

func (k *keyringTokens) Set(portal, token string) error {
	if err := keyring.Set(keyringService, portal, token); err != nil {
		return fmt.Errorf("store portal token in the keyring: %w", err)
	}
	// A token stored in the keyring must not linger in a file.
	return k.legacy.Delete(portal)
}

// fileTokens keeps tokens in a file readable only by the user.
type fileTokens struct {
	mu   sync.Mutex
	path string
}

func (f *fileTokens) Where() string { return "file" }

func (f *fileTokens) read() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read portal tokens %s: %w", f.path, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("portal tokens file %s is not valid JSON; delete it and sign in again", f.path)
	}
	return m, nil
}

func (f *fileTokens) write(m map[string]string) error {
	if len(m) == 0 {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove portal tokens file: %w", err)
		}
		return nil
	}
	b, _ := json.Marshal(m)
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("store portal token: %w", err)
	}
	return os.Rename(tmp, f.path)
}

func (f *fileTokens) Get(portal string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	return m[portal], err
}

func (f *fileTokens) Set(portal, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	m[portal] = token
	return f.write(m)
}

// Delete forgets the token of portal.
func (f *fileTokens) Delete(portal string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	if _, ok := m[portal]; !ok {
		return nil
	}
	delete(m, portal)
	return f.write(m)
}
