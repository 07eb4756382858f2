package agent

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"
)

// Sealed is a payload part only the cluster's agent can read: a NaCl anonymous box (X25519, XSalsa20-Poly1305,
// as libsodium's crypto_box_seal) holding a SealedContent, encrypted to the public key the agent registered. The
// portal stores and sends the box; without the agent's private key it cannot open it.
type Sealed struct {
	// KeyID names the public key the box is sealed to (KeyID), so an agent holding another key says so plainly.
	KeyID string `json:"key_id"`
	Box   []byte `json:"box"` // base64 in JSON
}

// SealedContent is what a Sealed box holds: manifests the agent applies with the others, whose content (a
// Secret's data) the portal must not keep, log or report.
type SealedContent struct {
	Apply []json.RawMessage `json:"apply"`
}

// PublicKey is an agent's X25519 public key.
type PublicKey [32]byte

// KeyPair is an agent's key pair. The private key never leaves the agent (its state file or Kubernetes Secret).
type KeyPair struct {
	Public  PublicKey
	Private [32]byte
}

// GenerateKey makes a new key pair.
func GenerateKey() (KeyPair, error) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generate agent key: %w", err)
	}
	return KeyPair{Public: *pub, Private: *priv}, nil
}

// String is the key in standard base64, as the agent registers it.
func (k PublicKey) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// ID names the key: "x25519:" and the first 16 hex digits of its SHA-256.
func (k PublicKey) ID() string {
	h := sha256.Sum256(k[:])
	return "x25519:" + hex.EncodeToString(h[:8])
}

// ParsePublicKey reads a key in standard base64.
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, errors.New("public key must be 32 bytes in standard base64 (an X25519 key)")
	}
	copy(k[:], b)
	if k == (PublicKey{}) {
		return k, errors.New("public key is all zeros")
	}
	return k, nil
}

// Seal encrypts c to pub. Each manifest must be valid (CheckManifest). The plaintext is not kept.
func Seal(pub PublicKey, c SealedContent) (*Sealed, error) {
	if len(c.Apply) == 0 {
		return nil, fmt.Errorf("%w: nothing to seal", ErrInvalid)
	}
	for i, raw := range c.Apply {
		if _, err := CheckManifest(raw); err != nil {
			// The manifest may hold the secret: name its position, never its content.
			return nil, fmt.Errorf("%w: sealed manifest %d: %v", ErrInvalid, i, err)
		}
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	k := [32]byte(pub)
	sealed, err := box.SealAnonymous(nil, plain, &k, rand.Reader)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealed{KeyID: pub.ID(), Box: sealed}, nil
}

// ErrWrongKey is returned for a box sealed to another key than the agent holds (the agent's key changed since the
// work was queued); the work must be queued again, sealed to the new key.
var ErrWrongKey = errors.New("sealed to another agent key")

// Open decrypts s with k.
func (k KeyPair) Open(s *Sealed) (SealedContent, error) {
	var c SealedContent
	if s.KeyID != k.Public.ID() {
		return c, fmt.Errorf("%w: the work was sealed to %s, this agent holds %s; queue it again", ErrWrongKey,
			s.KeyID, k.Public.ID())
	}
	pub, priv := [32]byte(k.Public), k.Private
	plain, ok := box.OpenAnonymous(nil, s.Box, &pub, &priv)
	if !ok {
		return c, errors.New("sealed part does not open with this agent's key: it was altered or sealed to another key")
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, &c); err != nil {
		return c, fmt.Errorf("sealed part holds no sealed content: %w", err)
	}
	return c, nil
}

// MarshalText and UnmarshalText store a key pair (the agent's state): both keys in base64 on two lines.
func (k KeyPair) MarshalText() ([]byte, error) {
	return []byte(k.Public.String() + "\n" + base64.StdEncoding.EncodeToString(k.Private[:]) + "\n"), nil
}

// UnmarshalText reads what MarshalText wrote and checks that the keys belong together.
func (k *KeyPair) UnmarshalText(b []byte) error {
	var pubS, privS string
	if _, err := fmt.Sscan(string(b), &pubS, &privS); err != nil {
		return errors.New("agent key file must hold the public and the private key in base64 on two lines")
	}
	pub, err := ParsePublicKey(pubS)
	if err != nil {
		return err
	}
	priv, err := base64.StdEncoding.DecodeString(privS)
	if err != nil || len(priv) != 32 {
		return errors.New("agent private key must be 32 bytes in standard base64")
	}
	ek, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("agent private key: %w", err)
	}
	if !bytes.Equal(ek.PublicKey().Bytes(), pub[:]) {
		return errors.New("agent key file: the public key does not belong to the private key")
	}
	k.Public = pub
	copy(k.Private[:], priv)
	clear(priv)
	return nil
}
