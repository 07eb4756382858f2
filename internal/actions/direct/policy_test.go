package direct_test

import (
	"encoding/json"
	"testing"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/direct"
)

func TestAllowTopic(t *testing.T) {
	const q, topic = "arn:aws:sqs:eu-west-1:1:inbox", "arn:aws:sns:eu-west-1:1:orders.fifo"
	other := `{"Version":"2012-10-17","Id":"keep","Statement":{"Sid":"ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"sqs:*","Resource":"` + q + `"}}`
	tests := []struct {
		name, raw  string
		changed    bool
		statements int
		err        bool
	}{
		{"no policy", "", true, 1, false},
		{"another statement is kept", other, true, 2, false},
		{"not JSON", "{", false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := direct.AllowTopic(tt.raw, q, topic)
			if (err != nil) != tt.err || changed != tt.changed {
				t.Fatalf("changed %v err %v", changed, err)
			}
			if tt.err {
				if !actions.IsPermanent(err) {
					t.Error("a policy we cannot read is not retried")
				}
				return
			}
			var doc struct {
				ID        string `json:"Id"`
				Statement []struct {
					Sid       string
					Resource  string
					Condition map[string]map[string]string
				}
			}
			if err := json.Unmarshal([]byte(got), &doc); err != nil {
				t.Fatal(err)
			}
			last := doc.Statement[len(doc.Statement)-1]
			if len(doc.Statement) != tt.statements || last.Sid != "atrium-sns-orders-fifo" || last.Resource != q ||
				last.Condition["ArnEquals"]["aws:SourceArn"] != topic {
				t.Errorf("policy: %s", got)
			}
			if tt.raw == other && doc.ID != "keep" {
				t.Error("policy id lost")
			}
			again, changed, err := direct.AllowTopic(got, q, topic)
			if err != nil || changed || again != got {
				t.Errorf("second run changed the policy: %v %v", changed, err)
			}
		})
	}
}
