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
)

// TokenStore keeps the user's portal tokens, one per portal URL.
type TokenStore interface {
	Get(portal string) (string, error)
	Set(portal, token string) error
	// Where says where tokens are kept, for the Settings page.
	Where() string
}

// NewTokenStore returns the store for tokens of this desktop.
func NewTokenStore(dataDir string, log *slog.Logger) TokenStore {
	return &fileTokens{path: filepath.Join(dataDir, "portal-tokens.json")}
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
	b, _ := json.Marshal(m)
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("store portal token: %w", err)
	}
	return os.Rename(tmp, f.path)
}
