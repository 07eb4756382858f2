package actions

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 81)
	tests := []struct {
		name      string
		fifo      bool
		queueOK   bool
		topicOK   bool
		wantInErr string
	}{
		{"orders", false, true, true, ""},
		{"Orders_2-x", false, true, true, ""},
		{"orders.fifo", true, true, true, ""},
		{"orders.fifo", false, false, false, "only a FIFO"},
		{"orders", true, false, false, "must end in .fifo"},
		{"", false, false, false, "required"},
		{".fifo", true, false, false, "before .fifo"},
		{"has space", false, false, false, "only letters"},
		{"dots.in.name", false, false, false, "only letters"},
		{"ünïcode", false, false, false, "only letters"},
		{long, false, false, true, "at most 80"},
		{strings.Repeat("a", 75) + ".fifo", true, true, true, ""},
		{strings.Repeat("a", 76) + ".fifo", true, false, true, "at most 80"},
		{strings.Repeat("a", 257), false, false, false, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, tp := ValidQueueName(tt.name, tt.fifo), ValidTopicName(tt.name, tt.fifo)
			if (q == "") != tt.queueOK || (tp == "") != tt.topicOK {
				t.Fatalf("queue %q topic %q", q, tp)
			}
			if tt.wantInErr != "" && !strings.Contains(q, tt.wantInErr) {
				t.Errorf("queue problem %q lacks %q", q, tt.wantInErr)
			}
		})
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	cfg := Config{Environments: map[string]Environment{"staging": {Regions: []string{"eu-west-1"}, Delivery: DeliveryDirect}}}
	tests := []struct {
		req    Request
		fields []string
	}{
		{Request{}, []string{"service", "environment", "region", "kind"}},
		{Request{Kind: "lambda", Service: "s", Environment: "qa", Region: "eu-west-1"}, []string{"environment", "kind"}},
		{Request{Kind: KindSQSQueue, Service: "s", Environment: "staging", Region: "mars-1", Params: json.RawMessage(`{"name":"a b","visibility_timeout_seconds":-1}`)},
			[]string{"region", "params.name", "params.visibility_timeout_seconds"}},
		{Request{Kind: KindSQSQueue, Service: "s", Environment: "staging", Region: "eu-west-1", Params: json.RawMessage(`{"name":"q","colour":"red"}`)}, []string{"params"}},
		{Request{Kind: KindSNSTopic, Service: "s", Environment: "staging", Region: "eu-west-1", Params: json.RawMessage(`{"name":"t.fifo","fifo":true,"subscribe_queue":"plain"}`)}, []string{"params.subscribe_queue"}},
		{Request{Kind: KindSNSTopic, Service: "s", Environment: "staging", Region: "eu-west-1"}, []string{"params"}},
	}
	for i, tt := range tests {
		_, ps := validate(cfg, tt.req)
		var got []string
		for _, p := range ps {
			got = append(got, p.Path)
		}
		if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
			t.Errorf("%d: fields %v, want %v (%v)", i, got, tt.fields, ps)
		}
	}
}
