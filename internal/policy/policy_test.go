package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/policy"
)

// roleMatrix is where each role holds each permission with no token scopes: "all" on every team, "own" on its
// own team only, absent: nowhere. It restates the rules table on purpose: a change to either fails this test.
var roleMatrix = map[string]map[policy.Permission]string{
	auth.RoleDeveloper: {
		policy.CatalogRead: "all", policy.SourcesRead: "all", policy.FlagsRead: "all", policy.FlagsEvaluate: "all",
		policy.ActionsRead: "all", policy.ActionsRequest: "own", policy.UsageWrite: "all", policy.TemplatesRead: "all", policy.GatesCheck: "all",
		policy.SecretsRead: "all", policy.SecretsWrite: "own", policy.SecretsReveal: "own",
		policy.DriftRead: "all", policy.DriftAcknowledge: "own", policy.DriftFix: "own",
	},
	auth.RoleTeamOwner: {
		policy.CatalogRead: "all", policy.SourcesRead: "all", policy.FlagsRead: "all", policy.FlagsEvaluate: "all",
		policy.ActionsRead: "all", policy.ActionsRequest: "own", policy.FlagsWrite: "own", policy.UsageWrite: "all",
		policy.ActionsApprove: "own", policy.TemplatesRead: "all", policy.GatesCheck: "all",
		policy.SecretsRead: "all", policy.SecretsWrite: "own", policy.SecretsReveal: "own",
		policy.DriftRead: "all", policy.DriftAcknowledge: "own", policy.DriftFix: "own",
	},
	auth.RolePlatformApprover: {
		policy.CatalogRead: "all", policy.SourcesRead: "all", policy.FlagsRead: "all", policy.FlagsEvaluate: "all",
		policy.ActionsRead: "all", policy.ActionsApprove: "all", policy.AuditRead: "all", policy.UsageWrite: "all",
		policy.UsageRead: "all", policy.TemplatesRead: "all", policy.GatesCheck: "all", policy.ScorecardsTest: "all", policy.SecretsRead: "all",
		policy.DriftRead: "all", policy.DriftAcknowledge: "all",
	},
}

// TestDecideRoleByPermissionByTeam walks every role (granted on team payments, and on all teams) × permission ×
// resource team, with no token scopes.
func TestDecideRoleByPermissionByTeam(t *testing.T) {
	for _, role := range policy.Roles() {
		for _, grantTeam := range []string{"payments", ""} {
			p := auth.Principal{Subject: "u", Grants: []auth.Grant{{Role: role, Team: grantTeam}}}
			for _, perm := range policy.All() {
				for _, team := range []string{"payments", "search", ""} {
					where := roleMatrix[role][perm]
					// An admin grant on one team is not "admin of everything", and admin has no rules of its own.
					want := role == auth.RoleAdmin && grantTeam == "" || where == "all" ||
						where == "own" && (grantTeam == "" || team == "" || team == grantTeam)
					t.Run(role+"@"+grantTeam+"/"+string(perm)+"/"+team, func(t *testing.T) {
						for _, env := range []string{"", policy.AnyEnvironment, "production"} {
							d := policy.DecideIn(p, perm, team, env)
							if d.Allow != want {
								t.Errorf("env %q: allow=%v, want %v (%s)", env, d.Allow, want, d.Reason)
							}
							if !d.Allow && d.Reason == "" {
								t.Errorf("env %q: a refusal without a reason", env)
							}
						}
						if d := policy.Decide(p, perm, team); d.Allow != want {
							t.Errorf("Decide: allow=%v, want %v", d.Allow, want)
						}
					})
				}
			}
		}
	}
	if d := policy.Decide(auth.Principal{Subject: "nobody"}, policy.CatalogRead, ""); d.Allow ||
		!strings.Contains(d.Reason, "no role") {
		t.Errorf("a principal without grants or scopes: %+v", d)
	}
}

// TestDecideScopeQualifiers: a scope qualified with an environment allows its permission in that environment (and
// at the route, before the environment is known) but not in another one, nor where no environment is named; a
// qualifier on a permission that acts in no environment allows nothing.
func TestDecideScopeQualifiers(t *testing.T) {
	admin := []auth.Grant{{Role: auth.RoleAdmin}}
	for _, perm := range policy.All() {
		for _, tt := range []struct {
			scopes []string
			env    string
			want   bool
		}{
			{[]string{string(perm)}, "dev", true},
			{[]string{string(perm)}, "", true},
			{[]string{string(perm)}, policy.AnyEnvironment, true},
			{[]string{"*"}, "production", true},
			{[]string{string(perm) + ":dev"}, "dev", policy.TakesEnvironment(perm)},
			{[]string{string(perm) + ":dev"}, policy.AnyEnvironment, policy.TakesEnvironment(perm)},
			{[]string{string(perm) + ":dev"}, "production", false},
			{[]string{string(perm) + ":dev"}, "", false},
			{[]string{string(perm) + ":dev", string(perm) + ":staging"}, "staging", policy.TakesEnvironment(perm)},
			{[]string{string(perm) + ":dev", string(perm)}, "production", true},
			{[]string{string(perm) + ":dev:x"}, "dev", false},
			{[]string{"kube:claim"}, "dev", perm == policy.KubeClaim},
		} {
			p := auth.Principal{Subject: "admin", Grants: admin, Scopes: tt.scopes}
			if !policy.TakesEnvironment(perm) && tt.env != "" && tt.env != policy.AnyEnvironment {
				// The environment of a permission that acts in none is ignored: the "" row says the same.
				continue
			}
			d := policy.DecideIn(p, perm, "payments", tt.env)
			if d.Allow != tt.want {
				t.Errorf("%s with scopes %v in %q: allow=%v, want %v (%s)", perm, tt.scopes, tt.env, d.Allow, tt.want, d.Reason)
			}
			if !d.Allow && !strings.Contains(d.Reason, "scopes") {
				t.Errorf("%s with scopes %v in %q: the reason does not name the scopes: %q", perm, tt.scopes, tt.env, d.Reason)
			}
		}
	}
}

// TestDecideScopesNarrowRoles: scopes never widen what the grants give, and only the machine permissions are held
// by scope alone.
func TestDecideScopesNarrowRoles(t *testing.T) {
	owner := []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}
	developer := []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}
	for _, tt := range []struct {
		name       string
		grants     []auth.Grant
		scopes     []string
		perm       policy.Permission
		team, env  string
		want       bool
		wantReason string
	}{
		{"owner, flags:write:dev, own team in dev", owner, []string{"flags:write:dev"}, policy.FlagsWrite, "payments", "dev", true, ""},
		{"owner, flags:write:dev, own team in production", owner, []string{"flags:write:dev"}, policy.FlagsWrite, "payments", "production", false, `flags:write in environment "production"`},
		{"owner, flags:write:dev, other team in dev", owner, []string{"flags:write:dev"}, policy.FlagsWrite, "search", "dev", false, `team "search"`},
		{"owner, flags:write:dev, reading", owner, []string{"flags:write:dev"}, policy.FlagsRead, "", "dev", false, "scopes"},
		{"developer, actions:request:dev, dev", developer, []string{"actions:request:dev"}, policy.ActionsRequest, "payments", "dev", true, ""},
		{"developer, actions:request:dev, production", developer, []string{"actions:request:dev"}, policy.ActionsRequest, "payments", "production", false, "scopes"},
		{"developer, flags:write scope does not make a writer", developer, []string{"flags:write"}, policy.FlagsWrite, "payments", "dev", false, "role"},
		{"developer, * scope", developer, []string{"*"}, policy.ActionsRequest, "payments", "production", true, ""},
		{"machine, flags:evaluate:production in production", nil, []string{"flags:evaluate:production"}, policy.FlagsEvaluate, "", "production", true, ""},
		{"machine, flags:evaluate:production at the route", nil, []string{"flags:evaluate:production"}, policy.FlagsEvaluate, "", policy.AnyEnvironment, true, ""},
		{"machine, flags:evaluate:production in staging", nil, []string{"flags:evaluate:production"}, policy.FlagsEvaluate, "", "staging", false, "scopes"},
		{"machine, flags:evaluate:production reads", nil, []string{"flags:evaluate:production"}, policy.FlagsRead, "", "production", false, "scopes"},
		{"machine, catalog:read", nil, []string{"catalog:read"}, policy.CatalogRead, "", "", true, ""},
		{"machine, catalog:read:dev (stored before qualifiers were checked)", nil, []string{"catalog:read:dev"}, policy.CatalogRead, "", policy.AnyEnvironment, false, "scopes"},
		{"machine, * is not a grant", nil, []string{"*"}, policy.CatalogRead, "", "", false, "no role"},
		{"machine, flags:write is not grantable by scope", nil, []string{"flags:write"}, policy.FlagsWrite, "payments", "dev", false, "role"},
		{"agent, agent:work:eu on eu", nil, []string{"agent:work:eu"}, policy.AgentWork, "", "eu", true, ""},
		{"agent, agent:work:eu at the route", nil, []string{"agent:work:eu"}, policy.AgentWork, "", policy.AnyEnvironment, true, ""},
		{"agent, agent:work:eu on us", nil, []string{"agent:work:eu"}, policy.AgentWork, "", "us", false, `agent:work for cluster "us"`},
		{"agent, agent:work:eu reads nothing", nil, []string{"agent:work:eu"}, policy.CatalogRead, "", "", false, "scopes"},
		{"developer, no agent:work", developer, nil, policy.AgentWork, "", "eu", false, "role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := auth.Principal{Subject: "u", Grants: tt.grants, Scopes: tt.scopes}
			d := policy.DecideIn(p, tt.perm, tt.team, tt.env)
			if d.Allow != tt.want || !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("%+v, want allow=%v with a reason containing %q", d, tt.want, tt.wantReason)
			}
		})
	}
}

func TestMayApprove(t *testing.T) {
	approver := []auth.Grant{{Role: auth.RolePlatformApprover}}
	owner := []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}
	admin := []auth.Grant{{Role: auth.RoleAdmin}}
	platform := []string{auth.RolePlatformApprover}
	owners := []string{auth.RoleTeamOwner}
	for _, tt := range []struct {
		name       string
		subject    string
		grants     []auth.Grant
		scopes     []string
		team, env  string
		approvers  []string
		want       bool
		wantReason string
	}{
		{"platform approver", "pat", approver, nil, "payments", "production", platform, true, ""},
		{"own request, platform approver", "dana", approver, nil, "payments", "production", platform, false, "own request"},
		{"own request, admin", "dana", admin, nil, "payments", "production", platform, false, "own request"},
		{"admin", "root", admin, nil, "payments", "production", platform, true, ""},
		{"admin, team owners approve", "root", admin, nil, "payments", "dev", owners, true, ""},
		{"no approval needed", "pat", approver, nil, "payments", "dev", []string{}, false, "needs no approval"},
		{"team owner where team owners approve", "olga", owner, nil, "payments", "dev", owners, true, ""},
		{"team owner of another team", "olga", owner, nil, "search", "dev", owners, false, "roles"},
		{"team owner where platform approvers approve", "olga", owner, nil, "payments", "production", platform, false, "roles"},
		{"developer", "sam", []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}, nil, "payments", "dev", owners, false, "roles"},
		{"actions:approve:dev in dev", "pat", approver, []string{"actions:approve:dev"}, "payments", "dev", platform, true, ""},
		{"actions:approve:dev in production", "pat", approver, []string{"actions:approve:dev"}, "payments", "production", platform, false, `actions:approve in environment "production"`},
		{"admin, actions:approve:dev in production", "root", admin, []string{"actions:approve:dev"}, "payments", "production", platform, false, "scopes"},
		{"actions:approve in production", "pat", approver, []string{"actions:approve"}, "payments", "production", platform, true, ""},
		{"catalog:read token", "pat", approver, []string{"catalog:read"}, "payments", "production", platform, false, "scopes"},
		{"no environment named", "pat", approver, []string{"actions:approve:dev"}, "payments", "", platform, false, "scopes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := auth.Principal{Subject: tt.subject, Grants: tt.grants, Scopes: tt.scopes}
			d := policy.MayApprove(p, "dana", tt.team, tt.env, tt.approvers)
			if d.Allow != tt.want || !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("%+v, want allow=%v with a reason containing %q", d, tt.want, tt.wantReason)
			}
		})
	}
}

func TestPermissions(t *testing.T) {
	owner := []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}
	all := make([]string, 0, len(policy.All()))
	for _, p := range policy.All() {
		all = append(all, string(p))
	}
	slices.Sort(all)
	for _, tt := range []struct {
		name   string
		grants []auth.Grant
		scopes []string
		want   []string
	}{
		{"admin", []auth.Grant{{Role: auth.RoleAdmin}}, nil, all},
		{"developer", []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}, nil, []string{"actions:read",
			"actions:request@payments", "catalog:read", "drift:acknowledge@payments", "drift:fix@payments", "drift:read",
			"flags:evaluate", "flags:read", "gates:check", "secrets:read",
			"secrets:reveal@payments", "secrets:write@payments", "sources:read", "templates:read", "usage:write"}},
		{"CI asking the deploy gate", nil, []string{"gates:check"}, []string{"gates:check"}},
		{"team owner, flags:write:dev and flags:read", owner, []string{"flags:write:dev", "flags:read"},
			[]string{"flags:read", "flags:write:dev@payments"}},
		{"team owner, two environments", owner, []string{"flags:write:dev", "flags:write:staging", "actions:approve:dev"},
			[]string{"actions:approve:dev@payments", "flags:write:dev@payments", "flags:write:staging@payments"}},
		{"service evaluating production", nil, []string{"flags:evaluate:production"}, []string{"flags:evaluate:production"}},
		{"CI reading the catalog", nil, []string{"catalog:read"}, []string{"catalog:read"}},
		{"qualified catalog:read, stored before qualifiers were checked", nil, []string{"catalog:read:dev"}, []string{}},
		{"admin, tokens:manage:x", []auth.Grant{{Role: auth.RoleAdmin}}, []string{"tokens:manage:x", "audit:read"}, []string{"audit:read"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := policy.Permissions(auth.Principal{Subject: "u", Grants: tt.grants, Scopes: tt.scopes})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckScope(t *testing.T) {
	for _, tt := range []struct {
		scope string
		want  string // "" valid, else a part of the problem
	}{
		{"*", ""},
		{"catalog:read", ""},
		{"tokens:manage", ""},
		{"flags:evaluate:production", ""},
		{"flags:write:dev", ""},
		{"flags:read:eu-west.prod_2", ""},
		{"flags:import:dev", ""},
		{"actions:request:dev", ""},
		{"actions:approve:staging", ""},
		{"catalog:read:dev", "catalog:read acts in no environment"},
		{"tokens:manage:x", "tokens:manage acts in no environment"},
		{"agent:work:eu-1", ""},
		{"kube:claim:prod", "flags:read, flags:write, flags:import, flags:evaluate, actions:request, actions:approve, agent:work, secrets:write, secrets:reveal, drift:fix take one"},
		{"drift:fix:staging", ""},
		{"drift:read:staging", "drift:read acts in no environment"},
		{"flags:write:", "not an environment name"},
		{"flags:write:-dev", "not an environment name"},
		{"flags:write:bad env", "not an environment name"},
		{"flags:write:" + strings.Repeat("e", 129), "not an environment name"},
		{"flags", "is not a permission"},
		{"flags:writ", "is not a permission"},
		{"", "is not a permission"},
	} {
		t.Run(tt.scope, func(t *testing.T) {
			err := policy.CheckScope(tt.scope)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("accepted")
			case tt.want != "" && (!strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"`+tt.scope+`"`)):
				t.Errorf("problem %q does not name the scope or contain %q", err, tt.want)
			}
		})
	}
}

func TestMayRetryOrCancel(t *testing.T) {
	for _, c := range []struct {
		name string
		p    auth.Principal
		want bool
	}{
		{"the requester", auth.Principal{Subject: "dana", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, true},
		{"an owner of the team", auth.Principal{Subject: "olga", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}}, true},
		{"an admin", auth.Principal{Subject: "root", Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, true},
		{"a developer of the team", auth.Principal{Subject: "erin", Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, false},
		{"an owner of another team", auth.Principal{Subject: "otto", Grants: []auth.Grant{{Role: auth.RoleTeamOwner, Team: "search"}}}, false},
		{"a platform approver", auth.Principal{Subject: "pat", Grants: []auth.Grant{{Role: auth.RolePlatformApprover}}}, false},
		{"the requester with a read-only token", auth.Principal{Subject: "dana", Scopes: []string{"catalog:read"},
			Grants: []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}}, false},
		{"an admin with a token for another environment", auth.Principal{Subject: "root", Scopes: []string{"actions:request:prod"},
			Grants: []auth.Grant{{Role: auth.RoleAdmin}}}, false},
	} {
		if d := policy.MayRetryOrCancel(c.p, "dana", "payments", "dev"); d.Allow != c.want || (!d.Allow && d.Reason == "") {
			t.Errorf("%s: %+v, want allow=%v", c.name, d, c.want)
		}
	}
}
