// Package policy decides what a principal may do. Every permission check of the portal goes through Decide, so
// the rules live in one table that a test walks role by role; anything not granted here is denied.
package policy

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sphera/atrium/internal/auth"
)

// Permission names an operation. Team-scoped permissions are checked against the team that owns the resource.
type Permission string

// Permissions of the portal API.
const (
	CatalogRead    Permission = "catalog:read"
	SourcesRead    Permission = "sources:read"
	SourcesSync    Permission = "sources:sync"
	FlagsRead      Permission = "flags:read"
	FlagsWrite     Permission = "flags:write"
	FlagsImport    Permission = "flags:import"
	FlagsEvaluate  Permission = "flags:evaluate"
	ActionsRead    Permission = "actions:read"
	ActionsRequest Permission = "actions:request"
	ActionsApprove Permission = "actions:approve"
	AuditRead      Permission = "audit:read"
	TokensManage   Permission = "tokens:manage"
	UsageWrite     Permission = "usage:write"
	UsageRead      Permission = "usage:read"
	// KubeClaim maps a Kubernetes workload to a service by hand (admins only: it overrides what teams declare).
	KubeClaim Permission = "kube:claim"
	// TemplatesRead lists the golden path's templates and dry-runs them (validate, plan): it creates nothing.
	// Creating a service is ActionsRequest on its owner team, in the dev environment.
	TemplatesRead Permission = "templates:read"
	// AgentWork is a cluster agent's: say hello, pull its cluster's work, report on it. A machine token holds it
	// by scope for one cluster ("agent:work:eu-1"); no role grants it (admins hold everything).
	AgentWork Permission = "agent:work"
	// GatesCheck asks the deploy gate whether a service may be deployed (CI pipelines, the admission webhook) and
	// lists the exceptions in force. Machine tokens hold it by scope ("gates:check").
	GatesCheck Permission = "gates:check"
	// GatesExcept grants and revokes exceptions to the deploy gate (admins only).
	GatesExcept Permission = "gates:except"
	// ScorecardsTest tries a scorecard rule against a service before it is saved (platform approvers).
	ScorecardsTest Permission = "scorecards:test"
	// FleetManage pushes, previews and rolls back the configuration every desktop install applies, lists the
	// installs and replaces the developer directory (admins only: it changes every developer's app).
	FleetManage Permission = "fleet:manage"
	// SecretsRead lists secrets' metadata (names, where they exist, who created and rotated them): never values.
	SecretsRead Permission = "secrets:read"
	// SecretsWrite creates, rotates and deletes the secrets of a team's services (through actions).
	SecretsWrite Permission = "secrets:write"
	// SecretsReveal shows a value once; the conventions of the environment (secrets.environments.ENV.reveal) must
	// also allow the caller.
	SecretsReveal Permission = "secrets:reveal"
	// DriftRead lists drift items (docs/drift.md): what differs between installations, for everyone with a role.
	DriftRead Permission = "drift:read"
	// DriftAcknowledge acknowledges or silences a drift item of a team's service, with a reason (audited).
	// Items no service owns are the platform's: only roles that hold it on every team act on them.
	DriftAcknowledge Permission = "drift:acknowledge"
	// DriftFix asks for the fix of a team's drift in an environment: a pull request to the gitops repository, the
	// cluster's agent applying the declaration again (where drift.reapply allows), or the missing copy (an action,
	// under the environment's approvals, which also needs actions:request).
	DriftFix Permission = "drift:fix"
)

// scope of a grant: on the resource's own team only, or on any team.
type scope int

const (
	ownTeam scope = iota
	anyTeam
)

// rules: role → permission → where the role holds it. A developer or team owner grant names a team; the role
// applies to that team's resources (ownTeam) or to all resources (anyTeam, e.g. reading the catalog).
var rules = map[string]map[Permission]scope{
	// Whoever may read flags may also evaluate them (OFREP, the in-process provider's flag sets): evaluation
	// reveals nothing that reading the definitions does not. Machine tokens get FlagsEvaluate by scope alone.
	auth.RoleDeveloper: {
		CatalogRead: anyTeam, TemplatesRead: anyTeam, SourcesRead: anyTeam, FlagsRead: anyTeam, FlagsEvaluate: anyTeam, ActionsRead: anyTeam,
		ActionsRequest: ownTeam, UsageWrite: anyTeam, GatesCheck: anyTeam,
		SecretsRead: anyTeam, SecretsWrite: ownTeam, SecretsReveal: ownTeam,
		DriftRead: anyTeam, DriftAcknowledge: ownTeam, DriftFix: ownTeam,
	},
	auth.RoleTeamOwner: {
		CatalogRead: anyTeam, TemplatesRead: anyTeam, SourcesRead: anyTeam, FlagsRead: anyTeam, FlagsEvaluate: anyTeam, ActionsRead: anyTeam,
		ActionsRequest: ownTeam, FlagsWrite: ownTeam, UsageWrite: anyTeam, GatesCheck: anyTeam,
		SecretsRead: anyTeam, SecretsWrite: ownTeam, SecretsReveal: ownTeam,
		DriftRead: anyTeam, DriftAcknowledge: ownTeam, DriftFix: ownTeam,
		// Reaches the approval endpoints; which requests a team owner may approve is MayApprove's question.
		ActionsApprove: ownTeam,
	},
	auth.RolePlatformApprover: {
		CatalogRead: anyTeam, TemplatesRead: anyTeam, SourcesRead: anyTeam, FlagsRead: anyTeam, FlagsEvaluate: anyTeam, ActionsRead: anyTeam,
		ActionsApprove: anyTeam, AuditRead: anyTeam, UsageWrite: anyTeam, UsageRead: anyTeam, GatesCheck: anyTeam,
		ScorecardsTest: anyTeam,
		SecretsRead:    anyTeam,
		// Platform approvers watch every team's drift and may acknowledge or silence any of it; fixing is the
		// owning team's (or an admin's).
		DriftRead: anyTeam, DriftAcknowledge: anyTeam,
	},
}

// scopeGrantable are the permissions a token may carry by scope alone, without a role: machine tokens of
// services (flag evaluation for one environment, catalog reads for CI).
var scopeGrantable = map[Permission]bool{FlagsEvaluate: true, CatalogRead: true, AgentWork: true, GatesCheck: true}

// inEnvironment are the permissions that act in one environment — a flag environment, or an actions environment
// where a resource is requested and approved — or, for AgentWork, in one cluster. Only these take a qualifier in
// a token scope ("flags:write:dev", "agent:work:eu-1"); a qualifier on any other permission is refused when a
// token is created, and allows nothing on a token stored before that check existed.
var inEnvironment = map[Permission]bool{FlagsRead: true, FlagsWrite: true, FlagsImport: true, FlagsEvaluate: true,
	ActionsRequest: true, ActionsApprove: true, AgentWork: true, SecretsWrite: true, SecretsReveal: true, DriftFix: true}

// TakesEnvironment reports whether perm acts in an environment, so that a token scope may qualify it with one.
func TakesEnvironment(perm Permission) bool { return inEnvironment[perm] }

// InEnvironment lists the permissions that take an environment qualifier, in All's order.
func InEnvironment() []Permission {
	var out []Permission
	for _, p := range All() {
		if inEnvironment[p] {
			out = append(out, p)
		}
	}
	return out
}

// AnyEnvironment is the environment of a decision taken before the environment is known: may p use the
// permission in some environment at all? A route asks it; the handler then decides again in the environment.
const AnyEnvironment = auth.AnyEnvironment

// environmentName is what an environment name may look like (the syntax of flag environments, which appear in
// URLs and scopes).
var environmentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// CheckScope says what is wrong with a token scope, or nil: a scope is "*", a permission ("catalog:read"), or a
// permission that acts in an environment qualified with an environment name ("flags:evaluate:production").
func CheckScope(s string) error {
	if s == "*" {
		return nil
	}
	for _, p := range All() {
		q, ok := strings.CutPrefix(s, string(p)+":")
		switch {
		case s == string(p):
			return nil
		case !ok:
			continue
		case !inEnvironment[p]:
			return fmt.Errorf("%q: %s acts in no environment and takes no qualifier; only %s take one (e.g. "+
				"flags:write:dev)", s, p, joinPerms(InEnvironment()))
		case !environmentName.MatchString(q):
			return fmt.Errorf("%q: %q is not an environment name (letters, digits and _ . : -, starting with a letter "+
				"or digit); %s take an environment (e.g. flags:write:dev)", s, q, joinPerms(InEnvironment()))
		default:
			return nil
		}
	}
	return fmt.Errorf("%q is not a permission (e.g. catalog:read), a permission in an environment (%s, e.g. "+
		"flags:evaluate:production) or *", s, joinPerms(InEnvironment()))
}

func joinPerms(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// Decision is the answer to "may p do this?", with a reason a person can act on when it is no.
type Decision struct {
	Allow  bool
	Reason string
}

// Decide is DecideIn with no environment: for the permissions that act in none, and for the others it allows
// only tokens whose scopes hold perm in every environment.
func Decide(p auth.Principal, perm Permission, team string) Decision {
	return DecideIn(p, perm, team, "")
}

// DecideIn says whether p may use perm on a resource of team ("" for resources without a team, or for the
// route-level question "on any team at all?") in environment env (AnyEnvironment for the route-level question
// "in any environment at all?"; ignored for permissions that act in no environment). Admins may do everything
// their token's scopes allow. Token scopes narrow what the grants give; they never widen it.
func DecideIn(p auth.Principal, perm Permission, team, env string) Decision {
	if !inEnvironment[perm] {
		env = ""
	}
	if !p.HasScope(string(perm), env) {
		return Decision{Reason: scopeReason(perm, env)}
	}
	if p.IsAdmin() {
		return Decision{Allow: true}
	}
	if scopeGrantable[perm] && p.ExplicitScope(string(perm), env) {
		return Decision{Allow: true}
	}
	for _, g := range p.Grants {
		sc, ok := rules[g.Role][perm]
		if !ok {
			continue
		}
		if sc == anyTeam || g.Team == "" || team == "" || g.Team == team {
			return Decision{Allow: true}
		}
	}
	if team != "" {
		return Decision{Reason: fmt.Sprintf("%s needs a role on team %q that grants %s", p.Subject, team, perm)}
	}
	return Decision{Reason: fmt.Sprintf("%s has no role that grants %s", p.Subject, perm)}
}

func scopeReason(perm Permission, env string) string {
	if env == "" || env == AnyEnvironment {
		return fmt.Sprintf("this token's scopes do not include %s", perm)
	}
	if perm == AgentWork {
		return fmt.Sprintf("this token's scopes do not include %s for cluster %q", perm, env)
	}
	return fmt.Sprintf("this token's scopes do not include %s in environment %q", perm, env)
}

// Permissions lists what p may do, for GET /me: "perm" on every team, "perm@team" on one team; a permission that
// p's token scopes allow in some environments only is listed once per environment, as "perm:env" or
// "perm:env@team".
func Permissions(p auth.Principal) []string {
	set := map[string]bool{}
	for _, perm := range All() {
		envs := []string{""} // "": every environment
		if !p.HasScope(string(perm), "") {
			if !inEnvironment[perm] {
				continue
			}
			if envs = p.ScopeEnvironments(string(perm)); len(envs) == 0 {
				continue
			}
		}
		for _, env := range envs {
			name := string(perm)
			if env != "" {
				name += ":" + env
			}
			if p.IsAdmin() || scopeGrantable[perm] && p.ExplicitScope(string(perm), env) {
				set[name] = true
				continue
			}
			for _, g := range p.Grants {
				sc, ok := rules[g.Role][perm]
				switch {
				case !ok:
				case sc == anyTeam || g.Team == "":
					set[name] = true
				default:
					set[name+"@"+g.Team] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// All lists every permission.
func All() []Permission {
	return []Permission{CatalogRead, SourcesRead, SourcesSync, FlagsRead, FlagsWrite, FlagsImport, FlagsEvaluate,
		ActionsRead, ActionsRequest, ActionsApprove, AuditRead, TokensManage, UsageWrite, UsageRead, KubeClaim,
		AgentWork, TemplatesRead, GatesCheck, GatesExcept, ScorecardsTest, FleetManage, SecretsRead, SecretsWrite,
		SecretsReveal, DriftRead, DriftAcknowledge, DriftFix}
}

// Roles lists every role.
func Roles() []string {
	return []string{auth.RoleDeveloper, auth.RoleTeamOwner, auth.RolePlatformApprover, auth.RoleAdmin}
}

// MayApprove says whether p may approve (or reject) a request by requester for team in environment env, whose
// approvals need one of the roles in approvers (platform_approver: on all teams or on team; team_owner: of team).
// Nobody approves their own request, not even an admin; admins otherwise may approve anything their token's
// scopes allow — a token scoped to actions:approve:dev decides requests of dev only.
func MayApprove(p auth.Principal, requester, team, env string, approvers []string) Decision {
	if p.Subject == requester {
		return Decision{Reason: "nobody approves their own request: another approver must decide"}
	}
	if !p.HasScope(string(ActionsApprove), env) {
		return Decision{Reason: scopeReason(ActionsApprove, env)}
	}
	if len(approvers) == 0 {
		return Decision{Reason: "this request needs no approval"}
	}
	if p.IsAdmin() {
		return Decision{Allow: true}
	}
	for _, role := range approvers {
		switch role {
		case auth.RolePlatformApprover, auth.RoleTeamOwner:
			if p.Has(role, team) {
				return Decision{Allow: true}
			}
		}
	}
	return Decision{Reason: fmt.Sprintf("approving this request of team %q needs one of the roles %v", team, approvers)}
}

// MayRetryOrCancel says whether p may retry (a failed) or cancel (an unfinished) action that requester asked for
// on behalf of team in environment env: the requester, an owner of that team, or an admin — with a token whose
// scopes allow requesting actions in env.
func MayRetryOrCancel(p auth.Principal, requester, team, env string) Decision {
	if !p.HasScope(string(ActionsRequest), env) {
		return Decision{Reason: scopeReason(ActionsRequest, env)}
	}
	if p.IsAdmin() || p.Subject == requester || (team != "" && p.Has(auth.RoleTeamOwner, team)) {
		return Decision{Allow: true}
	}
	return Decision{Reason: fmt.Sprintf("only %s (who requested it), an owner of team %q or an admin may retry or cancel this action",
		requester, team)}
}
