package scorecard

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/catalog"
)

// Message is the Slack-compatible webhook body announcing that c got worse (what): a plain "text" for any
// receiver, and "blocks" that Slack renders — the service, what changed, and the rules failing with why.
func Message(c catalog.Scorecard, what string) string {
	text := fmt.Sprintf("%s (team %s) %s", c.Service, c.Owner, what)
	var failing []string
	for _, r := range c.Results {
		if r.Status == catalog.RuleFailed {
			line := "• *" + r.Rule + "*"
			if r.Message != "" {
				line += ": " + r.Message
			}
			failing = append(failing, line)
		}
	}
	blocks := []map[string]any{
		{"type": "section", "text": map[string]any{"type": "mrkdwn",
			"text": fmt.Sprintf(":warning: *%s* (team %s) %s", c.Service, c.Owner, what)}},
	}
	if len(failing) > 0 {
		if len(failing) > 10 {
			failing = append(failing[:10], fmt.Sprintf("… and %d more", len(failing)-10))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn",
			"text": "Failing rules:\n" + strings.Join(failing, "\n")}})
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{{"type": "mrkdwn",
		"text": "Atrium scorecards · open the service's Scorecard for how to fix each rule"}}})
	b, _ := json.Marshal(map[string]any{"text": text, "blocks": blocks})
	return string(b)
}

// Notifier posts queued warnings (scorecard_outbox) to the owners' webhook: each once, retried with backoff when
// the receiver fails, dropped after maxAttempts with a log line. The URL is never logged (it holds a secret). Drift
// alerts go through one too (Table drift_outbox, the same columns).
type Notifier struct {
	DB     *sql.DB
	URL    string
	Client *http.Client
	Log    *slog.Logger
	// Table is the outbox (default scorecard_outbox); What names its messages in logs (default "scorecard
	// warnings").
	Table string
	What  string
	// Now and After are the clock (nil: the real one); tests step them.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time

	wake chan struct{}
}

const (
	maxAttempts  = 8
	notifyPeriod = time.Minute // how often failed posts are looked at again
)

// Wake asks the notifier to look at the outbox now.
func (n *Notifier) Wake() {
	if n.wake == nil {
		return
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

// Start prepares Wake; call it before Run's goroutine starts.
func (n *Notifier) Start() { n.wake = make(chan struct{}, 1) }

// Run posts until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	if n.wake == nil {
		n.Start()
	}
	after := n.After
	if after == nil {
		after = time.After
	}
	for {
		if _, err := n.Send(ctx); err != nil && ctx.Err() == nil {
			n.log().Warn(n.what()+" not sent", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		case <-after(notifyPeriod):
		}
	}
}

func (n *Notifier) table() string {
	if n.Table != "" {
		return n.Table
	}
	return "scorecard_outbox"
}

func (n *Notifier) what() string {
	if n.What != "" {
		return n.What
	}
	return "scorecard warnings"
}

func (n *Notifier) log() *slog.Logger {
	if n.Log == nil {
		return slog.Default()
	}
	return n.Log
}

// Send posts every warning that is due and returns how many were delivered.
func (n *Notifier) Send(ctx context.Context) (int, error) {
	rows, err := n.DB.QueryContext(ctx, `SELECT id, service, payload, attempts FROM `+n.table()+`
		WHERE next_at <= ? ORDER BY id LIMIT 100`, n.now().UnixMilli())
	if err != nil {
		return 0, err
	}
	type item struct {
		id       int64
		service  string
		payload  string
		attempts int
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.service, &it.payload, &it.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return 0, err
	}
	rows.Close()
	sent := 0
	for _, it := range items {
		err := n.post(ctx, it.payload)
		if err == nil {
			sent++
			if _, err := n.DB.ExecContext(ctx, `DELETE FROM `+n.table()+` WHERE id = ?`, it.id); err != nil {
				return sent, err
			}
			continue
		}
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if it.attempts+1 >= maxAttempts {
			n.log().Error("webhook message dropped after repeated failures", "messages", n.what(), "service", it.service,
				"attempts", it.attempts+1, "err", err)
			if _, err := n.DB.ExecContext(ctx, `DELETE FROM `+n.table()+` WHERE id = ?`, it.id); err != nil {
				return sent, err
			}
			continue
		}
		backoff := time.Minute << it.attempts // 1, 2, 4 ... 64 minutes
		n.log().Warn("webhook message not accepted; will retry", "messages", n.what(), "service", it.service,
			"retry_in", backoff.String(), "err", err)
		if _, err := n.DB.ExecContext(ctx, `UPDATE `+n.table()+` SET attempts = attempts + 1, next_at = ?,
			last_error = ? WHERE id = ?`, n.now().Add(backoff).UnixMilli(), err.Error(), it.id); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// post sends one body; an answer other than 2xx is an error naming its status (never the URL).
func (n *Notifier) post(ctx context.Context, payload string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader([]byte(payload)))
	if err != nil {
		return fmt.Errorf("webhook request: %w", redact(err, n.URL))
	}
	req.Header.Set("Content-Type", "application/json")
	client := n.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post to webhook: %w", redact(err, n.URL))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// redact takes the webhook's URL (whose path is its secret) out of an error's text.
func redact(err error, url string) error {
	if url == "" || !strings.Contains(err.Error(), url) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), url, "<webhook URL>"))
}
