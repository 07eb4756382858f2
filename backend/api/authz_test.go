package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/store"
)

// callers are the kinds of principal the matrix covers: every role, a token without roles, and machine tokens.
var callers = []struct {
	name   string
	grants []auth.Grant
	scopes []string
}{
	{"developer", []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}, nil},
	{"team_owner", []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}, nil},
	{"platform_approver", []auth.Grant{{Role: auth.RolePlatformApprover}}, nil},
	{"admin", []auth.Grant{{Role: auth.RoleAdmin}}, nil},
	{"no_role", nil, nil},
	{"admin_read_only_token", []auth.Grant{{Role: auth.RoleAdmin}}, []string{"catalog:read"}},
	{"ci_catalog_token", nil, []string{"catalog:read"}},
	{"flags_eval_token", nil, []string{"flags:evaluate:production"}},
	{"agent_token", nil, []string{"agent:work:x"}},  // the agent of cluster "x", the name every path parameter gets
	{"ci_gate_token", nil, []string{"gates:check"}}, // a CI pipeline (or a cluster's apiserver) asking the gate
}

// templateReaders: everyone with a role lists and dry-runs templates (creating a service is an action request).
var templateReaders = map[string]bool{"developer": true, "team_owner": true, "platform_approver": true, "admin": true}

// allowed is the expected route-level answer for every privileged endpoint × caller. A new endpoint fails the test
// until it is added here, so no endpoint's permissions go unreviewed. Resource-level checks (the team of a flag,
// an action) are tested where those endpoints live.
var allowed = map[string]map[string]bool{
	"GET /api/v1/services":                       {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/services/{name}":                {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/facets":                         {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/teams":                          {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/changes":                        {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/packages":                       {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/packages/{ecosystem}/{name...}": {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/sources":                        {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/sources/{name}":                 {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"POST /api/v1/sources/{name}/sync":           {"admin": true},
	"GET /api/v1/kube/matrix":                    {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/kube/clusters":                  {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/kube/unmapped":                  {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/kube/claims":                    {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"POST /api/v1/kube/claims":                   {"admin": true},
	"DELETE /api/v1/kube/claims/{id}":            {"admin": true},
	"GET /api/v1/me":                             {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "no_role": true, "admin_read_only_token": true, "ci_catalog_token": true, "flags_eval_token": true, "agent_token": true, "ci_gate_token": true},
	"GET /api/v1/openapi.yaml":                   {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "no_role": true, "admin_read_only_token": true, "ci_catalog_token": true, "flags_eval_token": true, "agent_token": true, "ci_gate_token": true},

	// Scorecards: read like the catalog (a replica answers them too); the deploy gate and the admission webhook
	// for every role and for tokens scoped gates:check; exceptions granted and revoked by admins; rules tried by
	// platform approvers.
	"GET /api/v1/scorecards":                       {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/scorecards/teams":                 {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/scorecards/trend":                 {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/services/{name}/scorecard":        {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "admin_read_only_token": true, "ci_catalog_token": true},
	"GET /api/v1/gates/deploy":                     gateCheckers,
	"GET /api/v1/gates/exceptions":                 gateCheckers,
	"POST /api/v1/admission/deployments/{cluster}": gateCheckers,
	"POST /api/v1/gates/exceptions":                {"admin": true},
	"DELETE /api/v1/gates/exceptions/{id}":         {"admin": true},
	"POST /api/v1/scorecards/rules:test":           {"platform_approver": true, "admin": true},

	// Tokens: admins only.
	"POST /api/v1/tokens":        {"admin": true},
	"GET /api/v1/tokens":         {"admin": true},
	"DELETE /api/v1/tokens/{id}": {"admin": true},
	// Audit log: platform approvers and admins.
	"GET /api/v1/audit": {"platform_approver": true, "admin": true},
	// Actions: everyone with a role reads them; developers and team owners request (for their own team, checked
	// in the handler); team owners, platform approvers and admins reach the approval endpoints (whether they may
	// approve a given request is policy.MayApprove's answer, tested in internal/actions).
	"GET /api/v1/actions/options":       {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/actions/queues":        {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"POST /api/v1/actions":              {"developer": true, "team_owner": true, "admin": true},
	"GET /api/v1/actions":               {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/actions/{id}":          {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/actions/{id}/plan":     {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/actions/{id}/preview":  {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"POST /api/v1/actions/{id}/approve": {"team_owner": true, "platform_approver": true, "admin": true},
	"POST /api/v1/actions/{id}/reject":  {"team_owner": true, "platform_approver": true, "admin": true},
	// The route lets requesters through; the service then admits only the action's requester, an owner of its
	// team and admins (policy.MayRetryOrCancel, tested in internal/policy and in actions_test.go).
	"POST /api/v1/actions/{id}/retry":  {"developer": true, "team_owner": true, "admin": true},
	"POST /api/v1/actions/{id}/cancel": {"developer": true, "team_owner": true, "admin": true},
	"GET /api/v1/approvals":            {"team_owner": true, "platform_approver": true, "admin": true},

	"GET /api/v1/templates":                  templateReaders,
	"GET /api/v1/templates/{name}":           templateReaders,
	"POST /api/v1/templates/{name}/validate": templateReaders,
	"POST /api/v1/templates/{name}/plan":     templateReaders,

	"GET /api/v1/flags":                             flagReaders,
	"GET /api/v1/flags/environments":                flagReaders,
	"GET /api/v1/flags/export":                      flagReaders,
	"GET /api/v1/flags/{environment}/{key}":         flagReaders,
	"GET /api/v1/flags/{environment}/{key}/history": flagReaders,
	"POST /api/v1/flags/import":                     {"admin": true},
	"PUT /api/v1/flags/{environment}/{key}":         {"team_owner": true, "admin": true},
	"DELETE /api/v1/flags/{environment}/{key}":      {"team_owner": true, "admin": true},
	"GET /api/v1/flags/definitions":                 flagEvaluators,
	"POST /ofrep/v1/evaluate/flags/{key}":           flagEvaluators,
	"POST /ofrep/v1/evaluate/flags":                 flagEvaluators,

	// Cluster agents: the agent of the path's cluster (and admins); whether another cluster's agent is refused is
	// tested in agents_test.go.
	"GET /api/v1/agents":                             {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"POST /api/v1/agents/{cluster}/hello":            agentWorkers,
	"GET /api/v1/agents/{cluster}/work":              agentWorkers,
	"POST /api/v1/agents/{cluster}/work/{id}/renew":  agentWorkers,
	"POST /api/v1/agents/{cluster}/work/{id}/result": agentWorkers,

	// The fleet: admins push, preview, roll back and list installs (it changes every developer's app); every
	// authenticated caller may read the public key to compare with what their install pinned; people with a role
	// send usage; platform approvers and admins read the KPI; admins replace the developer list.
	"GET /api/v1/fleet/config":            {"admin": true},
	"POST /api/v1/fleet/config":           {"admin": true},
	"POST /api/v1/fleet/preview":          {"admin": true},
	"GET /api/v1/fleet/history":           {"admin": true},
	"GET /api/v1/fleet/history/{version}": {"admin": true},
	"POST /api/v1/fleet/rollback":         {"admin": true},
	"GET /api/v1/fleet/installs":          {"admin": true},
	"GET /api/v1/fleet/key":               {"developer": true, "team_owner": true, "platform_approver": true, "admin": true, "no_role": true, "admin_read_only_token": true, "ci_catalog_token": true, "flags_eval_token": true, "agent_token": true, "ci_gate_token": true},
	"POST /api/v1/usage/batch":            {"developer": true, "team_owner": true, "platform_approver": true, "admin": true},
	"GET /api/v1/kpi/adoption":            {"platform_approver": true, "admin": true},
	"GET /api/v1/kpi/developers":          {"platform_approver": true, "admin": true},
	"PUT /api/v1/kpi/developers":          {"admin": true},

	// Secrets: every role reads the metadata (never values); developers and team owners write and reveal (their
	// own team's, in environments the conventions allow: tested in secrets_test.go).
	"GET /api/v1/secrets":                            secretReaders,
	"GET /api/v1/secrets/conventions":                secretReaders,
	"GET /api/v1/secrets/{service}/{name}":           secretReaders,
	"POST /api/v1/secrets":                           secretWriters,
	"POST /api/v1/secrets/{service}/{name}/versions": secretWriters,
	"DELETE /api/v1/secrets/{service}/{name}":        secretWriters,
	"POST /api/v1/secrets/{service}/{name}/reveal":   secretWriters,

	// Drift: every role reads the items; developers and team owners acknowledge, silence and fix their own team's
	// (the item's team is checked by the service: drift_test.go), platform approvers acknowledge and silence any;
	// fixing is the owning team's or an admin's.
	"GET /api/v1/drift":                         driftReaders,
	"GET /api/v1/drift/{id}":                    driftReaders,
	"POST /api/v1/drift/{id}/acknowledge":       driftReaders,
	"DELETE /api/v1/drift/{id}/acknowledgement": driftReaders,
	"POST /api/v1/drift/{id}/fix":               secretWriters,
}

var driftReaders = map[string]bool{"developer": true, "team_owner": true, "platform_approver": true, "admin": true}

var (
	secretReaders = map[string]bool{"developer": true, "team_owner": true, "platform_approver": true, "admin": true}
	secretWriters = map[string]bool{"developer": true, "team_owner": true, "admin": true}
)

var agentWorkers = map[string]bool{"admin": true, "agent_token": true}

var gateCheckers = map[string]bool{"developer": true, "team_owner": true, "platform_approver": true, "admin": true,
	"ci_gate_token": true}

// Reading flags is open to every role; evaluating them also to machine tokens scoped to an environment.
var (
	flagReaders    = map[string]bool{"developer": true, "team_owner": true, "platform_approver": true, "admin": true}
	flagEvaluators = map[string]bool{"developer": true, "team_owner": true, "platform_approver": true, "admin": true,
		"flags_eval_token": true}
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

func TestEveryPrivilegedEndpointForEveryRole(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	tokens := auth.Tokens{DB: db.SQL()}
	secrets := map[string]string{}
	for _, c := range callers {
		secret, _, err := tokens.Create(ctx, auth.Token{Name: c.name, Subject: c.name, Grants: c.grants, Scopes: c.scopes}, "")
		if err != nil {
			t.Fatal(err)
		}
		secrets[c.name] = secret
	}
	portal := &api.Portal{DB: db, Routes: (&api.Flags{Store: &flagstore.Store{DB: db.SQL()}}).Routes()}
	srv := httptest.NewServer(portal.Handler())
	defer srv.Close()

	seen := map[string]bool{}
	for _, rt := range portal.AllRoutes() {
		if rt.Perm == api.Public {
			continue
		}
		seen[rt.Pattern] = true
		want, ok := allowed[rt.Pattern]
		if !ok {
			t.Errorf("endpoint %s (%s) is not in the permission matrix of this test", rt.Pattern, rt.Perm)
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = pathParam.ReplaceAllString(path, "x")
		for _, c := range callers {
			t.Run(rt.Pattern+"/"+c.name, func(t *testing.T) {
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
				req.Header.Set("Authorization", "Bearer "+secrets[c.name])
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					t.Fatalf("valid token answered 401")
				}
				if got := resp.StatusCode != http.StatusForbidden; got != want[c.name] {
					t.Errorf("allowed=%v (status %d), want %v", got, resp.StatusCode, want[c.name])
				}
			})
		}
		// And nobody without credentials.
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %v %v", rt.Pattern, resp.StatusCode, err)
		}
	}
	for p := range allowed {
		if !seen[p] {
			t.Errorf("matrix lists %s, which is not an endpoint", p)
		}
	}
}
