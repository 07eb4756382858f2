package api

import (
	"encoding/json"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/store"
)

// Wire types: the request and response bodies that exist only on the wire, in this one file, each named after its
// schema in openapi.yaml (components/schemas) where it has one. A change to a body is a change to this file and to
// the OpenAPI file together (the tests validate every response against the latter).
//
// What the domain serves as it is — catalog.Service, catalog.Cluster, catalog.Claim, actions.Action, sources.Status,
// audit.Event, flagstore.Entry, store pages — carries its JSON tags where it is defined, as the document it is; a
// body that adds to one embeds it here (ActionView). Error bodies are errors.go's (Error, FieldProblem).

// Items is a list response, {"items": [...]}.
type Items[T any] struct {
	Items []T `json:"items"`
}

// HealthStatus is the Health schema: GET /healthz.
type HealthStatus struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// Caller is the Me schema: who the caller is and what they may do (GET /api/v1/me).
type Caller struct {
	Subject     string       `json:"subject"`
	Via         string       `json:"via"`
	Grants      []auth.Grant `json:"grants"`
	Scopes      []string     `json:"scopes"`
	Permissions []string     `json:"permissions"`
}

// SignInMethods tells a client how it may sign in (GET /api/v1/auth/methods).
type SignInMethods struct {
	Token bool        `json:"token"`
	OIDC  *OIDCIssuer `json:"oidc,omitempty"`
}

// OIDCIssuer is the identity provider whose ID tokens a portal accepts.
type OIDCIssuer struct {
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
}

// ---- tokens ----

// TokenCreate is the body of POST /api/v1/tokens.
type TokenCreate struct {
	Name      string       `json:"name"`
	Subject   string       `json:"subject"`
	Grants    []auth.Grant `json:"grants"`
	Scopes    []string     `json:"scopes"`
	ExpiresAt *time.Time   `json:"expires_at"`
}

// TokenCreated answers POST /api/v1/tokens: the token and, this once, its secret.
type TokenCreated struct {
	Token  auth.Token `json:"token"`
	Secret string     `json:"secret"`
}

// TokenList answers GET /api/v1/tokens.
type TokenList struct {
	Tokens []auth.Token `json:"tokens"`
}

// ---- audit ----

// AuditPage is a page of the audit trail, newest first.
type AuditPage struct {
	Events []audit.Event `json:"events"`
	// NextBefore is the cursor of the next (older) page; absent on the last.
	NextBefore int64 `json:"next_before,omitempty"`
}

// ---- actions ----

// ActionOptions tells the UI what may be requested where, and who approves it.
type ActionOptions struct {
	Kinds        []actions.Kind      `json:"kinds"`
	Environments []EnvironmentOption `json:"environments"`
}

// EnvironmentOption is an environment where actions may be requested.
type EnvironmentOption struct {
	Name      string   `json:"name"`
	Regions   []string `json:"regions"`
	Delivery  string   `json:"delivery"`
	Approvers []string `json:"approvers"`
}

// ActionList is a list of actions (GET /api/v1/actions, GET /api/v1/approvals).
type ActionList struct {
	Actions []actions.Action `json:"actions"`
}

// ActionView is an action as one caller sees it: whether they may decide on it, and if not, why — so the UI can
// disable the buttons and say so.
type ActionView struct {
	actions.Action
	MayApprove       bool   `json:"may_approve"`
	MayApproveReason string `json:"may_approve_reason,omitempty"`
	// MayRetry and MayCancel: the caller may retry this (failed) action, or cancel this (unfinished) one.
	MayRetry  bool `json:"may_retry"`
	MayCancel bool `json:"may_cancel"`
}

// Decision is the body of POST /api/v1/actions/{id}/approve and .../reject.
type Decision struct {
	Reason string `json:"reason"`
}

// TemplateList is the listing of the golden path's templates (GET /api/v1/templates).
type TemplateList struct {
	Templates []scaffold.Summary `json:"templates"`
}

// TemplateParameters is the body of POST /api/v1/templates/{name}/validate and .../plan.
type TemplateParameters struct {
	Parameters map[string]any `json:"parameters"`
}

// TemplateValidation is the answer of POST /api/v1/templates/{name}/validate.
type TemplateValidation struct {
	Valid bool `json:"valid"`
	// Parameters as validated, defaults applied; null when not valid.
	Parameters map[string]any `json:"parameters"`
	Problems   []FieldProblem `json:"problems"`
	Warnings   []FieldProblem `json:"warnings"`
}

// Cancellation is the (optional) body of POST /api/v1/actions/{id}/cancel.
type Cancellation struct {
	Reason string `json:"reason"`
}

// ---- flags ----

// FlagRow is one line of the flag table.
type FlagRow struct {
	Key         string    `json:"key"`
	Environment string    `json:"environment"`
	Team        string    `json:"team"`
	Owner       string    `json:"owner"`
	State       string    `json:"state"`
	Type        string    `json:"type"`
	Variants    []string  `json:"variants"`
	Default     *string   `json:"default"`
	Rollout     string    `json:"rollout"`
	Reachable   []string  `json:"reachable"`
	Version     int       `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
	Stale       bool      `json:"stale"`
	StaleReason string    `json:"stale_reason,omitempty"`
}

// FlagList answers GET /api/v1/flags.
type FlagList struct {
	Items          []FlagRow `json:"items"`
	Environments   []string  `json:"environments"`
	StaleAfterDays int       `json:"stale_after_days"`
	// Approvers are the roles one of which approves a change, for each environment whose changes wait for one.
	Approvers map[string][]string `json:"approvers"`
}

// FlagEnvironment is a flag environment with the version (etag) and size of its flag set.
type FlagEnvironment struct {
	Name  string `json:"name"`
	ETag  string `json:"etag"`
	Flags int    `json:"flags"`
	// Approvers are the roles one of which approves a change here; empty when changes apply at once.
	Approvers []string `json:"approvers"`
}

// FlagDetail is one flag with its definition.
type FlagDetail struct {
	FlagRow
	Definition json.RawMessage `json:"definition"`
	CreatedAt  time.Time       `json:"created_at"`
}

// FlagHistoryEntry is one change of a flag, with the difference it made.
type FlagHistoryEntry struct {
	flagstore.Entry
	Diff []flags.DiffOp `json:"diff"`
}

// FlagPut is the body of PUT /api/v1/flags/{environment}/{key}.
type FlagPut struct {
	Flag    json.RawMessage `json:"flag"`
	Team    string          `json:"team"`
	Owner   string          `json:"owner"`
	Version int             `json:"version"` // when set, the change applies only to this version (optimistic locking)
	Comment string          `json:"comment"`
}

// FlagImportResult answers an import that was applied: the environment's flag set as it is now.
type FlagImportResult struct {
	Environment string `json:"environment"`
	ETag        string `json:"etag"`
	Flags       int    `json:"flags"`
}

// PendingChange answers a flag change that waits for approval (202).
type PendingChange struct {
	Pending *flags.Request `json:"pending"`
}

// ---- Kubernetes ----

// ClaimRequest is the body of POST /api/v1/kube/claims.
type ClaimRequest struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Service   string `json:"service"`
}

// ClaimCreated answers POST /api/v1/kube/claims: the claim, and how many workloads it maps now.
type ClaimCreated struct {
	Claim   catalog.Claim `json:"claim"`
	Matched int           `json:"matched"`
}

// ---- secrets ----

// SecretList is the body of GET /secrets: metadata only.
type SecretList struct {
	Secrets []catalog.Secret `json:"secrets"`
}

// SecretConventions is the body of GET /secrets/conventions: whether secrets are configured, and the conventions.
type SecretConventions struct {
	Configured bool `json:"configured"`
	secrets.Conventions
}

// SecretRotation is the body of POST /secrets/{service}/{name}/versions: a new value for an environment.
type SecretRotation struct {
	Environment string   `json:"environment"`
	Regions     []string `json:"regions,omitempty"`
	Value       string   `json:"value"`
}

// ---- OFREP (OpenFeature Remote Evaluation Protocol, v0.3.0): the protocol's own schemas ----

// OfrepEvaluationSuccess is evaluationSuccess. Value and variant are omitted when the caller's code default
// applies.
type OfrepEvaluationSuccess struct {
	Key      string         `json:"key"`
	Value    any            `json:"value,omitempty"`
	Reason   string         `json:"reason"`
	Variant  string         `json:"variant,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// OfrepEvaluationFailure is evaluationFailure and flagNotFound (with key) or bulkEvaluationFailure (without).
type OfrepEvaluationFailure struct {
	Key          string         `json:"key,omitempty"`
	ErrorCode    string         `json:"errorCode"`
	ErrorDetails string         `json:"errorDetails,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// OfrepBulkSuccess is bulkEvaluationSuccess: each flag's OfrepEvaluationSuccess or OfrepEvaluationFailure.
type OfrepBulkSuccess struct {
	Flags    []any          `json:"flags"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// OfrepGeneralError is generalErrorResponse.
type OfrepGeneralError struct {
	ErrorDetails string `json:"errorDetails"`
}

// ScorecardList is the ScorecardList schema: GET /api/v1/scorecards.
type ScorecardList struct {
	// Rules is the rule set in force; null when scorecards are off (or a replica has not received one yet).
	Rules *catalog.ScoreRules  `json:"rules"`
	Items []store.ScorecardRow `json:"items"`
	Total int                  `json:"total"`
}

// ServiceScorecard is the ServiceScorecard schema: a service's card with each rule's description and remediation.
type ServiceScorecard struct {
	catalog.Scorecard
	Rules []ScorecardRuleResult `json:"rules"`
}

// ScorecardRuleResult is one rule of a service's card: what the rule is, and how it went.
type ScorecardRuleResult struct {
	catalog.ScoreRule
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// RuleTest is the RuleTest schema: POST /api/v1/scorecards/rules:test.
type RuleTest struct {
	Rule    scorecard.RuleConfig `json:"rule"`
	Service string               `json:"service"`
}

// RuleTestResult is the RuleTestResult schema: the outcome and what the rule read.
type RuleTestResult struct {
	Result   catalog.RuleResult `json:"result"`
	Document catalog.Document   `json:"document"`
	Platform scorecard.Platform `json:"platform"`
}

// ---- fleet ----

// FleetVersion is one version of the fleet configuration (GET /api/v1/fleet/config, the history, a push): the
// document and who pushed it when.
type FleetVersion struct {
	Version    int64           `json:"version"`
	CreatedAt  time.Time       `json:"created_at,omitzero"`
	CreatedBy  string          `json:"created_by,omitempty"`
	Note       string          `json:"note,omitempty"`
	RollbackOf int64           `json:"rollback_of,omitempty"`
	KeyID      string          `json:"key_id,omitempty"`
	Config     json.RawMessage `json:"config"`
}

// FleetPush is the body of POST /api/v1/fleet/config and /api/v1/fleet/preview: the document, a note, and
// (optionally) the version it was made against, which must still be the newest.
type FleetPush struct {
	Config      json.RawMessage `json:"config"`
	Note        string          `json:"note,omitempty"`
	BaseVersion *int64          `json:"base_version,omitempty"`
}

// FleetRollback is the body of POST /api/v1/fleet/rollback: the version whose content becomes a new version.
type FleetRollback struct {
	Version     int64  `json:"version"`
	Note        string `json:"note,omitempty"`
	BaseVersion *int64 `json:"base_version,omitempty"`
}

// FleetPreview is what a configuration would do (POST /api/v1/fleet/preview), with the document as it would be
// signed.
type FleetPreview struct {
	fleet.Preview
	Config json.RawMessage `json:"config"`
}

// FleetKey is the portal's signing key (GET /api/v1/fleet/key), to compare with what installs pinned.
type FleetKey struct {
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
	KeyID     string `json:"key_id"`
}

// UsageBatch is the body of POST /api/v1/usage/batch: usage events a desktop forwards.
type UsageBatch struct {
	Events []fleet.Event `json:"events"`
}

// UsageAccepted says what became of a usage batch.
type UsageAccepted struct {
	Stored  int `json:"stored"`
	Dropped int `json:"dropped"`
}

// DeveloperUpload is the body of PUT /api/v1/kpi/developers: every developer, replacing the uploaded list.
type DeveloperUpload struct {
	Developers []fleet.Member `json:"developers"`
}

// ---- drift ----

// DriftList is the drift items and what the last detection could and could not see (GET /api/v1/drift).
type DriftList struct {
	Items  []catalog.DriftItem `json:"items"`
	Status catalog.DriftStatus `json:"status"`
}
