// Package direct is the direct delivery path of actions: the portal creates SQS queues and SNS topics itself with
// aws-sdk-go-v2 and its own credentials. Every step is idempotent — a queue or topic that already exists with the
// requested attributes is success, an existing subscription is not made twice — so an action resumed after a
// crash completes without duplicates.
package direct

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sphera/atrium/internal/actions"
)

// Executor creates the resources of actions in AWS.
type Executor struct {
	Config actions.Config
	// HTTPClient, when set, is the SDK's HTTP client.
	HTTPClient *http.Client

	mu   sync.Mutex
	cfgs map[string]aws.Config // by environment/region
}

// New returns an executor for the environments of cfg.
func New(cfg actions.Config) *Executor { return &Executor{Config: cfg} }

func (e *Executor) awsConfig(ctx context.Context, env actions.Environment, envName, region string) (aws.Config, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := envName + "/" + region
	if c, ok := e.cfgs[key]; ok {
		return c, nil
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if env.AWS.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(env.AWS.Profile))
	}
	if e.HTTPClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(e.HTTPClient))
	}
	c, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return c, fmt.Errorf("load AWS configuration for %s: %w", key, err)
	}
	if e.cfgs == nil {
		e.cfgs = map[string]aws.Config{}
	}
	e.cfgs[key] = c
	return c, nil
}

func (e *Executor) clients(ctx context.Context, a actions.Action) (*sqs.Client, *sns.Client, error) {
	env, ok := e.Config.Environments[a.Environment]
	if !ok {
		return nil, nil, actions.Permanentf("environment %q is no longer configured", a.Environment)
	}
	c, err := e.awsConfig(ctx, env, a.Environment, a.Region)
	if err != nil {
		return nil, nil, err
	}
	ep := env.AWS.Endpoints[a.Region]
	q := sqs.NewFromConfig(c, func(o *sqs.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	t := sns.NewFromConfig(c, func(o *sns.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return q, t, nil
}

// maxObservedQueues bounds how many queues ObservedQueues reads from one region.
const maxObservedQueues = 2000

// ObservedQueues lists the SQS queues of env's region in AWS (actions.QueueObserver), at most maxObservedQueues:
// the queues a topic may subscribe, whether the portal made them or not.
func (e *Executor) ObservedQueues(ctx context.Context, env, region string) ([]actions.Queue, error) {
	q, _, err := e.clients(ctx, actions.Action{Environment: env, Region: region})
	if err != nil {
		return nil, err
	}
	var out []actions.Queue
	pager := sqs.NewListQueuesPaginator(q, &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	for pager.HasMorePages() && len(out) < maxObservedQueues {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list queues: %w", err)
		}
		for _, u := range page.QueueUrls {
			name := u[strings.LastIndex(u, "/")+1:]
			out = append(out, actions.Queue{Name: name, FIFO: strings.HasSuffix(name, ".fifo"), State: actions.QueueExists})
		}
	}
	return out, nil
}

// Execute implements actions.Executor.
func (e *Executor) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	q, t, err := e.clients(ctx, a)
	if err != nil {
		return actions.Outcome{}, err
	}
	var res map[string]string
	switch a.Kind {
	case actions.KindSQSQueue:
		var p actions.SQSQueueParams
		if err := decode(a, &p); err != nil {
			return actions.Outcome{}, err
		}
		res, err = EnsureQueue(ctx, q, p, tags(a))
	case actions.KindSNSTopic:
		var p actions.SNSTopicParams
		if err := decode(a, &p); err != nil {
			return actions.Outcome{}, err
		}
		manage := e.Config.Environments[a.Environment].AWS.QueuePolicy != "skip"
		res, err = EnsureTopic(ctx, t, q, p, tags(a), manage)
	default:
		return actions.Outcome{}, actions.Permanentf("kind %q is not supported by the direct path", a.Kind)
	}
	if err != nil {
		return actions.Outcome{}, classify(err)
	}
	return actions.Outcome{Done: true, Result: res}, nil
}

func decode(a actions.Action, v any) error {
	if err := json.Unmarshal(a.Params, v); err != nil {
		return actions.Permanentf("parameters of action %s: %v", a.ID, err)
	}
	return nil
}

func tags(a actions.Action) map[string]string {
	return map[string]string{"atrium:service": a.Service, "atrium:team": a.Team, "atrium:environment": a.Environment,
		"atrium:action": a.ID}
}

// queueAttributes are the attributes requested by p, in SQS's names.
func queueAttributes(p actions.SQSQueueParams) map[string]string {
	attrs := map[string]string{}
	if p.FIFO {
		attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
	}
	if p.VisibilityTimeoutSeconds != nil {
		attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(*p.VisibilityTimeoutSeconds)
	}
	if p.MessageRetentionSeconds != nil {
		attrs[string(sqstypes.QueueAttributeNameMessageRetentionPeriod)] = strconv.Itoa(*p.MessageRetentionSeconds)
	}
	return attrs
}

// ErrDifferentAttributes means the resource exists with attributes other than those requested; the action
// fails rather than change a resource someone else may be using.
var ErrDifferentAttributes = errors.New("exists with different attributes")

// EnsureQueue creates the queue of p unless it exists with the requested attributes, and returns its URL and ARN.
func EnsureQueue(ctx context.Context, c *sqs.Client, p actions.SQSQueueParams, tags map[string]string) (map[string]string, error) {
	want := queueAttributes(p)
	var url string
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(p.Name), Attributes: want, Tags: tags})
	switch {
	case err == nil:
		url = aws.ToString(out.QueueUrl)
	case isCode(err, "QueueAlreadyExists", "QueueNameExists", "AWS.SimpleQueueService.QueueNameExists"):
		// AWS refuses CreateQueue for an existing queue whose attributes differ; compare them below to say how.
		got, gerr := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(p.Name)})
		if gerr != nil {
			return nil, fmt.Errorf("queue %s exists but its URL could not be read: %w", p.Name, gerr)
		}
		url = aws.ToString(got.QueueUrl)
	default:
		return nil, fmt.Errorf("create queue %s: %w", p.Name, err)
	}
	ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		return nil, fmt.Errorf("read attributes of queue %s: %w", p.Name, err)
	}
	var diffs []string
	for k, v := range want {
		if got, ok := ga.Attributes[k]; ok && got != v {
			diffs = append(diffs, fmt.Sprintf("%s is %s, requested %s", k, got, v))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return nil, actions.Permanent(fmt.Errorf("queue %s %w: %s", p.Name, ErrDifferentAttributes, strings.Join(diffs, "; ")))
	}
	return map[string]string{"queue_url": url, "queue_arn": ga.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}, nil
}

// EnsureTopic creates the topic of p (CreateTopic returns an existing topic's ARN) and, when p names a queue,
// subscribes that queue unless it is subscribed already — after adding a statement to the queue's policy that
// lets the topic send to it, when managePolicy is set.
func EnsureTopic(ctx context.Context, t *sns.Client, q *sqs.Client, p actions.SNSTopicParams, tags map[string]string, managePolicy bool) (map[string]string, error) {
	in := &sns.CreateTopicInput{Name: aws.String(p.Name)}
	if p.FIFO {
		in.Attributes = map[string]string{"FifoTopic": "true"}
	}
	out, err := t.CreateTopic(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("create topic %s: %w", p.Name, err)
	}
	topic := aws.ToString(out.TopicArn)
	res := map[string]string{"topic_arn": topic}
	if p.SubscribeQueue == "" {
		return res, nil
	}
	qu, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(p.SubscribeQueue)})
	if isCode(err, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue") {
		return nil, actions.Permanentf("queue %s to subscribe does not exist in this region: request it first", p.SubscribeQueue)
	}
	if err != nil {
		return nil, fmt.Errorf("find queue %s: %w", p.SubscribeQueue, err)
	}
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, fmt.Errorf("read ARN of queue %s: %w", p.SubscribeQueue, err)
	}
	queueArn := qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	res["queue_arn"] = queueArn
	if managePolicy {
		if err := ensureQueuePolicy(ctx, q, aws.ToString(qu.QueueUrl), queueArn, topic); err != nil {
			return nil, err
		}
	}
	pager := sns.NewListSubscriptionsByTopicPaginator(t, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions of %s: %w", topic, err)
		}
		for _, s := range page.Subscriptions {
			if aws.ToString(s.Protocol) == "sqs" && aws.ToString(s.Endpoint) == queueArn {
				res["subscription_arn"] = aws.ToString(s.SubscriptionArn)
				return res, nil
			}
		}
	}
	sub, err := t.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueArn), ReturnSubscriptionArn: true,
		Attributes: map[string]string{"RawMessageDelivery": strconv.FormatBool(p.RawMessageDelivery)}})
	if err != nil {
		return nil, fmt.Errorf("subscribe %s to %s: %w", p.SubscribeQueue, topic, err)
	}
	res["subscription_arn"] = aws.ToString(sub.SubscriptionArn)
	return res, nil
}

// ensureQueuePolicy lets the topic send to the queue: SNS delivers to SQS only when the queue's policy allows it.
func ensureQueuePolicy(ctx context.Context, q *sqs.Client, queueURL, queueArn, topicArn string) error {
	ga, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		return fmt.Errorf("read policy of %s: %w", queueArn, err)
	}
	policy, changed, err := AllowTopic(ga.Attributes[string(sqstypes.QueueAttributeNamePolicy)], queueArn, topicArn)
	if err != nil || !changed {
		return err
	}
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy}}); err != nil {
		return fmt.Errorf("allow %s to send to %s: %w", topicArn, queueArn, err)
	}
	return nil
}

// AllowTopic returns the queue policy raw ("" for none) with a statement of Atrium's (Sid atrium-sns-<topic>)
// letting topicArn send to queueArn, added unless it is there already (changed false). The queue's other
// statements are kept as they are.
func AllowTopic(raw, queueArn, topicArn string) (policy string, changed bool, err error) {
	topicName := topicArn[strings.LastIndex(topicArn, ":")+1:]
	sid := "atrium-sns-" + strings.ReplaceAll(topicName, ".", "-")
	doc := map[string]any{"Version": "2012-10-17"}
	var statements []any
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &doc); err != nil {
			return "", false, actions.Permanentf("queue %s has a policy that is not JSON; allow %s to send to it by hand", queueArn, topicArn)
		}
		switch st := doc["Statement"].(type) {
		case []any:
			statements = st
		case map[string]any:
			statements = []any{st}
		}
	}
	for _, st := range statements {
		if m, ok := st.(map[string]any); ok && m["Sid"] == sid {
			return raw, false, nil
		}
	}
	doc["Statement"] = append(statements, map[string]any{"Sid": sid, "Effect": "Allow",
		"Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queueArn,
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicArn}}})
	b, _ := json.Marshal(doc)
	return string(b), true, nil
}

// isCode reports whether err is an AWS API error with one of codes. Emulators answer with the old query-protocol
// codes (AWS.SimpleQueueService.NonExistentQueue), AWS with the new ones; callers list both.
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// classify marks errors that retrying cannot fix (bad parameters, missing permissions) as permanent; throttling,
// server faults and network errors stay retryable.
func classify(err error) error {
	if actions.IsPermanent(err) {
		return err
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if strings.Contains(code, "Throttl") || strings.Contains(code, "RequestLimitExceeded") || ae.ErrorFault() == smithy.FaultServer {
			return err
		}
		return actions.Permanent(err)
	}
	return err
}
