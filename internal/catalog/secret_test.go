package catalog

import "testing"

func TestMissingPlaces(t *testing.T) {
	at := func(env, region, cluster string) SecretPlace {
		p := SecretPlace{Environment: env, Region: region, Backend: SecretBackendAWS}
		if cluster != "" {
			p.Backend, p.Cluster, p.Namespace = SecretBackendKubernetes, cluster, "payments"
		}
		return p
	}
	expected := []SecretPlace{at("dev", "eu-west-1", "dev-eu-1"), at("staging", "eu-west-1", ""),
		at("production", "eu-west-1", ""), at("production", "us-east-1", "")}
	locs := []SecretLocation{{SecretPlace: at("production", "eu-west-1", "")}}
	got := MissingPlaces(locs, expected, []string{"dev"})
	// dev is required; production has it in one region of two; staging is neither required nor used.
	want := []string{"dev/eu-west-1/dev-eu-1/payments", "production/us-east-1"}
	if len(got) != len(want) {
		t.Fatalf("missing %+v", got)
	}
	for i := range want {
		if got[i].Key() != want[i] {
			t.Errorf("missing[%d] = %s, want %s", i, got[i].Key(), want[i])
		}
	}
	// A Kubernetes Secret in another namespace of the same cluster covers the cluster.
	other := at("dev", "eu-west-1", "dev-eu-1")
	other.Namespace = "elsewhere"
	if got := MissingPlaces([]SecretLocation{{SecretPlace: other}}, expected[:1], []string{"dev"}); len(got) != 0 {
		t.Errorf("covered cluster reported missing: %+v", got)
	}
}
