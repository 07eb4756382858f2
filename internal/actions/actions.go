// Package actions runs self-service actions as durable jobs. A request is validated, written as a row (with its
// idempotency key) before anything runs, approved when the environment's policy asks for it, and executed by a
// worker that holds a lease on it: when the worker dies, the lease runs out and the action is resumed. Executors
// are idempotent, so an action that is run again after a crash creates its resource once.
//
// States: pending_approval → approved → running → succeeded | failed, or pending_approval → rejected; a failed
// action may be retried (failed → approved), and one that has not finished may be cancelled (→ cancelled). Every
// change is kept in the action's history and in the audit log, in the same transaction as the change.
//
// An action may be made of ordered steps (RunSteps): each step's progress is stored before the next starts, so a
// run resumes at the step it was in, and a retry redoes only the failed step and those after it.
package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sphera/atrium/internal/problem"
)

// Kind names what an action does.
type Kind string

// Kinds of action.
const (
	KindSQSQueue Kind = "sqs_queue" // an SQS queue for a service
	KindSNSTopic Kind = "sns_topic" // an SNS topic, optionally with an SQS subscription
	// KindFlagChange is a feature-flag change that policy holds for approval; other packages submit it (see
	// Service.Submit) and the flags delivery path applies it once approved.
	KindFlagChange Kind = "flag_change"
	// KindServiceCreate is the golden path's run: a new service's repository, catalog entry, infrastructure pull
	// request and dev deployment, in steps. Its requests are checked by the Preparer registered for it.
	KindServiceCreate Kind = "service_create"
)

// Kinds lists every kind a user requests with POST /actions.
func Kinds() []Kind { return []Kind{KindSQSQueue, KindSNSTopic} }

// State of an action.
type State string

// States of an action.
const (
	StatePendingApproval State = "pending_approval"
	StateApproved        State = "approved"
	StateRunning         State = "running"
	StateSucceeded       State = "succeeded"
	StateFailed          State = "failed"
	StateRejected        State = "rejected"
	// StateCancelled: someone stopped the action before it finished; its result says what it left behind.
	StateCancelled State = "cancelled"
)

// States lists every state.
func States() []State {
	return []State{StatePendingApproval, StateApproved, StateRunning, StateSucceeded, StateFailed, StateRejected,
		StateCancelled}
}

// Final reports whether nothing more happens to an action in state s by itself (a failed action may still be
// retried by a person).
func (s State) Final() bool {
	return s == StateSucceeded || s == StateFailed || s == StateRejected || s == StateCancelled
}

// Delivery paths, chosen per environment.
const (
	DeliveryDirect = "direct" // the portal calls AWS with its own credentials
	DeliveryGitOps = "gitops" // the portal opens a pull request with Terraform in the infra repository
	// DeliveryPreview renders the Terraform the gitops path would propose and stops there: nothing is created.
	// Local mode uses it so that the whole request → approval → result flow can be tried on a laptop.
	DeliveryPreview = "preview"
	// DeliveryFlags applies an approved flag change to the flag store.
	DeliveryFlags = "flags"
	// DeliveryGolden runs the golden path for real: GitHub, the catalog, the infrastructure pull request and the
	// dev clusters' agents. A service_create action in an environment whose delivery is direct or gitops uses it;
	// in a preview environment it previews (DeliveryPreview).
	DeliveryGolden = "golden"
)

// Action is one requested action and everything that happened to it.
type Action struct {
	ID             string            `json:"id"`
	Requester      string            `json:"requester"`
	Team           string            `json:"team"`
	Service        string            `json:"service"`
	Kind           Kind              `json:"kind"`
	Params         json.RawMessage   `json:"params"`
	Environment    string            `json:"environment"`
	Region         string            `json:"region"`
	Delivery       string            `json:"delivery"`
	IdempotencyKey string            `json:"idempotency_key"`
	State          State             `json:"state"`
	Approvers      []string          `json:"approvers"` // roles that may approve; empty when none is needed
	Result         map[string]string `json:"result"`    // queue_url, queue_arn, topic_arn, subscription_arn, pr_url, ...
	Error          string            `json:"error,omitempty"`
	Reason         string            `json:"reason,omitempty"` // why it was rejected or cancelled
	Attempts       int               `json:"attempts"`
	// Version grows with every change a reader can see; GET /actions/{id}?version=N&wait=... waits for the next.
	Version int64 `json:"version"`
	// CancelRequested: a cancel arrived while a step was running; the action stops before its next step.
	CancelRequested bool `json:"cancel_requested"`
	// Steps of a multi-step action, in order; empty for single-step actions.
	Steps     []StepRecord `json:"steps"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Approvals []Approval   `json:"approvals"`
	History   []Event      `json:"history"`

	requestHash string
	document    string // what a multi-step action runs (Document), fixed at request time
	leaseOwner  string // the worker holding the action while it runs
}

// Document is what a multi-step action runs, stored with it when it was requested (the golden path's plan, as the
// requester reviewed it); empty for other actions. It is not part of the action's JSON.
func (a Action) Document() string { return a.document }

// Approval is one approver's decision.
type Approval struct {
	Approver string    `json:"approver"`
	Decision string    `json:"decision"` // approved | rejected
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// Event is one state change: who moved the action from one state to another, when and why.
type Event struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	From    State     `json:"from,omitempty"`
	To      State     `json:"to"`
	Message string    `json:"message,omitempty"`
}

// Request is what a requester asks for.
type Request struct {
	Kind        Kind            `json:"kind"`
	Service     string          `json:"service"`
	Environment string          `json:"environment"`
	Region      string          `json:"region"`
	Params      json.RawMessage `json:"params"`
}

// SQSQueueParams are the parameters of an sqs_queue action.
type SQSQueueParams struct {
	Name string `json:"name"`
	// FIFO makes a FIFO queue; its name must then end in ".fifo" (and only then).
	FIFO bool `json:"fifo,omitempty"`
	// VisibilityTimeoutSeconds, 0–43200; AWS's default (30) when absent.
	VisibilityTimeoutSeconds *int `json:"visibility_timeout_seconds,omitempty"`
	// MessageRetentionSeconds, 60–1209600; AWS's default (345600) when absent.
	MessageRetentionSeconds *int `json:"message_retention_seconds,omitempty"`
}

// SNSTopicParams are the parameters of an sns_topic action.
type SNSTopicParams struct {
	Name string `json:"name"`
	FIFO bool   `json:"fifo,omitempty"`
	// SubscribeQueue, when set, names an SQS queue in the same environment and region to subscribe to the topic.
	SubscribeQueue string `json:"subscribe_queue,omitempty"`
	// RawMessageDelivery of the subscription.
	RawMessageDelivery bool `json:"raw_message_delivery,omitempty"`
}

// Errors of the service; the API maps them to statuses.
var (
	ErrNotFound  = errors.New("no such action")
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the action is not in a state that allows the operation (approving a rejected action).
	ErrConflict = errors.New("conflict")
	// ErrIdempotencyConflict: the idempotency key was used before for a different request.
	ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")
)

// invalid is the error of a request refused for its problems (each at the field it is about): errors.As finds
// the problem.Problems.
func invalid(ps problem.Problems) error {
	return fmt.Errorf("invalid action request: nothing was stored: %w", ps)
}

// permanentError marks an executor error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix: the action fails at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Permanentf is Permanent(fmt.Errorf(...)).
func Permanentf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }
