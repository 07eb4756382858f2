//go:build integration

package aws_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	awssrc "github.com/sphera/atrium/internal/sources/aws"
)

// BenchmarkCollectorListsRegions: the AWS collector lists 5 regions × 2,000 SQS queues (each queue's attributes
// and tags: 20,000 requests) against kumo, one process per region on loopback — what a detection of 5 regions ×
// 2,000 queues waits for. The baseline, side by side, lists the same regions' queue URLs only (ListQueues, no
// per-queue requests). See bench/RESULTS.md.
func BenchmarkCollectorListsRegions(b *testing.B) {
	awsEnv(b)
	const regions, queues = 5, 2000
	names := []string{"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2"}
	var targets []awssrc.Target
	var rs []region
	for i := range regions {
		r := startRegion(b, names[i])
		rs = append(rs, r)
		targets = append(targets, awssrc.Target{Environment: "production", Region: names[i], Endpoint: r.url,
			Services: []string{awssrc.ServiceSQS}})
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, regions)
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queues {
				if _, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String(fmt.Sprintf("queue-%04d", j)),
					Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(30 + j%5)},
					Tags:       map[string]string{"atrium:service": fmt.Sprintf("svc-%04d", j%500)}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	c, err := awssrc.New(awssrc.Config{Targets: targets}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("collector", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n = 0
			for _, inv := range c.SyncAll(ctx) {
				if !inv.Known(awssrc.ServiceSQS) {
					b.Fatalf("not listed: %v", inv.Failed)
				}
				n += len(inv.Queues)
			}
		}
		b.ReportMetric(float64(n), "queues")
	})
	b.Run("baseline-list-urls", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for _, r := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := sqs.NewListQueuesPaginator(r.sqs, &sqs.ListQueuesInput{MaxResults: sdk.Int32(1000)})
					for p.HasMorePages() {
						if _, err := p.NextPage(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		}
	})
}
