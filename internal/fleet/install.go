package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// InstallState is what an install keeps of one portal's fleet configuration: the portal's pinned key, the last
// good configuration, and why the newest one it received was refused. The desktop persists it in its data
// directory, one per portal.
type InstallState struct {
	// Key is the portal's public key (base64), pinned the first time the install saw it.
	Key      string    `json:"key,omitempty"`
	KeyID    string    `json:"key_id,omitempty"`
	PinnedAt time.Time `json:"pinned_at,omitzero"`
	// Config is the last good configuration: verified and valid, applied whole.
	Config    *catalog.FleetConfig `json:"config,omitempty"`
	AppliedAt time.Time            `json:"applied_at,omitzero"`
	// OfferedKey is a key the portal now presents instead of the pinned one. Configurations it signs are refused
	// until the user trusts it (Install.Trust): a changed key is what an attacker in the middle would present too.
	OfferedKey string `json:"offered_key,omitempty"`
	// Held is the newest configuration refused for its key alone: checked again when its key is trusted.
	Held *catalog.FleetConfig `json:"held,omitempty"`
	// Refused says why the newest configuration received was not applied; nil once one is.
	Refused *Refusal `json:"refused,omitempty"`
}

// Reasons for refusing a configuration.
const (
	RefusedKey       = "key"       // no key pinned, or signed by a key the install does not trust
	RefusedSignature = "signature" // altered, or not signed by the pinned key
	RefusedReplay    = "replay"    // not newer than the configuration applied
	RefusedInvalid   = "invalid"   // this install cannot apply a setting (unknown, invalid, newer schema)
)

// Refusal is why an install did not apply a configuration; it keeps its last good one.
type Refusal struct {
	Version  int64            `json:"version"`
	Reason   string           `json:"reason"`
	Message  string           `json:"message"`
	Problems problem.Problems `json:"problems,omitempty"`
	At       time.Time        `json:"at"`
}

// Install is an install's side of the fleet configuration for one portal. It is safe for concurrent use.
type Install struct {
	// Now stamps pins, applications and refusals; time.Now when nil.
	Now func() time.Time

	mu  sync.Mutex
	st  InstallState
	doc Document
}

// NewInstall resumes an install from its saved state. A saved configuration is checked again against the pinned
// key and the schema: one that fails (a state file edited by hand, a downgraded app) is dropped, with the reason.
func NewInstall(st InstallState) *Install {
	in := &Install{st: st}
	if st.Config != nil {
		doc, err := in.check(*st.Config)
		if err != nil {
			in.st.Config = nil
			in.st.Refused = err
		} else {
			in.doc = doc
		}
	}
	return in
}

func (in *Install) now() time.Time {
	if in.Now != nil {
		return in.Now().UTC()
	}
	return time.Now().UTC()
}

// State is a copy of the install's state.
func (in *Install) State() InstallState {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.st
}

// Applied is the configuration in force and its version (0: none).
func (in *Install) Applied() (Document, int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.st.Config == nil {
		return Document{}, 0
	}
	return in.doc, in.st.Config.Version
}

// Offer hands the install what one change-feed batch carried: the portal's key (base64; "" from a portal that
// signs nothing) and the configuration, if the batch had one. The key is pinned on first sight. A configuration is
// applied only if its key is the pinned one, its signature verifies, it is newer than the one applied and every
// setting is one this install can apply; otherwise it is refused whole, with the reason, and the last good
// configuration stays. changed reports whether the state changed (to persist and report it).
func (in *Install) Offer(key string, c *catalog.FleetConfig) (changed bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if key != "" {
		switch {
		case in.st.Key == "":
			if pub, err := ParsePublicKey(key); err == nil {
				in.st.Key, in.st.KeyID, in.st.PinnedAt, changed = key, KeyID(pub), in.now(), true
			}
		case key != in.st.Key && key != in.st.OfferedKey:
			in.st.OfferedKey, changed = key, true
		case key == in.st.Key && in.st.OfferedKey != "":
			in.st.OfferedKey, in.st.Held, changed = "", nil, true
		}
	}
	if c != nil {
		changed = in.receive(*c) || changed
	}
	return changed
}

// receive applies or refuses c; in.mu is held.
func (in *Install) receive(c catalog.FleetConfig) bool {
	if cur := in.st.Config; cur != nil && c.Version == cur.Version && bytes.Equal(c.Content, cur.Content) &&
		bytes.Equal(c.Signature, cur.Signature) {
		return false // the one in force, delivered again (a replica starting over)
	}
	if in.st.OfferedKey != "" {
		if pub, err := ParsePublicKey(in.st.OfferedKey); err == nil && c.KeyID == KeyID(pub) {
			held := c
			in.st.Held = &held
			return in.refuse(Refusal{Version: c.Version, Reason: RefusedKey, Message: fmt.Sprintf(
				"signed by the portal's new key %s, which this install does not trust (it pinned %s); trust the new key "+
					"if your platform team rotated it (docs/fleet.md)", c.KeyID, in.st.KeyID)})
		}
	}
	doc, r := in.check(c)
	if r != nil {
		return in.refuse(*r)
	}
	applied := c
	in.st.Config, in.st.AppliedAt, in.st.Refused, in.st.Held, in.doc = &applied, in.now(), nil, nil, doc
	return true
}

// check verifies c against the pinned key and the configuration applied, and parses it; in.mu is held (or in is
// not shared yet).
func (in *Install) check(c catalog.FleetConfig) (Document, *Refusal) {
	refusal := func(reason, msg string, ps problem.Problems) *Refusal {
		return &Refusal{Version: c.Version, Reason: reason, Message: msg, Problems: ps, At: in.now()}
	}
	if in.st.Key == "" {
		return Document{}, refusal(RefusedKey, "no signing key of the portal is pinned: the portal sent none", nil)
	}
	pub, err := ParsePublicKey(in.st.Key)
	if err != nil {
		return Document{}, refusal(RefusedKey, "the pinned key is unreadable: "+err.Error(), nil)
	}
	if err := Verify(pub, c); err != nil {
		return Document{}, refusal(RefusedSignature, err.Error(), nil)
	}
	if cur := in.st.Config; cur != nil && c.Version <= cur.Version {
		if c.Version < cur.Version || !bytes.Equal(c.Content, cur.Content) {
			return Document{}, refusal(RefusedReplay, fmt.Sprintf("version %d is not newer than version %d applied: refused as "+
				"a replay (a portal restored from a backup must push a new version)", c.Version, cur.Version), nil)
		}
	}
	doc, ps := Parse(c.Content, Options{})
	if len(ps) > 0 {
		return Document{}, refusal(RefusedInvalid, fmt.Sprintf("cannot apply version %d: %s; keeping the last good "+
			"configuration", c.Version, ps.Error()), ps)
	}
	return doc, nil
}

func (in *Install) refuse(r Refusal) bool {
	if r.At.IsZero() {
		r.At = in.now()
	}
	if old := in.st.Refused; old != nil && old.Version == r.Version && old.Reason == r.Reason && old.Message == r.Message {
		return false
	}
	in.st.Refused = &r
	return true
}

// ErrNothingToTrust is returned by Trust when the portal presents no new key, or another one than asked.
var ErrNothingToTrust = errors.New("the portal presents no new signing key with that fingerprint")

// Trust pins the key the portal now presents in place of the pinned one — the documented way to re-pin after a
// key rotation — when its fingerprint is keyID (so that the user trusts the key they were shown). A configuration
// held for that key is then checked again.
func (in *Install) Trust(keyID string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	pub, err := ParsePublicKey(in.st.OfferedKey)
	if in.st.OfferedKey == "" || err != nil || KeyID(pub) != keyID {
		return ErrNothingToTrust
	}
	in.st.Key, in.st.KeyID, in.st.PinnedAt, in.st.OfferedKey = in.st.OfferedKey, keyID, in.now(), ""
	// The applied configuration was signed by the old key; it stays in force until the portal's next one, but is
	// not checked against the new key (it would fail).
	held := in.st.Held
	in.st.Held = nil
	if in.st.Refused != nil && in.st.Refused.Reason == RefusedKey {
		in.st.Refused = nil
	}
	if held != nil {
		in.receive(*held)
	}
	return nil
}

// Problem says in one line why the install is not on the configuration its portal sends — a refused
// configuration, a changed key — or "" when nothing is wrong: what the install reports to its portal.
func (in *Install) Problem() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	var s string
	switch {
	case in.st.OfferedKey != "":
		id := ""
		if pub, err := ParsePublicKey(in.st.OfferedKey); err == nil {
			id = KeyID(pub)
		}
		s = fmt.Sprintf("the portal's signing key changed (pinned %s, now %s): configurations refused until re-pinned",
			in.st.KeyID, id)
	case in.st.Refused != nil:
		s = fmt.Sprintf("version %d refused (%s): %s", in.st.Refused.Version, in.st.Refused.Reason, in.st.Refused.Message)
	}
	return clipText(s, 300)
}

func clipText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !isBoundary(s, n) {
		n--
	}
	return s[:n] + "…"
}

func isBoundary(s string, i int) bool { return i == len(s) || s[i]&0xC0 != 0x80 }
