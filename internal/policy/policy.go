// Package policy decides what a principal may do. Every permission check of the portal goes through Decide, so
// the rules live in one table that a test walks role by role; anything not granted here is denied.
package policy

import (
	"fmt"
	"sort"

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
		CatalogRead: anyTeam, SourcesRead: anyTeam, FlagsRead: anyTeam, FlagsEvaluate: anyTeam, ActionsRead: anyTeam,
		ActionsRequest: ownTeam, UsageWrite: anyTeam,
	},
	auth.RoleTeamOwner: {
		CatalogRead: anyTeam, SourcesRead: anyTeam, FlagsRead: anyTeam, FlagsEvaluate: anyTeam, ActionsRead: anyTeam,
		ActionsRequest: ownTeam, FlagsWrite: ownTeam, UsageWrite: anyTeam,
		// Reaches the approval endpoints; which requests a team owner may approve is MayApprove's question.
		ActionsApprove: ownTeam,
	},
	auth.RolePlatformApprover: {
		CatalogRead: anyTeam, SourcesRead: anyTeam, FlagsRead: anyTeam, FlagsEvaluate: anyTeam, ActionsRead: anyTeam,
		ActionsApprove: anyTeam, AuditRead: anyTeam, UsageWrite: anyTeam, UsageRead: anyTeam,
	},
}

// scopeGrantable are the permissions a token may carry by scope alone, without a role: machine tokens of
// services (flag evaluation for one environment, catalog reads for CI).
var scopeGrantable = map[Permission]bool{FlagsEvaluate: true, CatalogRead: true}

// Decision is the answer to "may p do this?", with a reason a person can act on when it is no.
type Decision struct {
	Allow  bool
	Reason string
}

// Decide says whether p may use perm on a resource of team ("" for resources without a team, or for the
// route-level question "on any team at all?"). Admins may do everything their token's scopes allow. Token scopes
// narrow what the grants give; they never widen it.
func Decide(p auth.Principal, perm Permission, team string) Decision {
	if !p.HasScope(string(perm)) {
		return Decision{Reason: fmt.Sprintf("this token's scopes do not include %s", perm)}
	}
	if p.IsAdmin() {
		return Decision{Allow: true}
	}
	if scopeGrantable[perm] && p.ExplicitScope(string(perm)) {
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

// Permissions lists what p may do on any team, and the teams where team-scoped permissions hold, for GET /me.
func Permissions(p auth.Principal) []string {
	set := map[string]bool{}
	for _, perm := range All() {
		if !p.HasScope(string(perm)) {
			continue
		}
		if p.IsAdmin() {
			set[string(perm)] = true
			continue
		}
		for _, g := range p.Grants {
			sc, ok := rules[g.Role][perm]
			switch {
			case !ok:
			case sc == anyTeam || g.Team == "":
				set[string(perm)] = true
			default:
				set[string(perm)+"@"+g.Team] = true
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
		ActionsRead, ActionsRequest, ActionsApprove, AuditRead, TokensManage, UsageWrite, UsageRead, KubeClaim}
}

// Roles lists every role.
func Roles() []string {
	return []string{auth.RoleDeveloper, auth.RoleTeamOwner, auth.RolePlatformApprover, auth.RoleAdmin}
}

// MayApprove says whether p may approve (or reject) a request by requester for team, in an environment whose
// approvals need one of the roles in approvers (platform_approver: on all teams or on team; team_owner: of team).
// Nobody approves their own request, not even an admin; admins otherwise may approve anything.
func MayApprove(p auth.Principal, requester, team string, approvers []string) Decision {
	if p.Subject == requester {
		return Decision{Reason: "nobody approves their own request: another approver must decide"}
	}
	if !p.HasScope(string(ActionsApprove)) {
		return Decision{Reason: fmt.Sprintf("this token's scopes do not include %s", ActionsApprove)}
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
