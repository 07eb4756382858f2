package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/actions"
)

// ResourcePreviewer says what an SQS queue or SNS topic request will do in its environment, before it is decided:
// in sentences, and — where the delivery path is gitops or preview — the Terraform file exactly as the pull request
// (or the preview) will have it, from the same generator. A direct environment's AWS calls are said in words.
type ResourcePreviewer struct {
	Config actions.Config
}

var _ actions.Previewer = ResourcePreviewer{}

// Preview implements actions.Previewer.
func (p ResourcePreviewer) Preview(_ context.Context, a actions.Action) (actions.Preview, error) {
	env, ok := p.Config.Environments[a.Environment]
	if !ok {
		return actions.Preview{}, fmt.Errorf("environment %q is not configured", a.Environment)
	}
	out := actions.Preview{Summary: describe(a)}
	if len(out.Summary) == 0 {
		return actions.Preview{}, fmt.Errorf("kind %q is not a resource request", a.Kind)
	}
	switch env.Delivery {
	case actions.DeliveryGitOps, actions.DeliveryPreview:
		f, err := Generate(env.GitOps, a)
		if err != nil {
			return actions.Preview{}, err
		}
		out.Files = []actions.PreviewFile{{Path: f.Path, Language: "hcl", Content: string(f.Content)}}
		if env.Delivery == actions.DeliveryGitOps {
			base := env.GitOps.Base
			if base == "" {
				base = "main"
			}
			out.Summary = append(out.Summary, fmt.Sprintf("Delivered as a pull request to %s (into %s) adding %s; "+
				"it exists once the pull request is merged and applied.", env.GitOps.Repo, base, f.Path))
		} else {
			out.Summary = append(out.Summary, "A preview: the Terraform below is what a pull request would add; "+
				"nothing is created.")
		}
	case actions.DeliveryDirect:
		out.Summary = append(out.Summary, directCalls(a, env.AWS.QueuePolicy != "skip")...)
	}
	return out, nil
}

// describe says in sentences what a resource request asks for.
func describe(a actions.Action) []string {
	where := fmt.Sprintf("in %s / %s, for %s (team %s)", a.Environment, a.Region, a.Service, a.Team)
	switch a.Kind {
	case actions.KindSQSQueue:
		var p actions.SQSQueueParams
		if json.Unmarshal(a.Params, &p) != nil {
			return nil
		}
		kind := "standard"
		if p.FIFO {
			kind = "FIFO"
		}
		vis, ret := "AWS's default (30 s)", "AWS's default (4 days)"
		if v := p.VisibilityTimeoutSeconds; v != nil {
			vis = fmt.Sprintf("%d s", *v)
		}
		if v := p.MessageRetentionSeconds; v != nil {
			ret = fmt.Sprintf("%d s", *v)
		}
		return []string{fmt.Sprintf("Creates the %s SQS queue %s %s: visibility timeout %s, message retention %s.",
			kind, p.Name, where, vis, ret)}
	case actions.KindSNSTopic:
		var p actions.SNSTopicParams
		if json.Unmarshal(a.Params, &p) != nil {
			return nil
		}
		kind := "standard"
		if p.FIFO {
			kind = "FIFO"
		}
		out := []string{fmt.Sprintf("Creates the %s SNS topic %s %s.", kind, p.Name, where)}
		if p.SubscribeQueue != "" {
			raw := ""
			if p.RawMessageDelivery {
				raw = " with raw message delivery (no SNS envelope)"
			}
			out = append(out, fmt.Sprintf("Subscribes the SQS queue %s to it%s, and lets the topic send to the "+
				"queue: the queue's policy allows sns.amazonaws.com to sqs:SendMessage when aws:SourceArn is the topic.",
				p.SubscribeQueue, raw))
		}
		return out
	}
	return nil
}

// directCalls says what the direct path does in AWS for a.
func directCalls(a actions.Action, managePolicy bool) []string {
	out := []string{"The portal calls AWS itself, with its own credentials; an existing resource with the same " +
		"attributes counts as done, one with other attributes fails the request (nothing is changed)."}
	if a.Kind != actions.KindSNSTopic {
		return out
	}
	var p actions.SNSTopicParams
	if json.Unmarshal(a.Params, &p) == nil && p.SubscribeQueue != "" {
		if managePolicy {
			out = append(out, fmt.Sprintf("The statement atrium-sns-%s is added to the queue's policy; its other "+
				"statements are kept.", strings.ReplaceAll(p.Name, ".", "-")))
		} else {
			out = append(out, "This environment leaves queue policies alone (queue_policy: skip): the queue's "+
				"policy must already let the topic send, or nothing arrives.")
		}
	}
	return out
}
