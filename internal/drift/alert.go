package drift

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/store"
)

// Message is the Slack-compatible webhook body announcing a drift opened or resolved: a plain "text" for any
// receiver and "blocks" Slack renders — what drifted, where, whose it is, the fields that differ. A resolution
// names the same item (its id) as the alert it closes.
func Message(ev store.DriftEvent) string {
	it := ev.Item
	owner := it.Service
	if owner == "" {
		owner = "no known service"
	}
	if it.Team != "" {
		owner += " (team " + it.Team + ")"
	}
	var text, head string
	switch ev.Kind {
	case store.DriftOpened:
		text = fmt.Sprintf("Drift (%s): %s in %s — %s: %s", it.Kind, it.Resource, it.Place(), owner, it.Summary)
		head = fmt.Sprintf(":warning: *Drift — %s*: %#q in %s\n%s", it.Kind, it.Resource, it.Place(), owner)
	default:
		text = fmt.Sprintf("Drift resolved (%s): %s in %s — %s", it.Kind, it.Resource, it.Place(), owner)
		head = fmt.Sprintf(":white_check_mark: *Drift resolved — %s*: %#q in %s\n%s", it.Kind, it.Resource, it.Place(), owner)
	}
	blocks := []map[string]any{{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": head}}}
	if ev.Kind == store.DriftOpened {
		detail := it.Summary
		if len(it.Fields) > 0 {
			var lines []string
			for i, f := range it.Fields {
				if i == 10 {
					lines = append(lines, fmt.Sprintf("… and %d more", len(it.Fields)-10))
					break
				}
				lines = append(lines, fmt.Sprintf("• %#q %s → %s", f.Path, f.Desired, f.Live))
			}
			detail = strings.Join(lines, "\n")
		}
		if it.LastChangedBy != "" {
			detail += "\nlast changed by " + it.LastChangedBy
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": detail}})
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{{"type": "mrkdwn",
		"text": "Atrium drift · item " + it.ID + " · open the Drift page to acknowledge, silence or fix it"}}})
	b, _ := json.Marshal(map[string]any{"text": text, "blocks": blocks})
	return string(b)
}
