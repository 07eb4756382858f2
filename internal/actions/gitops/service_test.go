package gitops_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
)

func TestServiceStackTerraformParsesBack(t *testing.T) {
	stack := gitops.ServiceStack{Service: "orders", Team: "payments", Environment: "dev", Region: "eu-west-1",
		Namespace: "payments", ServiceAccount: "orders", Clusters: []string{"dev-eu-2", "dev-eu-1"},
		Queue: &actions.SQSQueueParams{Name: "orders-dev"}, Secrets: []string{"stripe-key", "db-password"},
		Origin: "template go-http-service@v1"}
	files, err := gitops.GenerateService(gitopsEnv(), stack)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, " "); got != "envs/dev/eu-west-1/orders/iam.tf envs/dev/eu-west-1/orders/sqs.tf envs/dev/eu-west-1/orders/secrets.tf" {
		t.Fatalf("paths: %s", got)
	}

	iam := parse(t, files[0])
	role := iam["resource.aws_iam_role.orders"]
	if role == nil || attr(t, role, "name").AsString() != "orders-dev-eu-west-1" {
		t.Fatalf("role:\n%s", files[0].Content)
	}
	if got := traversal(t, role, "assume_role_policy"); got != "data.aws_iam_policy_document.orders_assume.json" {
		t.Errorf("assume_role_policy = %s", got)
	}
	for _, c := range []string{"dev-eu-1", "dev-eu-2"} {
		a := iam["resource.aws_eks_pod_identity_association.orders_"+c]
		if a == nil {
			t.Fatalf("no pod identity association for %s:\n%s", c, files[0].Content)
		}
		if attr(t, a, "cluster_name").AsString() != c || attr(t, a, "namespace").AsString() != "payments" ||
			attr(t, a, "service_account").AsString() != "orders" || traversal(t, a, "role_arn") != "aws_iam_role.orders.arn" {
			t.Errorf("association %s:\n%s", c, files[0].Content)
		}
	}
	// Sorted clusters: the same stack renders the same bytes.
	again, _ := gitops.GenerateService(gitopsEnv(), stack)
	for i := range files {
		if !bytes.Equal(files[i].Content, again[i].Content) {
			t.Errorf("%s differs between two renderings", files[i].Path)
		}
	}

	sqs := parse(t, files[1])
	if q := sqs["resource.aws_sqs_queue.orders-dev"]; q == nil || attr(t, q, "name").AsString() != "orders-dev" {
		t.Fatalf("queue:\n%s", files[1].Content)
	}
	if p := sqs["resource.aws_iam_role_policy.orders_sqs"]; p == nil || traversal(t, p, "role") != "aws_iam_role.orders.id" {
		t.Errorf("queue policy:\n%s", files[1].Content)
	}

	sec := parse(t, files[2])
	s := sec["resource.aws_secretsmanager_secret.orders_db-password"]
	if s == nil || attr(t, s, "name").AsString() != "dev/orders/db-password" {
		t.Fatalf("secret:\n%s", files[2].Content)
	}
	for k := range sec {
		if strings.Contains(k, "secret_version") {
			t.Errorf("a secret value is written: %s\n%s", k, files[2].Content)
		}
	}

	// Names are data: an origin or team holding HCL stays a string.
	stack.Team, stack.Origin = `x"${file("/etc/passwd")}`, "o\n}\nresource \"x\" \"y\" {"
	stack.Queue, stack.Secrets, stack.Clusters = nil, nil, nil
	files, err = gitops.GenerateService(gitopsEnv(), stack)
	if err != nil {
		t.Fatal(err)
	}
	blocks := parse(t, files[0])
	if len(blocks) != 2 {
		t.Errorf("blocks: %v\n%s", blocks, files[0].Content)
	}
	tags := attr(t, blocks["resource.aws_iam_role.orders"], "tags").AsValueMap()
	if tags["atrium:team"].AsString() != stack.Team {
		t.Errorf("team tag %q", tags["atrium:team"].AsString())
	}

	stack.Region = "../../etc"
	if _, err := gitops.GenerateService(gitopsEnv(), stack); err == nil {
		t.Error("a region leaving the directory was accepted")
	}
}

func TestRoleNameFitsIAM(t *testing.T) {
	long := strings.Repeat("a", 40)
	for _, tc := range []struct{ service, env, region, want string }{
		{"orders", "dev", "eu-west-1", "orders-dev-eu-west-1"},
		{long, "development-eu", "ap-southeast-2", long[:64-len("-development-eu-ap-southeast-2")] + "-development-eu-ap-southeast-2"},
	} {
		if got := gitops.RoleName(tc.service, tc.env, tc.region); got != tc.want || len(got) > 64 {
			t.Errorf("RoleName(%s, %s, %s) = %s", tc.service, tc.env, tc.region, got)
		}
	}
}
