package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/actions"
)

// TestLocalModePreviewsEveryRequest: before anyone decides, every pending request says what it will do — a queue's
// and a topic's Terraform as the preview (a pull request) will have it, the topic's queue policy included, and a
// secret's places — and a secret's preview holds no trace of the value.
func TestLocalModePreviewsEveryRequest(t *testing.T) {
	rt := openLocal(t)
	c := newLocalClient(t, rt)
	c.actAs("dana")
	preview := func(id string) actions.Preview {
		t.Helper()
		var p actions.Preview
		if code := c.do("GET", "/api/v1/actions/"+id+"/preview", "", &p); code != 200 {
			t.Fatalf("preview of %s: %d", id, code)
		}
		return p
	}

	code, q := c.requestAction("pv-q", `{"kind":"sqs_queue","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"payments-settlements","visibility_timeout_seconds":60}}`)
	if code != 201 || q.State != actions.StatePendingApproval {
		t.Fatalf("queue request: %d %+v", code, q)
	}
	p := preview(q.ID)
	if len(p.Files) != 1 || p.Files[0].Language != "hcl" || p.Files[0].Path != "envs/production/eu-west-1/payments-api/sqs_payments-settlements.tf" ||
		!strings.Contains(p.Files[0].Content, `resource "aws_sqs_queue" "payments-settlements"`) ||
		!strings.Contains(p.Files[0].Content, "visibility_timeout_seconds = 60") {
		t.Errorf("queue preview files: %+v", p.Files)
	}
	if len(p.Summary) != 2 || !strings.HasPrefix(p.Summary[0], "Creates the standard SQS queue payments-settlements in production / eu-west-1, for payments-api (team payments): visibility timeout 60 s") ||
		!strings.Contains(p.Summary[1], "nothing is created") {
		t.Errorf("queue preview summary: %q", p.Summary)
	}

	code, tp := c.requestAction("pv-t", `{"kind":"sns_topic","service":"payments-api","environment":"production","region":"eu-west-1","params":{"name":"payments-settled","subscribe_queue":"payments-settlements"}}`)
	if code != 201 {
		t.Fatalf("topic request: %d %+v", code, tp)
	}
	p = preview(tp.ID)
	if len(p.Files) != 1 || !strings.Contains(p.Files[0].Content, `resource "aws_sqs_queue_policy"`) ||
		!strings.Contains(p.Summary[1], "Subscribes the SQS queue payments-settlements") {
		t.Errorf("topic preview: %+v", p)
	}

	value := "preview-must-not-show-" + t.Name()
	req, _ := http.NewRequest("POST", c.url+"/api/v1/secrets", strings.NewReader(
		`{"service":"payments-api","name":"db-password","environment":"production","value":"`+value+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "pv-s")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var s actions.Action
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || json.Unmarshal(body, &s) != nil || s.State != actions.StatePendingApproval {
		t.Fatalf("secret request: %d %s", resp.StatusCode, body)
	}
	raw, _ := http.NewRequest("GET", c.url+"/api/v1/actions/"+s.ID+"/preview", nil)
	resp, err = c.hc.Do(raw)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(body, []byte(value)) || !bytes.Contains(body, []byte("The local vault (eu-west-1): stores")) {
		t.Errorf("secret preview: %d %s", resp.StatusCode, body)
	}

	if code := c.do("GET", "/api/v1/actions/act_nope/preview", "", nil); code != http.StatusNotFound {
		t.Errorf("preview of no action: %d", code)
	}
}
