package fleet

import "testing"

// Every page the UI reports (its route names, lib/usage.ts) and every CLI command counts for the feature it is
// part of; parameters never matter.
func TestFeatureOfPage(t *testing.T) {
	for page, want := range map[string]string{
		"catalog": "catalog", "service:payments-api": "catalog", "matrix": "catalog", "clusters": "catalog",
		"packages": "catalog", "package:npm/react": "catalog", "sources": "catalog",
		"scorecards": "scorecards", "score": "scorecards", "gate": "scorecards",
		"requests": "self-service", "request_new": "self-service", "action:act_1": "self-service",
		"approvals": "self-service", "new_service": "self-service", "templates": "self-service", "create": "self-service",
		"flags": "flags", "flag:production/x": "flags", "flag_edit:dev/x": "flags", "flag_new": "flags",
		"secrets": "secrets", "secret": "secrets",
		"audit": "admin", "tokens": "admin", "settings": "admin", "fleet": "admin", "fleet_history": "admin",
		"fleet_installs": "admin", "adoption": "admin", "kpi": "admin",
		"not_found": "other", "": "other", "Über": "other",
	} {
		if got := Feature(page); got != want {
			t.Errorf("Feature(%q) = %q, want %q", page, got, want)
		}
	}
}
