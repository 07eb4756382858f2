// Package agent is the portal's side of cluster agents (DESIGN.md decision 9): a durable queue of work per cluster
// that `atrium agent`, running inside each cluster with its own narrow RBAC, pulls over an outbound connection,
// applies with server-side apply, and reports on. The portal holds no write credential for any cluster; a job that
// changes a cluster enqueues work here and waits for the agent's report.
//
// Work is data: manifests to apply, objects to delete, rollouts to wait for. A value the portal must never keep (a
// Kubernetes Secret's data, decision 10) travels in the work's sealed part, encrypted to the agent's public key,
// which the agent registers when it says hello: the portal stores only the ciphertext.
//
// The agent process itself lives in package runner.
package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// Limits of work and results.
const (
	// MaxPayload bounds a work item's payload as stored and sent to the agent (its JSON, sealed box included).
	MaxPayload = 1 << 20
	// MaxResult bounds what an agent may report for one item.
	MaxResult = 256 << 10
	// MaxObjects bounds the objects one item applies, deletes or waits for.
	MaxObjects = 100
	// DefaultTimeout is how long an agent waits for the rollouts of an item unless its payload says otherwise.
	DefaultTimeout = 5 * time.Minute
	// MaxTimeout bounds Payload.TimeoutSeconds.
	MaxTimeout = time.Hour
)

// Errors of the queue; the API maps them to statuses.
var (
	ErrNotFound            = errors.New("no such work item")
	ErrInvalid             = errors.New("invalid work")
	ErrIdempotencyConflict = errors.New("idempotency key reused for different work")
	// ErrLeaseLost: the caller no longer holds the item's lease (it ran out and another agent took the item, or
	// the item is finished); whatever it learned is dropped.
	ErrLeaseLost = errors.New("lease lost")
	// ErrNoAgent: no agent of the cluster has registered a public key, so nothing can be sealed to it yet.
	ErrNoAgent = errors.New("no agent has registered for this cluster")
	// ErrBusy: the cluster has as many open long polls as the portal allows.
	ErrBusy = errors.New("too many open polls")
)

// invalid is an ErrInvalid with a message of its own.
type invalid struct{ msg string }

func (e invalid) Error() string        { return e.msg }
func (e invalid) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error { return invalid{fmt.Sprintf(format, args...)} }

// State of a work item.
type State string

// States of a work item: queued → leased → succeeded | failed. A leased item whose lease runs out is offered again.
const (
	StateQueued    State = "queued"
	StateLeased    State = "leased"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
)

// Final reports whether nothing more happens to an item in state s.
func (s State) Final() bool { return s == StateSucceeded || s == StateFailed }

// ObjectRef names one Kubernetes object.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Payload is what an agent does for one work item, in this order: apply every manifest (the sealed ones with
// them), delete the objects named, then wait for the rollouts named.
type Payload struct {
	// Namespace is the namespace of namespaced objects whose manifests name none.
	Namespace string `json:"namespace,omitempty"`
	// Apply are manifests (JSON objects with apiVersion, kind, metadata.name) applied with server-side apply.
	// Secrets never travel here: they go in Sealed.
	Apply []json.RawMessage `json:"apply,omitempty"`
	// Delete are objects to delete; one already gone is no error.
	Delete []ObjectRef `json:"delete,omitempty"`
	// Wait are rollouts to wait for (Deployments): done when available with every replica updated.
	Wait []ObjectRef `json:"wait,omitempty"`
	// TimeoutSeconds bounds the wait for rollouts (default DefaultTimeout, at most MaxTimeout).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// Sealed holds manifests whose content the portal must not keep, encrypted to the agent (SealedContent).
	Sealed *Sealed `json:"sealed,omitempty"`
}

// Timeout is how long the rollouts of p may take.
func (p Payload) Timeout() time.Duration {
	if p.TimeoutSeconds <= 0 {
		return DefaultTimeout
	}
	return time.Duration(p.TimeoutSeconds) * time.Second
}

// Work is what a caller enqueues.
type Work struct {
	// Kind says what the work is for ("deploy", "secret", "drift-fix"): shown and logged, not interpreted.
	Kind string
	// IdempotencyKey is the caller's name for this work, e.g. an action's id and step: enqueueing the same key
	// for a cluster again returns the item already queued.
	IdempotencyKey string
	// Ref names who waits for the item, e.g. "action/act_12ab"; Queue.OnFinish hears it.
	Ref     string
	Payload Payload
}

// Item is a work item as stored.
type Item struct {
	ID             string    `json:"id"`
	Cluster        string    `json:"cluster"`
	Kind           string    `json:"kind"`
	Ref            string    `json:"ref,omitempty"`
	IdempotencyKey string    `json:"idempotency_key"`
	Payload        Payload   `json:"payload"`
	State          State     `json:"state"`
	Attempts       int       `json:"attempts"`
	LeaseID        string    `json:"lease_id,omitempty"`
	LeaseUntil     time.Time `json:"lease_until,omitzero"`
	Result         *Result   `json:"result,omitempty"`
	Error          string    `json:"error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`

	requestHash string
}

// Result is what the agent reports for an item.
type Result struct {
	// Objects are the objects of the item in the order handled, each with what happened to it.
	Objects []ObjectResult `json:"objects"`
	// Message says why the item failed, in a sentence; empty when it succeeded.
	Message string `json:"message,omitempty"`
}

// What happened to an object.
const (
	ActionCreated    = "created"
	ActionConfigured = "configured"
	ActionUnchanged  = "unchanged"
	ActionDeleted    = "deleted"
	ActionAbsent     = "absent"  // to delete, and already gone
	ActionRefused    = "refused" // the API server refused it (Error says why)
	ActionSkipped    = "skipped" // not applied, because another object of the item was refused
)

// ObjectResult is what happened to one object.
type ObjectResult struct {
	ObjectRef
	Action string `json:"action"`
	// Sealed marks an object that travelled sealed: nothing of its content is reported.
	Sealed bool `json:"sealed,omitempty"`
	// URL is a Service's address inside the cluster, e.g. http://hello.apps.svc.cluster.local:8080.
	URL     string     `json:"url,omitempty"`
	Rollout *Rollout   `json:"rollout,omitempty"`
	Error   *KubeError `json:"error,omitempty"`
}

// Rollout outcomes.
const (
	RolloutAvailable = "available"
	RolloutFailed    = "failed"  // the Deployment's progress deadline passed
	RolloutTimeout   = "timeout" // the item's timeout passed first
)

// Rollout is how a Deployment's rollout ended, as the agent watched it.
type Rollout struct {
	Status    string  `json:"status"`
	Replicas  int32   `json:"replicas"`
	Updated   int32   `json:"updated"`
	Available int32   `json:"available"`
	Message   string  `json:"message,omitempty"`
	Seconds   float64 `json:"seconds"` // from the end of the apply to the outcome
}

// KubeError is the API server's refusal of an object: its status, reason and message, and the fields at fault.
type KubeError struct {
	Status  int     `json:"status"`
	Reason  string  `json:"reason"`
	Message string  `json:"message"`
	Causes  []Cause `json:"causes,omitempty"`
}

// Cause is one field the API server found wrong (metav1.StatusCause).
type Cause struct {
	Field   string `json:"field"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Failed reports whether r describes a failure: an object refused or a rollout that did not become available.
func (r Result) Failed() bool {
	if r.Message != "" {
		return true
	}
	for _, o := range r.Objects {
		if o.Action == ActionRefused || o.Rollout != nil && o.Rollout.Status != RolloutAvailable {
			return true
		}
	}
	return false
}

// ValidCluster reports whether name can name a cluster (the catalog's name syntax, as the cluster registry uses).
func ValidCluster(name string) bool { return catalog.ValidName(name) }

// CheckManifest says what is wrong with one manifest, or nil: it must be a JSON object with apiVersion, kind and
// metadata.name.
func CheckManifest(raw json.RawMessage) (ObjectRef, error) {
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return ObjectRef{}, fmt.Errorf("not a JSON object with apiVersion, kind and metadata: %w", err)
	}
	ref := ObjectRef{APIVersion: m.APIVersion, Kind: m.Kind, Namespace: m.Metadata.Namespace, Name: m.Metadata.Name}
	var missing []string
	for _, f := range []struct{ name, v string }{{"apiVersion", ref.APIVersion}, {"kind", ref.Kind}, {"metadata.name", ref.Name}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return ref, fmt.Errorf("lacks %s", strings.Join(missing, ", "))
	}
	if len(ref.Name) > 253 || len(ref.Namespace) > 63 {
		return ref, errors.New("metadata.name is longer than 253 characters or metadata.namespace than 63")
	}
	return ref, nil
}

// isSecret reports whether ref is a core Secret, whose data must travel sealed.
func isSecret(ref ObjectRef) bool { return ref.Kind == "Secret" && ref.APIVersion == "v1" }

// check names every problem of w's payload; the error wraps ErrInvalid.
func (w Work) check() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if w.Kind == "" || len(w.Kind) > 64 {
		add("kind: required, at most 64 characters")
	}
	if w.IdempotencyKey == "" || len(w.IdempotencyKey) > 200 {
		add("idempotency key: required, at most 200 characters")
	}
	if len(w.Ref) > 200 {
		add("ref: at most 200 characters")
	}
	p := w.Payload
	if len(p.Apply)+len(p.Delete)+len(p.Wait) == 0 && p.Sealed == nil {
		add("payload: nothing to apply, delete or wait for")
	}
	if len(p.Apply) > MaxObjects || len(p.Delete) > MaxObjects || len(p.Wait) > MaxObjects {
		add("payload: at most %d objects to apply, to delete and to wait for", MaxObjects)
	}
	if len(p.Namespace) > 63 {
		add("payload.namespace: at most 63 characters")
	}
	for i, raw := range p.Apply {
		ref, err := CheckManifest(raw)
		switch {
		case err != nil:
			add("payload.apply[%d]: %v", i, err)
		case isSecret(ref):
			add("payload.apply[%d]: %s is a Secret: its data must travel sealed to the agent (payload.sealed), "+
				"never in the clear", i, ref)
		}
	}
	for i, ref := range p.Delete {
		if ref.APIVersion == "" || ref.Kind == "" || ref.Name == "" {
			add("payload.delete[%d]: apiVersion, kind and name are required", i)
		}
	}
	for i, ref := range p.Wait {
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name == "" {
			add("payload.wait[%d]: only rollouts of Deployments (apps/v1, with a name) can be waited for", i)
		}
	}
	if p.TimeoutSeconds < 0 || time.Duration(p.TimeoutSeconds)*time.Second > MaxTimeout {
		add("payload.timeout_seconds: from 0 (the default, %v) to %d", DefaultTimeout, int(MaxTimeout.Seconds()))
	}
	if p.Sealed != nil && (p.Sealed.KeyID == "" || len(p.Sealed.Box) == 0) {
		add("payload.sealed: key_id and box are required")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}
