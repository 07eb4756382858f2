// Package gitops is the gitops delivery path of actions: the portal writes the Terraform for the requested
// resource into the infrastructure repository's layout, opens a pull request with go-github, and tracks it until
// it is merged (the action succeeds) or closed (it fails). Terraform is generated with hclwrite, never with string
// templates, so names and values are always quoted and escaped correctly.
package gitops

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sphera/atrium/internal/actions"
)

// File is one generated Terraform file.
type File struct {
	Path    string // inside the repository
	Content []byte
}

// label turns an AWS name into a Terraform block label: letters, digits, underscores and hyphens, not starting
// with a digit.
func label(name string) string {
	name = strings.ReplaceAll(name, ".fifo", "_fifo")
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	l := b.String()
	if l == "" || l[0] >= '0' && l[0] <= '9' || l[0] == '-' {
		l = "r_" + l
	}
	return l
}

func tagsValue(a actions.Action) cty.Value {
	return cty.MapVal(map[string]cty.Value{
		"atrium:action":      cty.StringVal(a.ID),
		"atrium:environment": cty.StringVal(a.Environment),
		"atrium:service":     cty.StringVal(a.Service),
		"atrium:team":        cty.StringVal(a.Team),
	})
}

func ref(parts ...string) hclwrite.Tokens {
	tr := hcl.Traversal{hcl.TraverseRoot{Name: parts[0]}}
	for _, p := range parts[1:] {
		tr = append(tr, hcl.TraverseAttr{Name: p})
	}
	return hclwrite.TokensForTraversal(tr)
}

// oneLine keeps a comment on one line whatever the names in it hold.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// safeSegment accepts a path segment that cannot escape its directory.
func safeSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Generate returns the Terraform file for action a in the repository layout of g.
func Generate(g actions.GitOps, a actions.Action) (File, error) {
	for what, v := range map[string]string{"service": a.Service, "environment": a.Environment, "region": a.Region} {
		if !safeSegment(v) {
			return File{}, actions.Permanentf("%s %q cannot be a directory name in the infra repository", what, v)
		}
	}
	dir := g.DirFor(a.Environment, a.Region, a.Service)
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(oneLine(fmt.Sprintf(
		"# Managed by Atrium (action %s): requested by %s for %s, team %s, in %s/%s.",
		a.ID, a.Requester, a.Service, a.Team, a.Environment, a.Region)) + "\n")}})
	var name string
	switch a.Kind {
	case actions.KindSQSQueue:
		var p actions.SQSQueueParams
		if err := json.Unmarshal(a.Params, &p); err != nil {
			return File{}, actions.Permanentf("parameters of action %s: %v", a.ID, err)
		}
		name = "sqs_" + p.Name + ".tf"
		writeSQSQueue(body, p, tagsValue(a))
	case actions.KindSNSTopic:
		var p actions.SNSTopicParams
		if err := json.Unmarshal(a.Params, &p); err != nil {
			return File{}, actions.Permanentf("parameters of action %s: %v", a.ID, err)
		}
		name = "sns_" + p.Name + ".tf"
		topic := label(p.Name)
		b := body.AppendNewBlock("resource", []string{"aws_sns_topic", topic}).Body()
		b.SetAttributeValue("name", cty.StringVal(p.Name))
		if p.FIFO {
			b.SetAttributeValue("fifo_topic", cty.True)
		}
		b.SetAttributeValue("tags", tagsValue(a))
		if p.SubscribeQueue != "" {
			body.AppendNewline()
			q := label(topic + "_" + p.SubscribeQueue)
			d := body.AppendNewBlock("data", []string{"aws_sqs_queue", q}).Body()
			d.SetAttributeValue("name", cty.StringVal(p.SubscribeQueue))
			body.AppendNewline()
			s := body.AppendNewBlock("resource", []string{"aws_sns_topic_subscription", q}).Body()
			s.SetAttributeRaw("topic_arn", ref("aws_sns_topic", topic, "arn"))
			s.SetAttributeValue("protocol", cty.StringVal("sqs"))
			s.SetAttributeRaw("endpoint", ref("data", "aws_sqs_queue", q, "arn"))
			if p.RawMessageDelivery {
				s.SetAttributeValue("raw_message_delivery", cty.True)
			}
			writeQueuePolicy(body, topic, q, p.Name)
		}
	default:
		return File{}, actions.Permanentf("kind %q is not supported by the gitops path", a.Kind)
	}
	return File{Path: path.Join(dir, name), Content: hclwrite.Format(f.Bytes())}, nil
}

// writeQueuePolicy appends the policy that lets the topic deliver to the subscribed queue — SNS sends nothing to
// a queue whose policy does not allow it — with the statement the direct path adds (Sid atrium-sns-<topic>):
// sns.amazonaws.com may sqs:SendMessage to the queue when the message comes from this topic (aws:SourceArn).
func writeQueuePolicy(body *hclwrite.Body, topic, q, topicName string) {
	body.AppendNewline()
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(
		"# SNS delivers to the queue only if the queue's policy lets the topic send to it. This policy is the\n" +
			"# queue's whole policy: if the queue has one elsewhere, add this statement there instead.\n")}})
	doc := body.AppendNewBlock("data", []string{"aws_iam_policy_document", q}).Body()
	st := doc.AppendNewBlock("statement", nil).Body()
	st.SetAttributeValue("sid", cty.StringVal("atrium-sns-"+strings.ReplaceAll(topicName, ".", "-")))
	st.SetAttributeValue("effect", cty.StringVal("Allow"))
	st.SetAttributeValue("actions", cty.ListVal([]cty.Value{cty.StringVal("sqs:SendMessage")}))
	st.SetAttributeRaw("resources", hclwrite.TokensForTuple([]hclwrite.Tokens{ref("data", "aws_sqs_queue", q, "arn")}))
	pr := st.AppendNewBlock("principals", nil).Body()
	pr.SetAttributeValue("type", cty.StringVal("Service"))
	pr.SetAttributeValue("identifiers", cty.ListVal([]cty.Value{cty.StringVal("sns.amazonaws.com")}))
	c := st.AppendNewBlock("condition", nil).Body()
	c.SetAttributeValue("test", cty.StringVal("ArnEquals"))
	c.SetAttributeValue("variable", cty.StringVal("aws:SourceArn"))
	c.SetAttributeRaw("values", hclwrite.TokensForTuple([]hclwrite.Tokens{ref("aws_sns_topic", topic, "arn")}))
	body.AppendNewline()
	qp := body.AppendNewBlock("resource", []string{"aws_sqs_queue_policy", q}).Body()
	qp.SetAttributeRaw("queue_url", ref("data", "aws_sqs_queue", q, "url"))
	qp.SetAttributeRaw("policy", ref("data", "aws_iam_policy_document", q, "json"))
}

// writeSQSQueue appends the aws_sqs_queue resource of p to body and returns its label.
func writeSQSQueue(body *hclwrite.Body, p actions.SQSQueueParams, tags cty.Value) string {
	l := label(p.Name)
	b := body.AppendNewBlock("resource", []string{"aws_sqs_queue", l}).Body()
	b.SetAttributeValue("name", cty.StringVal(p.Name))
	if p.FIFO {
		b.SetAttributeValue("fifo_queue", cty.True)
	}
	if p.VisibilityTimeoutSeconds != nil {
		b.SetAttributeValue("visibility_timeout_seconds", cty.NumberIntVal(int64(*p.VisibilityTimeoutSeconds)))
	}
	if p.MessageRetentionSeconds != nil {
		b.SetAttributeValue("message_retention_seconds", cty.NumberIntVal(int64(*p.MessageRetentionSeconds)))
	}
	b.SetAttributeValue("tags", tags)
	return l
}
