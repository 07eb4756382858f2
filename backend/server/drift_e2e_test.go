//go:build integration

package server

// Drift end to end on a team portal against kumo (AWS emulators speaking the real wire protocols, one process per
// region): the AWS collector lists the regions the actions write to, the engine finds a service's queue missing in
// one of them and says nothing of a region that cannot be reached (unknown, not "everything missing"); the fix
// requests the missing copy through the same action pipeline — approval, the direct executor writing to AWS — and
// the next detection resolves it.

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/secrets/awssm/kumotest"
)

func TestDriftOnAWS(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-access-key")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	eu, us := kumotest.Start(t), kumotest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	sqsOf := func(url, region string) *sqs.Client {
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
		if err != nil {
			t.Fatal(err)
		}
		return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = sdk.String(url) })
	}
	euSQS, usSQS := sqsOf(eu, "eu-west-1"), sqsOf(us, "us-east-1")
	// Created by hand in eu-west-1 only, tagged as payments-api's; and a queue nobody owns in us-east-1.
	if _, err := euSQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String("orders-events"),
		Attributes: map[string]string{"VisibilityTimeout": "45"},
		Tags:       map[string]string{"atrium:service": "payments-api", "atrium:team": "payments"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := usSQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String("manual-test")}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	logf, err := os.OpenFile(filepath.Join(dir, "portal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logf.Close() })
	fc := FileConfig{
		Actions: actions.Config{Environments: map[string]actions.Environment{
			"production": {Regions: []string{"eu-west-1", "us-east-1"}, Delivery: actions.DeliveryDirect,
				AWS: actions.AWSConfig{Endpoints: map[string]string{"eu-west-1": eu, "us-east-1": us}, QueuePolicy: "skip"}},
		}, Worker: actions.WorkerConfig{Poll: time.Second, Lease: 10 * time.Second}},
		AWS:   AWSConfig{Interval: time.Hour, Regions: []AWSRegion{{Environment: "production", Region: "ap-south-1", Endpoint: dead}}},
		Drift: drift.Config{Interval: time.Hour},
	}
	if err := fc.complete(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Config{DataDir: dir, Demo: "on", File: fc,
		Log: slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	w := &secretsWorld{t: t, dir: dir, s: s, url: srv.URL, tokens: map[string]string{},
		hc: &http.Client{Transport: apitest.Transport(t, nil), Timeout: 90 * time.Second}}
	for name, g := range map[string]auth.Grant{"dana": {Role: auth.RoleDeveloper, Team: "payments"},
		"pat": {Role: auth.RolePlatformApprover}} {
		tok, _, err := auth.Tokens{DB: s.DB.SQL()}.Create(ctx, auth.Token{Name: name, Subject: name, Grants: []auth.Grant{g}}, "")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = tok
	}
	// What the collector lists now, then one detection (both also run in the background; these are synchronous).
	detect := func() api.DriftList {
		t.Helper()
		s.AWS.SyncAll(ctx)
		if _, err := s.Drift.Detect(ctx); err != nil {
			t.Fatal(err)
		}
		var list api.DriftList
		if st := w.do("GET", "/api/v1/drift", w.tokens["dana"], "", "", &list); st != 200 {
			t.Fatalf("list: %d", st)
		}
		return list
	}
	list := detect()
	if len(list.Items) != 1 {
		t.Fatalf("items: %+v", list.Items)
	}
	missing := list.Items[0]
	if missing.Kind != catalog.DriftMissing || missing.Name != "orders-events" || missing.Region != "us-east-1" ||
		missing.Service != "payments-api" || strings.Join(missing.ExistsIn, ",") != "production/eu-west-1" ||
		strings.Join(missing.Fixes, ",") != "create" {
		t.Fatalf("missing: %+v", missing)
	}
	var unknown []string
	for _, p := range list.Status.Places {
		if p.State == catalog.DriftPlaceUnknown {
			unknown = append(unknown, p.Region+": "+p.Reason)
		}
	}
	if len(unknown) != 1 || !strings.Contains(unknown[0], "ap-south-1: SQS in production/ap-south-1: unreachable") {
		t.Fatalf("unknown places: %v", unknown)
	}

	// The fix: the same request as any, in us-east-1 — a platform approver approves it (production), the direct
	// executor creates the queue in AWS.
	var res drift.FixResult
	if st := w.do("POST", "/api/v1/drift/"+missing.ID+"/fix", w.tokens["dana"], `{"kind":"create"}`, "", &res); st != 200 ||
		res.Action == nil || res.Action.State != actions.StatePendingApproval || res.Action.Region != "us-east-1" {
		t.Fatalf("fix: %d %+v", st, res)
	}
	var a actions.Action
	if st := w.do("POST", "/api/v1/actions/"+res.Action.ID+"/approve", w.tokens["pat"], `{"reason":"the sibling is missing"}`, "", &a); st != 200 {
		t.Fatalf("approve: %d", st)
	}
	if a = w.await(a.ID); a.State != actions.StateSucceeded {
		t.Fatalf("action: %+v", a)
	}
	got, err := usSQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: sdk.String("orders-events")})
	if err != nil || got.QueueUrl == nil {
		t.Fatalf("the copy in us-east-1: %v", err)
	}
	// Resolved; and now that the portal declares queues in production, those it did not declare are unmanaged: the
	// queue nobody owns, and the original made by hand in eu-west-1.
	list = detect()
	var kinds []string
	for _, it := range list.Items {
		kinds = append(kinds, it.Kind+" "+it.Name+" "+it.Region)
	}
	sort.Strings(kinds)
	if strings.Join(kinds, ",") != "unmanaged manual-test us-east-1,unmanaged orders-events eu-west-1" {
		t.Fatalf("after the fix: %v", kinds)
	}
	var all api.DriftList
	if st := w.do("GET", "/api/v1/drift?resolved=true", w.tokens["dana"], "", "", &all); st != 200 {
		t.Fatal(st)
	}
	resolved := false
	for _, it := range all.Items {
		resolved = resolved || (it.ID == missing.ID && it.State == catalog.DriftResolved && it.Fix != nil && it.Fix.Action == a.ID)
	}
	if !resolved {
		t.Fatalf("the missing queue is not resolved with its fix: %+v", all.Items)
	}
}
