package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// DriftItem is one difference between what should exist and what does (docs/drift.md): a resource missing in an
// environment or region where its siblings exist, one that is live but declared nowhere, or one whose live state
// differs from its gitops declaration, field by field. The portal detects them; every replica receives them through
// the change feed, so desktops show drift offline.
type DriftItem struct {
	// ID is stable for one kind of drift of one resource in one place (DriftID), so that a drift seen again is
	// the same item, with its acknowledgement.
	ID   string `json:"id"`
	Kind string `json:"kind"` // DriftMissing, DriftUnmanaged, DriftChanged
	// Service owns the resource ("" when no service is known); Team owns the service.
	Service string `json:"service"`
	Team    string `json:"team"`
	// Resource names it for a person: "sqs_queue orders-events", "Deployment payments/payments-api".
	Resource     string `json:"resource"`
	ResourceType string `json:"resource_type"` // DriftSQSQueue, DriftSNSTopic, DriftSecret, or a Kubernetes kind
	Name         string `json:"name"`
	Namespace    string `json:"namespace,omitempty"`
	Environment  string `json:"environment"`
	Region       string `json:"region"`
	Cluster      string `json:"cluster,omitempty"`
	// Fields are the differences of a changed resource: path, declared value, live value.
	Fields []DriftField `json:"fields,omitempty"`
	// Summary says what is wrong in one line.
	Summary string `json:"summary"`
	// ExistsIn are the places a missing resource's siblings exist (ENVIRONMENT/REGION).
	ExistsIn []string `json:"exists_in,omitempty"`
	// Source is where the desired state comes from: DriftFromGitOps, DriftFromPortal, or DriftFromSiblings.
	Source string `json:"source"`
	// DeclaredIn is the declaration: "sphera/deploy@1a2b3c4 clusters/prod-eu-1/payments.yaml", "action a-42".
	DeclaredIn string `json:"declared_in,omitempty"`
	// Since is when the drift was first seen; it stays while the drift lasts.
	Since time.Time `json:"since"`
	// LastChangedBy is who last changed the live resource where it is known (a Kubernetes field manager such as
	// kubectl-edit, an AWS principal), and when.
	LastChangedBy string    `json:"last_changed_by,omitempty"`
	LastChangedAt time.Time `json:"last_changed_at,omitzero"`
	// Acknowledgement is set while someone has acknowledged the item, or silenced it until a time.
	Acknowledgement *DriftAck `json:"acknowledgement,omitempty"`
	// ResolvedAt is when the drift disappeared (live matched again); zero while it lasts.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Fixes are the fixes that apply (DriftFixPullRequest, DriftFixReapply, DriftFixCreate); who may run them is
	// the portal's to decide when asked.
	Fixes []string `json:"fixes"`
	// Fix is what the last fix requested: an action's id, a pull request's URL.
	Fix       *DriftFix `json:"fix,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// State is derived when the item is read (DriftState): open, acknowledged, silenced or resolved.
	State string `json:"state"`
}

// DriftField is one field that differs: "spec.maxReplicas 10 → 25".
type DriftField struct {
	Path    string `json:"path"`
	Desired string `json:"desired"`
	Live    string `json:"live"`
}

// DriftAck is an acknowledgement (Until zero: until the drift resolves) or a silence (until Until), with its reason.
type DriftAck struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	Until  time.Time `json:"until,omitzero"`
}

// DriftFix is the last fix requested for an item.
type DriftFix struct {
	Kind   string    `json:"kind"` // a DriftFix* value
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Action string    `json:"action,omitempty"` // the action that creates the missing copy
	URL    string    `json:"url,omitempty"`    // the pull request
	Work   string    `json:"work,omitempty"`   // the agent's work item re-applying the declaration
}

// Kinds of drift.
const (
	DriftMissing   = "missing"   // absent in a place where its siblings exist (or where the portal created it)
	DriftUnmanaged = "unmanaged" // live, declared nowhere
	DriftChanged   = "changed"   // live differs from its declaration
)

// States of a drift item.
const (
	DriftOpen         = "open"
	DriftAcknowledged = "acknowledged"
	DriftSilenced     = "silenced"
	DriftResolved     = "resolved"
)

// Where the desired state of a drift item comes from.
const (
	DriftFromGitOps   = "gitops"   // a manifest or Terraform file of a gitops repository
	DriftFromPortal   = "portal"   // an action of the portal created it
	DriftFromSiblings = "siblings" // it exists in the environment's other regions or clusters
)

// Resource types of drift items besides Kubernetes kinds.
const (
	DriftSQSQueue = "sqs_queue"
	DriftSNSTopic = "sns_topic"
	DriftSecret   = "secret"
)

// Fixes of drift.
const (
	DriftFixPullRequest = "pull_request" // a pull request to the gitops repository bringing it in line with live
	DriftFixReapply     = "reapply"      // the cluster's agent applies the declaration again
	DriftFixCreate      = "create"       // the same pipeline as the original request creates the missing copy
)

// DriftID is the id of kind of drift of a resource (type, namespace, name) in a place: stable and short.
func DriftID(kind, resourceType, namespace, name, env, region, cluster string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{kind, resourceType, namespace, name, env, region, cluster}, "\x00")))
	return hex.EncodeToString(h[:10])
}

// DriftState is the state of d at now: resolved, silenced (until its time), acknowledged, or open.
func DriftState(d DriftItem, now time.Time) string {
	switch {
	case !d.ResolvedAt.IsZero():
		return DriftResolved
	case d.Acknowledgement == nil:
		return DriftOpen
	case d.Acknowledgement.Until.IsZero():
		return DriftAcknowledged
	case now.Before(d.Acknowledgement.Until):
		return DriftSilenced
	}
	return DriftOpen
}

// Place names where the item is: "production eu-west-1", "production eu-west-1 (cluster prod-eu-1)".
func (d DriftItem) Place() string {
	p := d.Environment + " " + d.Region
	if d.Cluster != "" {
		p += " (cluster " + d.Cluster + ")"
	}
	return strings.TrimSpace(p)
}

// DriftStatus is what the last detection could and could not see: each place (a region's AWS services, a
// cluster) with its state. Drift is not reported where a place is unknown, and items there are kept as they were.
type DriftStatus struct {
	CheckedAt time.Time    `json:"checked_at,omitzero"`
	Places    []DriftPlace `json:"places"`
	// Declarations counts what the desired state was read from (gitops files, portal actions).
	Declarations int `json:"declarations"`
}

// DriftPlace is one place drift looks at.
type DriftPlace struct {
	Environment string `json:"environment"`
	Region      string `json:"region"`
	Cluster     string `json:"cluster,omitempty"`
	// What is looked at there: "aws" (with the services listed) or "kubernetes".
	Kind   string `json:"kind"`
	State  string `json:"state"` // DriftPlaceOK or DriftPlaceUnknown
	Reason string `json:"reason,omitempty"`
}

// States of a place.
const (
	DriftPlaceOK      = "ok"
	DriftPlaceUnknown = "unknown" // unreachable, refused or not listed yet: nothing is concluded there
)
