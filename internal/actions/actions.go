// Package actions runs self-service actions as durable jobs. A request is validated, written as a row (with its
// idempotency key) before anything runs, approved when the environment's policy asks for it, and executed by a
// worker that holds a lease on it: when the worker dies, the lease runs out and the action is resumed. Executors
// are idempotent, so an action that is run again after a crash creates its resource once.
//
// States: pending_approval → approved → running → succeeded | failed, or pending_approval → rejected. Every
// change is kept in the action's history and in the audit log, in the same transaction as the change.
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
)

// States lists every state.
func States() []State {
	return []State{StatePendingApproval, StateApproved, StateRunning, StateSucceeded, StateFailed, StateRejected}
}

// Final reports whether nothing more happens to an action in state s.
func (s State) Final() bool { return s == StateSucceeded || s == StateFailed || s == StateRejected }

// Delivery paths, chosen per environment.
const (
	DeliveryDirect = "direct" // the portal calls AWS with its own credentials
	DeliveryGitOps = "gitops" // the portal opens a pull request with Terraform in the infra repository
	// DeliveryPreview renders the Terraform the gitops path would propose and stops there: nothing is created.
	// Local mode uses it so that the whole request → approval → result flow can be tried on a laptop.
	DeliveryPreview = "preview"
	// DeliveryFlags applies an approved flag change to the flag store.
	DeliveryFlags = "flags"
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
	Reason         string            `json:"reason,omitempty"` // why it was rejected
	Attempts       int               `json:"attempts"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Approvals      []Approval        `json:"approvals"`
	History        []Event           `json:"history"`

	requestHash string
}

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
