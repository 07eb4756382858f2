package catalog

import "time"

// FleetConfig is one version of the fleet configuration as the portal signed it (docs/fleet.md): what travels to
// desktops in the change feed (kind "fleet") and what the history lists. Content is the canonical JSON document
// (base64 on the wire, so that its bytes arrive exactly as signed); Signature is ed25519 over the version and the
// content, by the key KeyID names. The other fields describe the version and are not signed: an install uses only
// the version and the content.
type FleetConfig struct {
	Version   int64     `json:"version"`
	Content   []byte    `json:"content"`
	Signature []byte    `json:"signature"`
	KeyID     string    `json:"key_id"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Note      string    `json:"note,omitempty"`
	// RollbackOf is the version whose content this one restores; 0 for a push.
	RollbackOf int64 `json:"rollback_of,omitempty"`
}
