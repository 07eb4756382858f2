package gitops

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/sphera/atrium/internal/actions"
)

func TestPreviewRendersTerraformAndCreatesNothing(t *testing.T) {
	cfg := actions.Config{Environments: map[string]actions.Environment{
		"dev": {Regions: []string{"eu-west-1"}, Delivery: actions.DeliveryPreview},
	}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	a := actions.Action{ID: "act_1", Kind: actions.KindSQSQueue, Service: "payments-api", Team: "payments",
		Requester: "ana", Environment: "dev", Region: "eu-west-1",
		Params: []byte(`{"name": "payments-events"}`)}
	out, err := Preview{Config: cfg}.Execute(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Done || out.Result["terraform_path"] != "envs/dev/eu-west-1/payments-api/sqs_payments-events.tf" {
		t.Fatalf("outcome: %+v", out)
	}
	if _, diags := hclparse.NewParser().ParseHCL([]byte(out.Result["terraform"]), "preview.tf"); diags.HasErrors() {
		t.Fatalf("preview is not valid HCL: %v\n%s", diags, out.Result["terraform"])
	}
	if !strings.Contains(out.Result["terraform"], `"payments-events"`) {
		t.Errorf("queue name missing:\n%s", out.Result["terraform"])
	}
	if _, err := (Preview{Config: cfg}).Execute(context.Background(), actions.Action{Environment: "nowhere"}); !actions.IsPermanent(err) {
		t.Errorf("unknown environment must fail permanently: %v", err)
	}
}
