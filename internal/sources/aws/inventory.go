package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// Inventory is what one region held when it was listed. A service in Failed was not listed: what it holds is
// unknown, which is not the same as empty.
type Inventory struct {
	Environment string    `json:"environment"`
	Region      string    `json:"region"`
	At          time.Time `json:"at"`
	// Listed are the services listed completely; Failed the others, with why.
	Listed  map[string]bool   `json:"listed"`
	Failed  map[string]string `json:"failed"`
	Queues  []Queue           `json:"queues"`
	Topics  []Topic           `json:"topics"`
	Secrets []Secret          `json:"secrets"`
}

// Known reports whether service was listed completely in this inventory.
func (inv Inventory) Known(service string) bool { return inv.Listed[service] }

// Queue is an SQS queue: its attributes as SQS names them (VisibilityTimeout, MessageRetentionPeriod, FifoQueue,
// ...) and its tags.
type Queue struct {
	Name       string            `json:"name"`
	URL        string            `json:"url"`
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
	// ModifiedAt is when its attributes last changed (LastModifiedTimestamp).
	ModifiedAt time.Time `json:"modified_at,omitzero"`
}

// Topic is an SNS topic with its attributes, tags and subscriptions.
type Topic struct {
	Name          string            `json:"name"`
	ARN           string            `json:"arn"`
	Attributes    map[string]string `json:"attributes"`
	Tags          map[string]string `json:"tags"`
	Subscriptions []Subscription    `json:"subscriptions"`
}

// Subscription is one subscription of a topic.
type Subscription struct {
	ARN      string `json:"arn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
}

// Secret is a Secrets Manager secret as ListSecrets describes it: never its value.
type Secret struct {
	Name      string            `json:"name"`
	ARN       string            `json:"arn"`
	Tags      map[string]string `json:"tags"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	ChangedAt time.Time         `json:"changed_at,omitzero"`
	// LastAccessedAt is AWS's last access date (a day).
	LastAccessedAt time.Time `json:"last_accessed_at,omitzero"`
}

// ListError is a service of a region that could not be listed, with a message a person can act on.
type ListError struct {
	Service string
	Target  Target
	Err     error
}

func (e *ListError) Error() string { return describe(e.Service, e.Target, e.Err) }
func (e *ListError) Unwrap() error { return e.Err }

var serviceNames = map[string]string{ServiceSQS: "SQS", ServiceSNS: "SNS", ServiceSecretsManager: "Secrets Manager"}

// describe says why a service of a region could not be listed: unreachable, refused (credentials, permissions),
// or what AWS answered.
func describe(service string, t Target, err error) string {
	what := fmt.Sprintf("%s in %s", serviceNames[service], t.Key())
	var ae smithy.APIError
	var ne net.Error
	switch {
	case errors.As(err, &ae):
		code := ae.ErrorCode()
		switch {
		case strings.Contains(code, "AccessDenied"), strings.Contains(code, "Unauthorized"),
			code == "UnrecognizedClientException", code == "InvalidClientTokenId", code == "ExpiredToken",
			code == "AuthorizationError", code == "SignatureDoesNotMatch":
			return fmt.Sprintf("%s: AWS refused to list it (%s: %s): grant the portal's role read access "+
				"(sqs:ListQueues, GetQueueAttributes, ListQueueTags; sns:ListTopics, GetTopicAttributes, "+
				"ListTagsForResource, ListSubscriptionsByTopic; secretsmanager:ListSecrets)", what, code, ae.ErrorMessage())
		}
		return fmt.Sprintf("%s: AWS answered %s: %s", what, code, ae.ErrorMessage())
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("%s: unreachable: no answer in time (%v)", what, lastLine(err))
	case errors.As(err, &ne), strings.Contains(err.Error(), "connection refused"), strings.Contains(err.Error(), "no such host"):
		return fmt.Sprintf("%s: unreachable (%v)", what, lastLine(err))
	}
	return fmt.Sprintf("%s: %v", what, err)
}

// lastLine keeps the cause of an SDK error chain ("operation error SQS: ListQueues, ... dial tcp ...: connection
// refused" → "dial tcp ...: connection refused").
func lastLine(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ", "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// code is err's AWS error code, "" for none.
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// each runs fn for i in [0, n) with at most conc at once, and returns the first error.
func each(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// Cancelled from outside (our own errors set first).
		return context.Cause(ctx)
	}
	return first
}

// listQueues lists every queue with its attributes and tags. A queue deleted while the region is listed is left
// out; any other failure fails the listing (the queues are then unknown).
func listQueues(ctx context.Context, c *sqs.Client, conc int, progress func(done, total int)) ([]Queue, error) {
	var urls []string
	// MaxResults makes AWS paginate; without it ListQueues returns at most 1,000 queues and no token.
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: sdk.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		urls = append(urls, page.QueueUrls...)
	}
	progress(0, len(urls))
	qs := make([]Queue, len(urls))
	gone := make([]bool, len(urls))
	err := each(ctx, len(urls), conc, func(ctx context.Context, i int) error {
		u := urls[i]
		q := Queue{Name: path.Base(u), URL: u, Attributes: map[string]string{}, Tags: map[string]string{}}
		ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: sdk.String(u),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if isGone(err) {
			gone[i] = true
			progress(1, 0)
			return nil
		}
		if err != nil {
			return fmt.Errorf("attributes of queue %s: %w", q.Name, err)
		}
		for k, v := range ga.Attributes {
			switch k {
			// Counters and the policy change on their own or are not configuration drift compares.
			case "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed":
				continue
			}
			q.Attributes[k] = v
		}
		q.ARN = q.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
		if ts, err := strconv.ParseInt(q.Attributes[string(sqstypes.QueueAttributeNameLastModifiedTimestamp)], 10, 64); err == nil && ts > 0 {
			q.ModifiedAt = time.Unix(ts, 0).UTC()
		}
		tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: sdk.String(u)})
		if isGone(err) {
			gone[i] = true
			progress(1, 0)
			return nil
		}
		if err != nil {
			return fmt.Errorf("tags of queue %s: %w", q.Name, err)
		}
		for k, v := range tags.Tags {
			q.Tags[k] = v
		}
		qs[i] = q
		progress(1, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := qs[:0]
	for i, q := range qs {
		if !gone[i] {
			out = append(out, q)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func isGone(err error) bool {
	switch code(err) {
	case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound", "NotFoundException":
		return true
	}
	return false
}

// listTopics lists every topic with its attributes, tags and subscriptions.
func listTopics(ctx context.Context, c *sns.Client, conc int, progress func(done, total int)) ([]Topic, error) {
	var arns []string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Topics {
			arns = append(arns, sdk.ToString(t.TopicArn))
		}
	}
	progress(0, len(arns))
	ts := make([]Topic, len(arns))
	gone := make([]bool, len(arns))
	err := each(ctx, len(arns), conc, func(ctx context.Context, i int) error {
		arn := arns[i]
		t := Topic{Name: arn[strings.LastIndex(arn, ":")+1:], ARN: arn, Attributes: map[string]string{},
			Tags: map[string]string{}, Subscriptions: []Subscription{}}
		ga, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: sdk.String(arn)})
		if isGone(err) {
			gone[i] = true
			progress(1, 0)
			return nil
		}
		if err != nil {
			return fmt.Errorf("attributes of topic %s: %w", t.Name, err)
		}
		for k, v := range ga.Attributes {
			switch k {
			case "SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted":
				continue // counters
			}
			t.Attributes[k] = v
		}
		tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: sdk.String(arn)})
		if err != nil && !isGone(err) {
			return fmt.Errorf("tags of topic %s: %w", t.Name, err)
		}
		if tags != nil {
			for _, tg := range tags.Tags {
				t.Tags[sdk.ToString(tg.Key)] = sdk.ToString(tg.Value)
			}
		}
		sp := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: sdk.String(arn)})
		for sp.HasMorePages() {
			page, err := sp.NextPage(ctx)
			if isGone(err) {
				break
			}
			if err != nil {
				return fmt.Errorf("subscriptions of topic %s: %w", t.Name, err)
			}
			for _, s := range page.Subscriptions {
				t.Subscriptions = append(t.Subscriptions, Subscription{ARN: sdk.ToString(s.SubscriptionArn),
					Protocol: sdk.ToString(s.Protocol), Endpoint: sdk.ToString(s.Endpoint)})
			}
		}
		sort.Slice(t.Subscriptions, func(a, b int) bool {
			return t.Subscriptions[a].Protocol+t.Subscriptions[a].Endpoint < t.Subscriptions[b].Protocol+t.Subscriptions[b].Endpoint
		})
		ts[i] = t
		progress(1, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := ts[:0]
	for i, t := range ts {
		if !gone[i] {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// listSecrets lists every secret with its tags and dates (ListSecrets returns both; values are never read).
func listSecrets(ctx context.Context, c *sm.Client) ([]Secret, error) {
	var out []Secret
	p := sm.NewListSecretsPaginator(c, &sm.ListSecretsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.SecretList {
			s := Secret{Name: sdk.ToString(e.Name), ARN: sdk.ToString(e.ARN), Tags: map[string]string{},
				CreatedAt: sdk.ToTime(e.CreatedDate).UTC(), ChangedAt: sdk.ToTime(e.LastChangedDate).UTC(),
				LastAccessedAt: sdk.ToTime(e.LastAccessedDate).UTC()}
			for _, t := range e.Tags {
				s.Tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
