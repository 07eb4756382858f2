// Package secrets lets developers see every service's secrets and create, rotate, delete and (where the
// conventions allow) reveal their own team's, through the portal (docs/secrets.md). Values pass through; they are
// never kept (DESIGN.md decision 10): what the portal stores, syncs, logs and audits is a secret's metadata and a
// reference to a value on its way.
//
// A write is an action (internal/actions) of one environment whose steps are its targets — a region of AWS
// Secrets Manager, a cluster's Kubernetes Secret (written by the cluster's agent), local mode's vault — so that
// approvals, audit, retry from the failed target and cancel are the actions pipeline's. The value arrives in the
// request body and is sealed at once, per target, to the key that will open it (the cluster agent's, or the
// portal's staging key kept in a file outside the database); the action's parameters hold only a reference.
// Each target's sealed value is deleted as soon as that target has the value.
package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
)

// Kinds of secret actions, and their delivery path.
const (
	KindCreate actions.Kind = "secret_create"
	KindRotate actions.Kind = "secret_rotate"
	KindDelete actions.Kind = "secret_delete"
	// Delivery is the delivery path that carries out secret actions (Executor).
	Delivery = "secrets"
)

// Operations of a write request.
const (
	OpCreate = "create"
	OpRotate = "rotate"
	OpDelete = "delete"
)

func kindOf(op string) actions.Kind {
	switch op {
	case OpCreate:
		return KindCreate
	case OpRotate:
		return KindRotate
	}
	return KindDelete
}

// Target is one place a write goes: an environment's region, with its backend and the backend's name of the
// secret (for Kubernetes, the cluster, namespace and Secret name).
type Target struct {
	catalog.SecretPlace
	Object string `json:"object"`
}

// Params are what a secret action stores (and shows): the secret, the operation, the targets and the reference of
// the staged value — never the value.
type Params struct {
	Name      string   `json:"name"`
	FullName  string   `json:"full_name"`
	Operation string   `json:"operation"`
	ValueRef  string   `json:"value_ref,omitempty"`
	Targets   []Target `json:"targets"`
}

// Backend is a store of values the portal writes itself: AWS Secrets Manager (one client per region) and local
// mode's vault. (Kubernetes Secrets are written by the clusters' agents, never by the portal.) Errors never hold a
// value; an error wrapping ErrRefused is the backend's refusal (no retry helps), others may be retried.
type Backend interface {
	// Put makes value the current version of the secret at t. version is an idempotency token: putting the same
	// version again changes nothing. meta names the secret (tags).
	Put(ctx context.Context, t Target, version string, value []byte, meta Meta) error
	// Delete removes the secret at t; one already gone is no error.
	Delete(ctx context.Context, t Target) error
	// Read returns the current value of the secret at t (a reveal); ErrNoValue when it has none.
	Read(ctx context.Context, t Target) ([]byte, error)
}

// Meta names a secret for a backend's tags.
type Meta struct {
	Team, Service, Name, Environment string
}

// Errors of the package; the API maps them to statuses.
var (
	// ErrRefused: the backend refused the write (permissions, a name it does not take): retrying does not help.
	ErrRefused = errors.New("the backend refused")
	// ErrNoValue: the backend has no value for the secret (deleted outside the portal).
	ErrNoValue = errors.New("the backend holds no value for the secret")
	// ErrForbidden: the caller may not do this to the secret (policy or conventions).
	ErrForbidden = errors.New("forbidden")
	// ErrNotRevealable: the secret's backend cannot be read by the portal (a Kubernetes Secret).
	ErrNotRevealable = errors.New("not revealable through the portal")
	// ErrNotConfigured: the portal has no secrets configured.
	ErrNotConfigured = errors.New("no secrets configured on this portal")
)

// valueRef is the reference a request's value is staged under: from the requester and the idempotency key only
// (never from the value), so that the same request sent again finds its staged value and its action.
func valueRef(requester, key string) string {
	h := sha256.Sum256([]byte(requester + "\x00" + key))
	return "sv_" + hex.EncodeToString(h[:12])
}

// versionToken is the version a target is written under: the same for every attempt of one action's target, in
// the UUID shape AWS Secrets Manager's ClientRequestToken takes.
func versionToken(ref string, t Target) string {
	h := sha256.Sum256([]byte(ref + "\x00" + t.Key()))
	x := hex.EncodeToString(h[:16])
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

// stepID is the step of an action that writes or deletes t.
func stepID(op string, t Target) string {
	if op == OpDelete {
		return "delete:" + t.Key()
	}
	return "write:" + t.Key()
}
