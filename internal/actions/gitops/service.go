package gitops

import (
	"fmt"
	"path"
	"sort"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sphera/atrium/internal/actions"
)

// ServiceStack is the infrastructure of a new service in one environment and region, as the golden path proposes
// it: an IAM role its pods assume (EKS Pod Identity, one association per cluster), and, when asked, its SQS queue
// and the placeholders of its secrets — names only: a secret's value never enters the infrastructure repository.
type ServiceStack struct {
	Service     string
	Team        string
	Environment string
	Region      string
	// Namespace and ServiceAccount are where the service's pods run and as whom.
	Namespace      string
	ServiceAccount string
	// Clusters are the EKS clusters of this environment and region that run the service.
	Clusters []string
	// Queue is the service's own SQS queue, nil for none.
	Queue *actions.SQSQueueParams
	// Secrets are the names of the service's secrets.
	Secrets []string
	// Origin says what proposes the stack, for the header comment and the tags ("template go-http-service@v1").
	Origin string
}

func (s ServiceStack) tags() cty.Value {
	return cty.MapVal(map[string]cty.Value{
		"atrium:environment": cty.StringVal(s.Environment),
		"atrium:origin":      cty.StringVal(s.Origin),
		"atrium:service":     cty.StringVal(s.Service),
		"atrium:team":        cty.StringVal(s.Team),
	})
}

// RoleName is the IAM role of a service in an environment and region; IAM names are global to an account and at
// most 64 characters, so the service part is shortened when needed.
func RoleName(service, env, region string) string {
	suffix := "-" + env + "-" + region
	if len(service)+len(suffix) > 64 && len(suffix) < 64 {
		service = service[:64-len(suffix)]
	}
	return service + suffix
}

// GenerateService returns the Terraform files of s in the repository layout of g, in a fixed order: iam.tf, then
// sqs.tf and secrets.tf when asked for. The same stack always renders the same bytes.
func GenerateService(g actions.GitOps, s ServiceStack) ([]File, error) {
	for what, v := range map[string]string{"service": s.Service, "environment": s.Environment, "region": s.Region} {
		if !safeSegment(v) {
			return nil, actions.Permanentf("%s %q cannot be a directory name in the infra repository", what, v)
		}
	}
	dir := g.DirFor(s.Environment, s.Region, s.Service)
	svc := label(s.Service)
	header := func(body *hclwrite.Body, what string) {
		body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(oneLine(fmt.Sprintf(
			"# Managed by Atrium (%s): %s of service %s, team %s, in %s/%s.",
			s.Origin, what, s.Service, s.Team, s.Environment, s.Region)) + "\n")}})
	}
	policy := func(body *hclwrite.Body, name string, actionNames []string, resources []hclwrite.Tokens) {
		body.AppendNewline()
		doc := body.AppendNewBlock("data", []string{"aws_iam_policy_document", svc + "_" + name}).Body()
		st := doc.AppendNewBlock("statement", nil).Body()
		st.SetAttributeValue("actions", stringList(actionNames))
		st.SetAttributeRaw("resources", hclwrite.TokensForTuple(resources))
		body.AppendNewline()
		rp := body.AppendNewBlock("resource", []string{"aws_iam_role_policy", svc + "_" + name}).Body()
		rp.SetAttributeValue("name", cty.StringVal(name))
		rp.SetAttributeRaw("role", ref("aws_iam_role", svc, "id"))
		rp.SetAttributeRaw("policy", ref("data", "aws_iam_policy_document", svc+"_"+name, "json"))
	}
	var files []File

	iam := hclwrite.NewEmptyFile()
	body := iam.Body()
	header(body, "IAM role")
	assume := body.AppendNewBlock("data", []string{"aws_iam_policy_document", svc + "_assume"}).Body()
	st := assume.AppendNewBlock("statement", nil).Body()
	st.SetAttributeValue("actions", stringList([]string{"sts:AssumeRole", "sts:TagSession"}))
	pr := st.AppendNewBlock("principals", nil).Body()
	pr.SetAttributeValue("type", cty.StringVal("Service"))
	pr.SetAttributeValue("identifiers", stringList([]string{"pods.eks.amazonaws.com"}))
	body.AppendNewline()
	role := body.AppendNewBlock("resource", []string{"aws_iam_role", svc}).Body()
	role.SetAttributeValue("name", cty.StringVal(RoleName(s.Service, s.Environment, s.Region)))
	role.SetAttributeRaw("assume_role_policy", ref("data", "aws_iam_policy_document", svc+"_assume", "json"))
	role.SetAttributeValue("tags", s.tags())
	clusters := append([]string(nil), s.Clusters...)
	sort.Strings(clusters)
	for _, c := range clusters {
		body.AppendNewline()
		a := body.AppendNewBlock("resource", []string{"aws_eks_pod_identity_association", label(svc + "_" + c)}).Body()
		a.SetAttributeValue("cluster_name", cty.StringVal(c))
		a.SetAttributeValue("namespace", cty.StringVal(s.Namespace))
		a.SetAttributeValue("service_account", cty.StringVal(s.ServiceAccount))
		a.SetAttributeRaw("role_arn", ref("aws_iam_role", svc, "arn"))
	}
	files = append(files, File{Path: path.Join(dir, "iam.tf"), Content: hclwrite.Format(iam.Bytes())})

	if s.Queue != nil {
		f := hclwrite.NewEmptyFile()
		body := f.Body()
		header(body, "SQS queue")
		q := writeSQSQueue(body, *s.Queue, s.tags())
		policy(body, "sqs", []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
			"sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"},
			[]hclwrite.Tokens{ref("aws_sqs_queue", q, "arn")})
		files = append(files, File{Path: path.Join(dir, "sqs.tf"), Content: hclwrite.Format(f.Bytes())})
	}

	if len(s.Secrets) > 0 {
		names := append([]string(nil), s.Secrets...)
		sort.Strings(names)
		f := hclwrite.NewEmptyFile()
		body := f.Body()
		header(body, "secrets, names only")
		var arns []hclwrite.Tokens
		for i, n := range names {
			l := label(svc + "_" + n)
			if i > 0 {
				body.AppendNewline()
			}
			b := body.AppendNewBlock("resource", []string{"aws_secretsmanager_secret", l}).Body()
			b.SetAttributeValue("name", cty.StringVal(s.Environment+"/"+s.Service+"/"+n))
			b.SetAttributeValue("description", cty.StringVal(oneLine(fmt.Sprintf(
				"Secret %s of service %s; its value is set in Secrets Manager, never in Terraform.", n, s.Service))))
			b.SetAttributeValue("tags", s.tags())
			arns = append(arns, ref("aws_secretsmanager_secret", l, "arn"))
		}
		policy(body, "secrets", []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, arns)
		files = append(files, File{Path: path.Join(dir, "secrets.tf"), Content: hclwrite.Format(f.Bytes())})
	}
	return files, nil
}

func stringList(ss []string) cty.Value {
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}
