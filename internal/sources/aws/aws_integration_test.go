//go:build integration

// The AWS collector against kumo (github.com/sivchari/kumo, built by kumotest), an emulator speaking AWS's wire
// protocols — SQS's JSON protocol, SNS's query protocol, Secrets Manager's JSON — one process per region, as a real
// region is one endpoint. Behind the integration tag: the emulator is built from the Go module proxy on first use.

package aws_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/internal/secrets/awssm/kumotest"
	"github.com/sphera/atrium/internal/sources"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/store"
)

func awsEnv(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-access-key")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// region is a client set for one emulated region, to create what the collector should find.
type region struct {
	name string
	url  string
	sqs  *sqs.Client
	sns  *sns.Client
	sm   *sm.Client
}

func startRegion(t testing.TB, name string) region {
	t.Helper()
	url := kumotest.Start(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(name))
	if err != nil {
		t.Fatal(err)
	}
	return region{name: name, url: url,
		sqs: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = sdk.String(url) }),
		sns: sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = sdk.String(url) }),
		sm:  sm.NewFromConfig(cfg, func(o *sm.Options) { o.BaseEndpoint = sdk.String(url) })}
}

func (r region) queue(t testing.TB, name string, attrs, tags map[string]string) {
	t.Helper()
	if _, err := r.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: sdk.String(name),
		Attributes: attrs, Tags: tags}); err != nil {
		t.Fatalf("create queue %s in %s: %v", name, r.name, err)
	}
}

func (r region) topic(t testing.TB, name string, tags map[string]string, subscribe ...string) string {
	t.Helper()
	var tg []snstypes.Tag
	for k, v := range tags {
		tg = append(tg, snstypes.Tag{Key: sdk.String(k), Value: sdk.String(v)})
	}
	out, err := r.sns.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: sdk.String(name), Tags: tg})
	if err != nil {
		t.Fatalf("create topic %s in %s: %v", name, r.name, err)
	}
	for _, q := range subscribe {
		if _, err := r.sns.Subscribe(context.Background(), &sns.SubscribeInput{TopicArn: out.TopicArn,
			Protocol: sdk.String("sqs"), Endpoint: sdk.String(q)}); err != nil {
			t.Fatalf("subscribe %s: %v", q, err)
		}
	}
	return sdk.ToString(out.TopicArn)
}

func TestCollectorListsQueuesTopicsAndSecretsPerRegion(t *testing.T) {
	awsEnv(t)
	ctx := context.Background()
	eu, us := startRegion(t, "eu-west-1"), startRegion(t, "us-east-1")
	tags := map[string]string{"atrium:service": "payments-api", "atrium:team": "payments"}
	eu.queue(t, "orders-events", map[string]string{"VisibilityTimeout": "45"}, tags)
	eu.queue(t, "ledger-inbox", nil, nil)
	us.queue(t, "orders-events", map[string]string{"VisibilityTimeout": "90"}, tags)
	eu.topic(t, "payments-settled", tags, "arn:aws:sqs:eu-west-1:000000000000:ledger-inbox")
	if _, err := eu.sm.CreateSecret(ctx, &sm.CreateSecretInput{Name: sdk.String("payments/payments-api/db"),
		SecretString: sdk.String("not-listed"), Tags: []smtypes.Tag{{Key: sdk.String("managed-by"), Value: sdk.String("atrium")}}}); err != nil {
		t.Fatal(err)
	}

	db, err := store.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	c, err := awssrc.New(awssrc.Config{Targets: []awssrc.Target{
		{Environment: "production", Region: "eu-west-1", Endpoint: eu.url},
		{Environment: "production", Region: "us-east-1", Endpoint: us.url, Services: []string{awssrc.ServiceSQS}},
		{Environment: "production", Region: "us-east-1", Endpoint: us.url, Services: []string{awssrc.ServiceSNS}},
		// Secrets Manager of us-east-1 through another endpoint (the secrets section's, say): eu's emulator.
		{Environment: "production", Region: "us-east-1", Endpoint: eu.url, Services: []string{awssrc.ServiceSecretsManager}},
	}}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []awssrc.Inventory
	c.Subscribe(func(_ context.Context, inv awssrc.Inventory) { got = append(got, inv) })
	if names := []string{c.Regions()[0].Name(), c.Regions()[1].Name()}; names[0] != "aws:production/eu-west-1" || names[1] != "aws:production/us-east-1" || len(c.Regions()) != 2 {
		t.Fatalf("regions: %v", names)
	}
	if _, ok := c.Regions()[0].(sources.Syncer); !ok {
		t.Fatal("a region is not a sources.Syncer")
	}
	invs := c.SyncAll(ctx)
	if len(got) != 2 {
		t.Fatalf("subscribers got %d inventories", len(got))
	}
	e, u := invs[0], invs[1]
	if len(e.Failed) != 0 || !e.Known(awssrc.ServiceSQS) || !e.Known(awssrc.ServiceSNS) || !e.Known(awssrc.ServiceSecretsManager) {
		t.Fatalf("eu-west-1 not listed completely: %+v", e)
	}
	if len(e.Queues) != 2 || e.Queues[1].Name != "orders-events" || e.Queues[1].Attributes["VisibilityTimeout"] != "45" ||
		e.Queues[1].Tags["atrium:service"] != "payments-api" || !strings.HasSuffix(e.Queues[1].ARN, ":orders-events") {
		t.Fatalf("eu-west-1 queues: %+v", e.Queues)
	}
	if _, ok := e.Queues[1].Attributes["ApproximateNumberOfMessages"]; ok {
		t.Fatal("counters are kept as attributes")
	}
	if len(e.Topics) != 1 || e.Topics[0].Name != "payments-settled" || e.Topics[0].Tags["atrium:team"] != "payments" ||
		len(e.Topics[0].Subscriptions) != 1 || e.Topics[0].Subscriptions[0].Protocol != "sqs" ||
		!strings.HasSuffix(e.Topics[0].Subscriptions[0].Endpoint, ":ledger-inbox") {
		t.Fatalf("eu-west-1 topics: %+v", e.Topics)
	}
	if len(e.Secrets) != 1 || e.Secrets[0].Name != "payments/payments-api/db" || e.Secrets[0].Tags["managed-by"] != "atrium" {
		t.Fatalf("eu-west-1 secrets: %+v", e.Secrets)
	}
	// The three targets of us-east-1 are one region listing the three services, each through its own endpoint.
	if !u.Known(awssrc.ServiceSQS) || !u.Known(awssrc.ServiceSNS) || !u.Known(awssrc.ServiceSecretsManager) ||
		len(u.Queues) != 1 || u.Queues[0].Attributes["VisibilityTimeout"] != "90" || len(u.Topics) != 0 || len(u.Secrets) != 1 {
		t.Fatalf("us-east-1: %+v", u)
	}
	st := c.Region("production", "eu-west-1").Status()
	if st.State != sources.StateOK || st.Done != st.Total || st.Total != 4 || st.FinishedAt.IsZero() {
		t.Fatalf("status: %+v", st)
	}
	recorded, err := db.Sources(ctx)
	if err != nil || len(recorded) != 2 || recorded[0].Name != "aws:production/eu-west-1" || recorded[0].Status != sources.StateOK {
		t.Fatalf("recorded freshness: %+v %v", recorded, err)
	}
	list, err := c.Region("production", "eu-west-1").ListSecrets(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListSecrets: %v %v", list, err)
	}
}

// An unreachable region, and a region refusing one service, are reported as such: their inventories say what is
// unknown rather than listing nothing.
func TestCollectorReportsUnreachableAndRefusedRegions(t *testing.T) {
	awsEnv(t)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil { // nothing listens there any more: connection refused
		t.Fatal(err)
	}
	eu := startRegion(t, "eu-west-1")
	eu.queue(t, "orders-events", nil, nil)
	// SNS refused, SQS passed through to kumo: a role allowed one and not the other.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "" { // the query protocol: SNS
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code>` +
				`<Message>User is not authorized to perform: SNS:ListTopics</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, eu.url+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			_, _ = w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}))
	defer proxy.Close()
	c, err := awssrc.New(awssrc.Config{MaxAttempts: 1, Timeout: 20 * time.Second, Targets: []awssrc.Target{
		{Environment: "production", Region: "ap-south-1", Endpoint: dead},
		{Environment: "production", Region: "eu-west-1", Endpoint: proxy.URL, Services: []string{awssrc.ServiceSQS, awssrc.ServiceSNS}},
	}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	invs := c.SyncAll(ctx)
	ap, e := invs[0], invs[1]
	if len(ap.Listed) != 0 || len(ap.Failed) != 3 || !strings.Contains(ap.Failed[awssrc.ServiceSQS], "SQS in production/ap-south-1: unreachable") {
		t.Fatalf("unreachable region: %+v", ap)
	}
	if st := c.Region("production", "ap-south-1").Status(); st.State != sources.StateError || !strings.Contains(st.Message, "unreachable") {
		t.Fatalf("unreachable region's status: %+v", st)
	}
	if !e.Known(awssrc.ServiceSQS) || e.Known(awssrc.ServiceSNS) || len(e.Queues) != 1 ||
		!strings.Contains(e.Failed[awssrc.ServiceSNS], "AWS refused to list it (AuthorizationError") {
		t.Fatalf("refused service: %+v", e)
	}
	d, err := c.Region("production", "eu-west-1").Detail(ctx)
	if err != nil || d.State != sources.StatePartial || len(d.ItemErrors) != 1 || d.ItemErrors[0].Item != awssrc.ServiceSNS {
		t.Fatalf("detail: %+v %v", d, err)
	}
}
