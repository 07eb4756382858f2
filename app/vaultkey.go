package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/zalando/go-keyring"

	"github.com/sphera/atrium/internal/secrets/vault"
)

// vaultKey is local mode's secrets vault key (docs/secrets.md): kept in the OS keyring beside the portal tokens
// when the desktop has one, so that the data directory holds only ciphertext; nil (a key file of mode 0600 in the
// data directory) without a keyring. A key file written by a session that had no keyring stays in use.
func (rt *Runtime) vaultKey() func() ([]byte, error) {
	if rt.tokens.Where() != "keyring" {
		return nil
	}
	return func() ([]byte, error) {
		dir, err := filepath.Abs(rt.DataDir)
		if err != nil {
			dir = rt.DataDir
		}
		item := "secrets-vault:" + dir
		s, err := keyring.Get(keyringService, item)
		switch {
		case err == nil:
			k, derr := base64.StdEncoding.DecodeString(s)
			if derr != nil || len(k) != vault.KeySize {
				return nil, fmt.Errorf("the secrets vault key in the keyring (%s) is not a %d-byte key", item, vault.KeySize)
			}
			return k, nil
		case !errors.Is(err, keyring.ErrNotFound):
			return nil, fmt.Errorf("read the secrets vault key from the keyring: %w", err)
		}
		file := filepath.Join(rt.DataDir, "secrets-vault.key")
		if _, err := os.Stat(file); err == nil {
			return vault.KeyFile(file)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		k, err := vault.NewKey()
		if err != nil {
			return nil, err
		}
		if err := keyring.Set(keyringService, item, base64.StdEncoding.EncodeToString(k)); err != nil {
			return nil, fmt.Errorf("store the secrets vault key in the keyring: %w", err)
		}
		return k, nil
	}
}
