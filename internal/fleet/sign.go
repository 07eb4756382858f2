package fleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sphera/atrium/internal/catalog"
)

// KeyFile is the name of the portal's signing key in its data directory.
const KeyFile = "fleet-signing.key"

// Signer signs fleet configurations with the portal's ed25519 key.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// NewSigner signs with priv.
func NewSigner(priv ed25519.PrivateKey) *Signer {
	pub, _ := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, id: KeyID(pub)}
}

// GenerateSigner makes a signer with a new key that is kept nowhere: for tests and portals without a data
// directory.
func GenerateSigner() *Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // the system's randomness failed
	}
	return NewSigner(priv)
}

// LoadOrCreateKey reads the portal's signing key from path (PKCS #8 PEM), creating it (mode 0600) when there is
// none; created says which. An existing key readable by other users has its mode tightened first. A file that is
// not an ed25519 key is an error naming it: the key is never replaced silently, since every install pinned it.
func LoadOrCreateKey(path string) (s *Signer, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the fleet signing key %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, false, fmt.Errorf("the fleet signing key %s is readable by other users and its mode could not be "+
				"tightened: %w", path, err)
		}
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, false, fmt.Errorf("the fleet signing key %s is not a PEM private key: restore it from a backup; "+
			"replacing it makes every install refuse configurations until re-pinned (docs/fleet.md)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, false, fmt.Errorf("the fleet signing key %s is not an ed25519 private key", path)
	}
	return NewSigner(priv), false, nil
}

func createKey(path string) (*Signer, bool, error) {
	s := GenerateSigner()
	der, err := x509.MarshalPKCS8PrivateKey(s.priv)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create the fleet signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first: use that one
		return LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("create the fleet signing key %s: %w", path, err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close() // the write error is the one to report
		_ = os.Remove(path)
		return nil, false, fmt.Errorf("write the fleet signing key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return nil, false, fmt.Errorf("write the fleet signing key %s: %w", path, err)
	}
	return s, true, nil
}

// PublicKey is the public key, base64: what installs pin.
func (s *Signer) PublicKey() string { return base64.StdEncoding.EncodeToString(s.pub) }

// KeyID is the public key's fingerprint.
func (s *Signer) KeyID() string { return s.id }

// Sign signs content (a canonical document) as version.
func (s *Signer) Sign(version int64, content []byte) catalog.FleetConfig {
	return catalog.FleetConfig{Version: version, Content: content, KeyID: s.id,
		Signature: ed25519.Sign(s.priv, SignedMessage(version, content))}
}

// SignedMessage is what a signature covers: a fixed context, the version and the content. Signing the version
// makes an old configuration replayed under a new version number fail verification.
func SignedMessage(version int64, content []byte) []byte {
	msg := []byte("atrium fleet configuration v1\n" + strconv.FormatInt(version, 10) + "\n")
	return append(msg, content...)
}

// KeyID is a public key's fingerprint: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ParsePublicKey reads a base64 public key as the feed carries it.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not a base64 ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}

// ErrBadSignature is returned by Verify for a configuration its key did not sign as it is.
var ErrBadSignature = errors.New("the signature does not verify: the configuration was altered or not signed by the pinned key")

// Verify checks that c was signed by pub, as it is.
func Verify(pub ed25519.PublicKey, c catalog.FleetConfig) error {
	if id := KeyID(pub); c.KeyID != id {
		return fmt.Errorf("%w (signed by key %s, pinned key %s)", ErrBadSignature, c.KeyID, id)
	}
	if !ed25519.Verify(pub, SignedMessage(c.Version, c.Content), c.Signature) {
		return ErrBadSignature
	}
	return nil
}
