package catalog_test

import (
	"testing"

	"github.com/sphera/atrium/internal/catalog"
)

func TestClaimsService(t *testing.T) {
	redis := catalog.WorkloadRef{Cluster: "eu", Namespace: "ns", Kind: "StatefulSet", Name: "redis"}
	everywhere := redis
	everywhere.Cluster = ""
	inUS := redis
	inUS.Cluster = "us"
	for _, tc := range []struct {
		name              string
		claims            catalog.Claims
		annotation, label string
		service, by       string
	}{
		{"nothing names a service", nil, "", "", "", ""},
		{"the label", nil, "", "cache", "cache", catalog.MappedByLabel},
		{"the annotation over the label", nil, "sessions", "cache", "sessions", catalog.MappedByAnnotation},
		{"a claim over the annotation", catalog.Claims{everywhere: "api"}, "sessions", "cache", "api", catalog.MappedByClaim},
		{"a claim in the cluster over one in every cluster", catalog.Claims{everywhere: "api", redis: "web"}, "", "",
			"web", catalog.MappedByClaim},
		{"a claim in another cluster does not count", catalog.Claims{inUS: "web"}, "", "cache", "cache",
			catalog.MappedByLabel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, by := tc.claims.Service(redis, tc.annotation, tc.label)
			if svc != tc.service || by != tc.by {
				t.Errorf("got %q by %q, want %q by %q", svc, by, tc.service, tc.by)
			}
		})
	}
}

func TestUnmappedReason(t *testing.T) {
	dp := catalog.Deployment{Cluster: "eu", Namespace: "ns", Kind: "Deployment", Name: "x"}
	for _, tc := range []struct{ service, by, reason string }{
		{"", "", "carries neither the atrium.sphera.io/service annotation nor the app.kubernetes.io/name label"},
		{"gone", catalog.MappedByClaim, `claimed for service "gone", which is not in the catalog`},
		{"typo", catalog.MappedByLabel, `its label names service "typo", which is not in the catalog`},
	} {
		if u := catalog.Unmapped(dp, tc.service, tc.by); u.Reason != tc.reason || u.Candidate != tc.service || u.Name != "x" {
			t.Errorf("%q by %q: %+v", tc.service, tc.by, u)
		}
	}
}
