package secrets

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// TestPreviewSaysWhereAndShowsTheManifestWithoutTheValue: a secret action's preview names every place it writes
// and shows the Kubernetes Secret the agent will apply, its data a placeholder — the action holds no value to show,
// and the preview shows none.
func TestPreviewSaysWhereAndShowsTheManifestWithoutTheValue(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.PutServices(ctx, []catalog.Service{{Name: "checkout", Owner: "payments", Description: "x",
		Lifecycle: "production", Type: "service", Language: "Go", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	params, _ := json.Marshal(Params{Name: "db-password", FullName: "payments/checkout/db-password", Operation: OpRotate,
		ValueRef: "sv_0123", Targets: []Target{
			{SecretPlace: catalog.SecretPlace{Environment: "production", Region: "eu-west-1", Backend: catalog.SecretBackendAWS}, Object: "payments/checkout/db-password"},
			{SecretPlace: catalog.SecretPlace{Environment: "production", Region: "eu-west-1", Backend: catalog.SecretBackendKubernetes,
				Cluster: "prod-eu-1", Namespace: "payments"}, Object: "checkout-db-password"},
		}})
	a := actions.Action{ID: "act_1", Kind: KindRotate, Service: "checkout", Team: "payments", Environment: "production", Params: params}
	p, err := (&Service{DB: db}).Preview(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Writes a new version of the secret payments/checkout/db-password of checkout (team payments) in production, in 2 place(s), one after the other; the value is never shown, stored in the clear or logged.",
		"AWS Secrets Manager in eu-west-1: puts a new current version of payments/checkout/db-password.",
		"Kubernetes: the agent of prod-eu-1 applies the Secret payments/checkout-db-password below, its value sealed to the agent's key.",
	}
	if strings.Join(p.Summary, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s", strings.Join(p.Summary, "\n"))
	}
	if len(p.Files) != 1 || p.Files[0].Language != "yaml" || p.Files[0].Path != "prod-eu-1/payments/secret-checkout-db-password.yaml" {
		t.Fatalf("files: %+v", p.Files)
	}
	m := p.Files[0].Content
	for _, s := range []string{"kind: Secret", "name: checkout-db-password", "namespace: payments", "value: '" + SealedPlaceholder + "'",
		"atrium.sphera.io/secret: payments/checkout/db-password"} {
		if !strings.Contains(m, s) {
			t.Errorf("manifest lacks %q:\n%s", s, m)
		}
	}
}
