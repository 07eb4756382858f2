package secrets

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/nacl/box"

	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/store"
)

// Staging holds values between their request and their write, sealed (secret_staged): to the cluster agent's
// public key for a Kubernetes target, else to the portal's staging key. The staging key's private half lives in a
// file outside the database (mode 0600), so that the database alone — a backup, a copy — opens nothing.
type Staging struct {
	DB  *sql.DB
	Key agent.KeyPair
	Now func() time.Time
}

func (s *Staging) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// LoadStagingKey reads the portal's staging key from path, or creates it there (mode 0600) when the file does not
// exist. A key that does not parse is an error naming the file; it is never replaced, since values staged for it
// would be lost.
func LoadStagingKey(path string) (agent.KeyPair, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		var kp agent.KeyPair
		if err := kp.UnmarshalText(b); err != nil {
			return kp, fmt.Errorf("secrets staging key %s: %w", path, err)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return kp, fmt.Errorf("secrets staging key %s is readable by others and its mode cannot be tightened: %w", path, err)
			}
		}
		return kp, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return agent.KeyPair{}, fmt.Errorf("read secrets staging key: %w", err)
	}
	kp, err := agent.GenerateKey()
	if err != nil {
		return kp, err
	}
	text, _ := kp.MarshalText()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return kp, fmt.Errorf("create directory of the secrets staging key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return kp, fmt.Errorf("create secrets staging key: %w", err)
	}
	_, werr := f.Write(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return kp, fmt.Errorf("write secrets staging key: %w", werr)
	}
	return kp, nil
}

// sealForPortal seals value to the staging key.
func (s *Staging) sealForPortal(value []byte) (*agent.Sealed, error) {
	pub := [32]byte(s.Key.Public)
	b, err := box.SealAnonymous(nil, value, &pub, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal value: %w", err)
	}
	return &agent.Sealed{KeyID: s.Key.Public.ID(), Box: b}, nil
}

// errWrongStagingKey: the value was sealed to a staging key the portal no longer holds.
var errWrongStagingKey = errors.New("the value was sealed to a staging key this portal no longer holds")

// openForPortal opens a box sealed to the staging key; the caller clears the value after use.
func (s *Staging) openForPortal(sealed *agent.Sealed) ([]byte, error) {
	if sealed.KeyID != s.Key.Public.ID() {
		return nil, fmt.Errorf("%w (sealed to %s, the portal holds %s)", errWrongStagingKey, sealed.KeyID, s.Key.Public.ID())
	}
	pub, priv := [32]byte(s.Key.Public), s.Key.Private
	v, ok := box.OpenAnonymous(nil, sealed.Box, &pub, &priv)
	if !ok {
		return nil, errors.New("the staged value does not open with the portal's staging key: it was altered")
	}
	return v, nil
}

// put stores a sealed value for ref and target; one already there is kept (the request was sent again).
func (s *Staging) put(ctx context.Context, ref, target string, sealed *agent.Sealed) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO secret_staged(ref, target, key_id, box, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, ref, target, sealed.KeyID, sealed.Box, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("stage value for %s: %w", target, err)
	}
	return nil
}

// get returns the sealed value of ref for target; false when there is none (written already, or discarded).
func (s *Staging) get(ctx context.Context, ref, target string) (*agent.Sealed, bool, error) {
	var sealed agent.Sealed
	err := s.DB.QueryRowContext(ctx, `SELECT key_id, box FROM secret_staged WHERE ref = ? AND target = ?`, ref, target).
		Scan(&sealed.KeyID, &sealed.Box)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &sealed, true, nil
}

// drop deletes the sealed value of ref for target: its target has it.
func (s *Staging) drop(ctx context.Context, ref, target string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM secret_staged WHERE ref = ? AND target = ?`, ref, target)
	return err
}

// dropAll deletes every sealed value of ref.
func (s *Staging) dropAll(ctx context.Context, ref string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM secret_staged WHERE ref = ?`, ref)
	return err
}

// Sweep deletes the sealed values nothing will write any more: those of actions that succeeded, were rejected or
// cancelled, or failed longer than retryWindow ago, and those of no action at all after an hour (a request whose
// action was never stored). It returns how many it deleted.
func (s *Staging) Sweep(ctx context.Context, retryWindow time.Duration) (int, error) {
	now := s.now()
	valueRef := store.JSONText(s.DB, "params", "value_ref")
	res, err := s.DB.ExecContext(ctx, `DELETE FROM secret_staged WHERE ref IN (
			SELECT `+valueRef+` FROM actions WHERE kind IN (?, ?)
			AND (state IN ('succeeded', 'rejected', 'cancelled') OR (state = 'failed' AND updated_at < ?)))
		OR (created_at < ? AND ref NOT IN (SELECT `+valueRef+` FROM actions
			WHERE kind IN (?, ?) AND `+valueRef+` IS NOT NULL))`,
		KindCreate, KindRotate, now.Add(-retryWindow).UnixMilli(), now.Add(-time.Hour).UnixMilli(), KindCreate, KindRotate)
	if err != nil {
		return 0, fmt.Errorf("sweep staged secret values: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
