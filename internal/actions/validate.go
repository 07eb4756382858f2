package actions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sphera/atrium/internal/problem"
)

// ValidQueueName checks an SQS queue name against AWS's rules: 1–80 characters of letters, digits, hyphens and
// underscores; a FIFO queue's name ends in ".fifo" (which counts towards the 80).
func ValidQueueName(name string, fifo bool) string { return validName(name, fifo, 80, "queue") }

// ValidTopicName checks an SNS topic name against AWS's rules: 1–256 characters of letters, digits, hyphens and
// underscores; a FIFO topic's name ends in ".fifo".
func ValidTopicName(name string, fifo bool) string { return validName(name, fifo, 256, "topic") }

// validName returns "" for a good name, else what is wrong with it.
func validName(name string, fifo bool, maxLen int, what string) string {
	if name == "" {
		return "required"
	}
	if len(name) > maxLen {
		return fmt.Sprintf("at most %d characters (has %d)", maxLen, len(name))
	}
	base := name
	if strings.HasSuffix(name, ".fifo") {
		if !fifo {
			return fmt.Sprintf("ends in .fifo, which only a FIFO %s may (set fifo: true)", what)
		}
		base = strings.TrimSuffix(name, ".fifo")
	} else if fifo {
		return fmt.Sprintf("a FIFO %s's name must end in .fifo", what)
	}
	if base == "" {
		return "needs characters before .fifo"
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("may contain only letters, digits, hyphens and underscores (found %q)", r)
		}
	}
	return ""
}

// decodeStrict decodes raw into v, rejecting unknown fields.
func decodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON object")
	}
	return nil
}

// validate checks req against cfg and returns its normalised parameters and every problem found.
func validate(cfg Config, req Request) (json.RawMessage, problem.Problems) {
	var ps problem.Problems
	add := ps.Add
	if req.Service == "" {
		add("service", "required")
	}
	if req.Environment == "" {
		add("environment", "required")
	} else if len(cfg.Environments) == 0 {
		add("environment", "this portal has no environments for actions: an admin configures them in the actions section of its configuration file")
	} else if env, ok := cfg.Environments[req.Environment]; !ok {
		add("environment", "unknown environment %q; known: %s", req.Environment, strings.Join(cfg.EnvironmentNames(), ", "))
	} else if req.Region != "" && !slices.Contains(env.Regions, req.Region) {
		add("region", "region %q is not enabled for %s; enabled: %s", req.Region, req.Environment, strings.Join(env.Regions, ", "))
	}
	if req.Region == "" {
		add("region", "required")
	}
	var params any
	switch req.Kind {
	case "":
		add("kind", "required (one of %v)", Kinds())
	case KindSQSQueue:
		var p SQSQueueParams
		if len(req.Params) == 0 || string(req.Params) == "null" {
			add("params", "required: {\"name\": ...}")
			break
		}
		if err := decodeStrict(req.Params, &p); err != nil {
			add("params", "not valid sqs_queue parameters: %v", err)
			break
		}
		if why := ValidQueueName(p.Name, p.FIFO); why != "" {
			add("params.name", "%s", why)
		}
		if v := p.VisibilityTimeoutSeconds; v != nil && (*v < 0 || *v > 43200) {
			add("params.visibility_timeout_seconds", "must be 0–43200 (12 hours)")
		}
		if v := p.MessageRetentionSeconds; v != nil && (*v < 60 || *v > 1209600) {
			add("params.message_retention_seconds", "must be 60–1209600 (14 days)")
		}
		params = p
	case KindSNSTopic:
		var p SNSTopicParams
		if len(req.Params) == 0 || string(req.Params) == "null" {
			add("params", "required: {\"name\": ...}")
			break
		}
		if err := decodeStrict(req.Params, &p); err != nil {
			add("params", "not valid sns_topic parameters: %v", err)
			break
		}
		if why := ValidTopicName(p.Name, p.FIFO); why != "" {
			add("params.name", "%s", why)
		}
		if p.SubscribeQueue != "" {
			// An SNS FIFO topic delivers only to FIFO queues, a standard topic only to standard ones.
			if why := ValidQueueName(p.SubscribeQueue, p.FIFO); why != "" {
				add("params.subscribe_queue", "%s", why)
			}
		} else if p.RawMessageDelivery {
			add("params.raw_message_delivery", "applies only with subscribe_queue")
		}
		params = p
	case KindServiceCreate:
		add("kind", "this portal has no golden path: an admin configures golden_path in its configuration file")
	default:
		add("kind", "unknown kind %q (one of %v)", req.Kind, Kinds())
	}
	if len(ps) > 0 {
		return nil, ps
	}
	b, _ := json.Marshal(params)
	return b, nil
}
