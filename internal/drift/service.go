package drift

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/gitops"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift/diff"
	driftgitops "github.com/sphera/atrium/internal/drift/gitops"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// Errors of the service; the API maps them to statuses.
var (
	// ErrForbidden: the caller may not act on the item (its team's, or the platform's for items of no service).
	ErrForbidden = errors.New("forbidden")
	// ErrNoFix: the fix asked for does not apply to the item now (see its fixes), or is not configured.
	ErrNoFix = errors.New("fix not available")
)

// Service is what people do with drift: acknowledge or silence an item with a reason (audited), and ask for its
// fix — a pull request to the gitops repository, a re-apply by the cluster's agent, or the missing copy through the
// same action pipeline as the original request.
type Service struct {
	DB     *store.DB
	Engine *Engine
	// Actions creates missing copies (the request goes through the environment's approvals).
	Actions *actions.Service
	// Agents re-applies declarations in clusters; nil: re-apply is not available.
	Agents *agent.Queue
	// GitHub opens fix pull requests (the actions' gitops credentials); nil: pull requests are not available.
	GitHub *gh.Client
	Audit  audit.Log
	Log    *slog.Logger
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// MaxSilence is the longest an item may be silenced.
const MaxSilence = 90 * 24 * time.Hour

// AckRequest acknowledges an item (Until absent: until it resolves) or silences it until Until.
type AckRequest struct {
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until,omitempty"`
}

// teamOf is the team a decision about it is taken on: its team, or — for an item of no known service — a team no
// grant names, so that only roles holding the permission on every team may act.
func teamOf(it catalog.DriftItem) string {
	if it.Team == "" {
		return "(platform)"
	}
	return it.Team
}

// decide checks p may use perm on item (in its environment for drift:fix) and audits a refusal.
func (s *Service) decide(ctx context.Context, p auth.Principal, perm policy.Permission, it catalog.DriftItem, what string) error {
	d := policy.DecideIn(p, perm, teamOf(it), it.Environment)
	if d.Allow {
		return nil
	}
	if err := s.Audit.Record(ctx, audit.Event{Actor: p.Subject, Action: "drift." + what, Resource: "drift/" + it.ID,
		Outcome: audit.Denied, Detail: map[string]any{"reason": d.Reason, "service": it.Service, "resource": it.Resource}}); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", ErrForbidden, d.Reason)
}

// Acknowledge acknowledges or silences item id with a reason, audited in the same transaction.
func (s *Service) Acknowledge(ctx context.Context, p auth.Principal, id string, in AckRequest) (catalog.DriftItem, error) {
	now := s.now()
	it, err := s.DB.GetDrift(ctx, id, now)
	if err != nil {
		return it, err
	}
	var ps problem.Problems
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		ps.Add("reason", "required: say why this drift is acknowledged (it is audited)")
	case utf8.RuneCountInString(reason) > 1000:
		ps.Add("reason", "at most 1000 characters")
	}
	if in.Until != nil {
		switch until := in.Until.UTC(); {
		case !until.After(now):
			ps.Add("until", "must be in the future")
		case until.Sub(now) > MaxSilence:
			ps.Add("until", "at most 90 days from now")
		}
	}
	if ps.HasErrors() {
		return it, fmt.Errorf("invalid acknowledgement: nothing was stored: %w", ps)
	}
	what := "acknowledged"
	if in.Until != nil {
		what = "silenced"
	}
	if err := s.decide(ctx, p, policy.DriftAcknowledge, it, what); err != nil {
		return it, err
	}
	if !it.ResolvedAt.IsZero() {
		return it, fmt.Errorf("%w: drift item %s is resolved", ErrNoFix, id)
	}
	ack := &catalog.DriftAck{By: p.Subject, At: now, Reason: reason}
	if in.Until != nil {
		ack.Until = in.Until.UTC().Truncate(time.Second)
	}
	return s.DB.UpdateDrift(ctx, id, now, func(d *catalog.DriftItem) error {
		d.Acknowledgement = ack
		return nil
	}, func(tx *sql.Tx, d catalog.DriftItem) error {
		detail := map[string]any{"reason": reason, "service": d.Service, "resource": d.Resource, "kind": d.Kind,
			"environment": d.Environment, "region": d.Region}
		if in.Until != nil {
			detail["until"] = ack.Until.Format(time.RFC3339)
		}
		return audit.RecordTx(ctx, tx, audit.Event{Actor: p.Subject, Action: "drift." + what, Resource: "drift/" + id,
			At: now, Detail: detail})
	})
}

// Unacknowledge takes an acknowledgement or silence back (audited): the item is open again.
func (s *Service) Unacknowledge(ctx context.Context, p auth.Principal, id string) (catalog.DriftItem, error) {
	now := s.now()
	it, err := s.DB.GetDrift(ctx, id, now)
	if err != nil {
		return it, err
	}
	if err := s.decide(ctx, p, policy.DriftAcknowledge, it, "unacknowledged"); err != nil {
		return it, err
	}
	return s.DB.UpdateDrift(ctx, id, now, func(d *catalog.DriftItem) error {
		d.Acknowledgement = nil
		return nil
	}, func(tx *sql.Tx, d catalog.DriftItem) error {
		return audit.RecordTx(ctx, tx, audit.Event{Actor: p.Subject, Action: "drift.unacknowledged",
			Resource: "drift/" + id, At: now, Detail: map[string]any{"service": d.Service, "resource": d.Resource}})
	})
}

// FixRequest asks for one of an item's fixes.
type FixRequest struct {
	Kind string `json:"kind"` // catalog.DriftFixPullRequest, DriftFixReapply or DriftFixCreate
}

// FixResult is what a fix started: the pull request, the agent's work item, or the action creating the copy.
type FixResult struct {
	Item        catalog.DriftItem `json:"item"`
	PullRequest string            `json:"pull_request,omitempty"`
	Work        *agent.Item       `json:"work,omitempty"`
	Action      *actions.Action   `json:"action,omitempty"`
}

// Fix starts the fix kind of item id for p. A pull request and a re-apply are one per drift (its fields): asking
// again, from anywhere, finds the same pull request or work item. A copy is an action: key is its idempotency key
// ("" derives one from the drift the same way).
func (s *Service) Fix(ctx context.Context, p auth.Principal, id, key string, in FixRequest) (FixResult, error) {
	now := s.now()
	it, err := s.DB.GetDrift(ctx, id, now)
	if err != nil {
		return FixResult{}, err
	}
	switch in.Kind {
	case catalog.DriftFixPullRequest, catalog.DriftFixReapply, catalog.DriftFixCreate:
	default:
		var ps problem.Problems
		ps.Add("kind", "one of pull_request, reapply, create")
		return FixResult{}, fmt.Errorf("invalid fix request: nothing was started: %w", ps)
	}
	if err := s.decide(ctx, p, policy.DriftFix, it, "fix_requested"); err != nil {
		return FixResult{}, err
	}
	if !contains(it.Fixes, in.Kind) || !it.ResolvedAt.IsZero() {
		return FixResult{}, fmt.Errorf("%w: %s does not apply to this drift (its fixes: %s)", ErrNoFix, in.Kind,
			strings.Join(it.Fixes, ", "))
	}
	ev := s.Engine.Evidence(id)
	if ev == nil {
		return FixResult{}, fmt.Errorf("%w: the drift has not been seen since the portal started; try again after the next detection", ErrNoFix)
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%v", id, in.Kind, it.Fields))
	derived := "drift-" + in.Kind + "-" + hex.EncodeToString(h[:8])
	if key == "" || in.Kind != catalog.DriftFixCreate {
		key = derived
	}
	res := FixResult{}
	fix := &catalog.DriftFix{Kind: in.Kind, By: p.Subject, At: now}
	switch in.Kind {
	case catalog.DriftFixPullRequest:
		url, err := s.pullRequest(ctx, p, it, ev, key)
		if err != nil {
			return FixResult{}, err
		}
		res.PullRequest, fix.URL = url, url
	case catalog.DriftFixReapply:
		item, err := s.reapply(ctx, it, ev, key)
		if err != nil {
			return FixResult{}, err
		}
		res.Work, fix.Work = &item, item.ID
	case catalog.DriftFixCreate:
		a, err := s.create(ctx, p, it, ev, key)
		if err != nil {
			return FixResult{}, err
		}
		res.Action, fix.Action = &a, a.ID
	}
	res.Item, err = s.DB.UpdateDrift(ctx, id, now, func(d *catalog.DriftItem) error {
		d.Fix = fix
		return nil
	}, func(tx *sql.Tx, d catalog.DriftItem) error {
		return audit.RecordTx(ctx, tx, audit.Event{Actor: p.Subject, Action: "drift.fix_requested", Resource: "drift/" + id,
			At: now, Detail: map[string]any{"fix": in.Kind, "service": d.Service, "resource": d.Resource,
				"pull_request": fix.URL, "work": fix.Work, "action": fix.Action}})
	})
	s.Engine.Trigger() // what the fix changes is seen at the next detection
	return res, err
}

// pullRequest proposes the live values of a changed item's fields to its gitops declaration: the manifest's
// fields (or the kustomization's override of them), or the Terraform resource's attributes.
func (s *Service) pullRequest(ctx context.Context, p auth.Principal, it catalog.DriftItem, ev *Evidence, key string) (string, error) {
	if s.GitHub == nil {
		return "", fmt.Errorf("%w: the portal has no GitHub token to open pull requests ($ATRIUM_GITHUB_TOKEN)", ErrNoFix)
	}
	var repo, branch, file string
	switch {
	case ev.Manifest != nil:
		repo, branch, file = ev.Manifest.Repo, ev.Manifest.Branch, ev.Manifest.Path
	case ev.Resource != nil && ev.Resource.Path != "":
		repo, branch, file = ev.Resource.Repo, ev.Resource.Branch, ev.Resource.Path
	default:
		return "", fmt.Errorf("%w: no gitops file declares this resource", ErrNoFix)
	}
	owner, name, _ := strings.Cut(repo, "/")
	read := func(path string) ([]byte, error) {
		c, _, _, err := s.GitHub.Repositories.GetContents(ctx, owner, name, path, &gh.RepositoryContentGetOptions{Ref: branch})
		if err != nil {
			return nil, fmt.Errorf("read %s of %s at %s: %w", path, repo, branch, err)
		}
		text, err := c.GetContent()
		return []byte(text), err
	}
	files := map[string][]byte{}
	var notes []string
	for _, f := range ev.Fields {
		switch {
		case ev.Manifest != nil:
			target, doc, path, value := ev.Manifest.Path, ev.Manifest.Doc, f.At, f.LiveValue
			if k := ev.Manifest.Kustomization; k != "" {
				if kp, kv, ok := s.kustomizeOverride(files, read, k, ev.Manifest, f); ok {
					target, doc, path, value = k, 0, kp, kv
				}
			}
			content, ok := files[target]
			if !ok {
				b, err := read(target)
				if err != nil {
					return "", err
				}
				content = b
			}
			out, err := driftgitops.SetYAMLField(content, doc, path, value)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%#q could not be written (%v): change it by hand", f.Path, err))
				continue
			}
			files[target] = out
		default:
			if f.LiveValue == nil || strings.HasPrefix(f.Path, "subscriptions[") {
				notes = append(notes, fmt.Sprintf("%#q (%s → %s) needs a change by hand", f.Path, f.Desired, f.Live))
				continue
			}
			content, ok := files[file]
			if !ok {
				b, err := read(file)
				if err != nil {
					return "", err
				}
				content = b
			}
			out, err := driftgitops.SetTerraformAttribute(content, file, ev.Resource.TFType, ev.Resource.Label, f.Path,
				fmt.Sprint(f.LiveValue))
			if err != nil {
				notes = append(notes, fmt.Sprintf("%#q could not be written (%v): change it by hand", f.Path, err))
				continue
			}
			files[file] = out
		}
	}
	if len(files) == 0 {
		return "", fmt.Errorf("%w: none of the fields could be written to %s (%s)", ErrNoFix, repo, strings.Join(notes, "; "))
	}
	var body strings.Builder
	fmt.Fprintf(&body, "Atrium found **%s** in %s changed from this repository (drift item `%s`). This pull request "+
		"brings the declaration in line with what runs:\n\n", it.Resource, it.Place(), it.ID)
	for _, f := range ev.Fields {
		fmt.Fprintf(&body, "- `%s`: %s → **%s**\n", f.Path, f.Desired, f.Live)
	}
	if it.LastChangedBy != "" {
		fmt.Fprintf(&body, "\nLast changed live by `%s`", it.LastChangedBy)
		if !it.LastChangedAt.IsZero() {
			fmt.Fprintf(&body, " at %s", it.LastChangedAt.Format(time.RFC3339))
		}
		body.WriteString(".\n")
	}
	for _, n := range notes {
		body.WriteString("\n⚠ " + n + "\n")
	}
	fmt.Fprintf(&body, "\nRequested by **%s**. If live is what is wrong, close this and re-apply the declaration instead.", p.Subject)
	var list []gitops.File
	for path, content := range files {
		list = append(list, gitops.File{Path: path, Content: content})
	}
	pr, err := gitops.Propose(ctx, s.GitHub, gitops.Change{Repo: repo, Base: branch, Branch: "atrium/" + key,
		Title:   fmt.Sprintf("Drift: bring %s (%s) in line with live", it.Resource, it.Place()),
		Body:    body.String(),
		Message: fmt.Sprintf("%s: take the live values (Atrium drift %s)", it.Resource, it.ID),
		Files:   list})
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return "", fmt.Errorf("%w: %s or its branch %s is not reachable with the portal's GitHub token: %v", ErrNoFix, repo, branch, err)
		}
		return "", fmt.Errorf("open the pull request: %w", err)
	}
	return pr.GetHTMLURL(), nil
}

// kustomizeOverride says where a field comes from when a kustomization overrides it: replicas (its replicas
// entry's count) or an image's tag (its images entry's newTag).
func (s *Service) kustomizeOverride(files map[string][]byte, read func(string) ([]byte, error), k string, m *Manifest,
	f diff.Field) (diff.Path, any, bool) {
	content, ok := files[k]
	if !ok {
		b, err := read(k)
		if err != nil {
			return nil, nil, false
		}
		files[k] = b
		content = b
	}
	name := m.Name()
	switch {
	case f.Path == "spec.replicas":
		p, _ := diff.ParsePath("replicas[" + name + "].count")
		if kustomizationHas(content, p) {
			return p, f.LiveValue, true
		}
	case strings.HasSuffix(f.Path, ".image"):
		img, _ := f.LiveValue.(string)
		base, tag, ok := strings.Cut(img[strings.LastIndex(img, "/")+1:], ":")
		if !ok {
			return nil, nil, false
		}
		prefix := img[:strings.LastIndex(img, "/")+1]
		p, err := diff.ParsePath(`images[` + strconv.Quote(prefix+base) + `].newTag`)
		if err == nil && kustomizationHas(content, p[:len(p)-1]) {
			return p, tag, true
		}
	}
	return nil, nil, false
}

func kustomizationHas(content []byte, p diff.Path) bool {
	_, err := driftgitops.SetYAMLField(content, 0, append(append(diff.Path{}, p...), diff.Seg{Key: "__probe__"}), "x")
	return err == nil
}

// reapply asks the cluster's agent to apply the declaration again: server-side apply takes the declared fields
// back (docs/agent.md). Replicas an autoscaler owns are left out.
func (s *Service) reapply(ctx context.Context, it catalog.DriftItem, ev *Evidence, key string) (agent.Item, error) {
	if s.Agents == nil || ev.Manifest == nil || it.Cluster == "" {
		return agent.Item{}, fmt.Errorf("%w: re-apply needs the declaration and the cluster's agent", ErrNoFix)
	}
	if !s.Engine.Config.reapply[it.Environment] {
		return agent.Item{}, fmt.Errorf("%w: drift.reapply does not allow re-applying in %s", ErrNoFix, it.Environment)
	}
	obj := ev.Manifest.Object
	if ev.ReplicasOwned {
		obj = diff.Normalize(obj, diff.Options{ReplicasOwned: true})
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return agent.Item{}, err
	}
	return s.Agents.Enqueue(ctx, it.Cluster, agent.Work{Kind: "drift-fix", IdempotencyKey: key, Ref: "drift/" + it.ID,
		Payload: agent.Payload{Namespace: ev.Manifest.Namespace(), Apply: []json.RawMessage{b}}})
}

// create requests the missing copy through the action pipeline: the action that created the original, or one
// made from a sibling's attributes, in the missing place; approvals and policy are the environment's.
func (s *Service) create(ctx context.Context, p auth.Principal, it catalog.DriftItem, ev *Evidence, key string) (actions.Action, error) {
	if s.Actions == nil {
		return actions.Action{}, fmt.Errorf("%w: no actions on this portal", ErrNoFix)
	}
	req := actions.Request{Service: it.Service, Environment: it.Environment, Region: it.Region}
	switch {
	case ev.Resource != nil && ev.Resource.Action != nil:
		req.Kind, req.Params = ev.Resource.Action.Kind, ev.Resource.Action.Params
	case ev.Sibling != nil:
		prm := actions.SQSQueueParams{Name: ev.Sibling.Name, FIFO: ev.Sibling.Attributes["FifoQueue"] == "true"}
		if v, err := strconv.Atoi(ev.Sibling.Attributes["VisibilityTimeout"]); err == nil {
			prm.VisibilityTimeoutSeconds = &v
		}
		if v, err := strconv.Atoi(ev.Sibling.Attributes["MessageRetentionPeriod"]); err == nil {
			prm.MessageRetentionSeconds = &v
		}
		req.Kind = actions.KindSQSQueue
		req.Params, _ = json.Marshal(prm)
	case ev.Topic != nil:
		prm := actions.SNSTopicParams{Name: ev.Topic.Name, FIFO: ev.Topic.Attributes["FifoTopic"] == "true"}
		for _, sub := range ev.Topic.Subscriptions {
			if sub.Protocol == "sqs" {
				prm.SubscribeQueue = sub.Endpoint[strings.LastIndex(sub.Endpoint, ":")+1:]
				break
			}
		}
		req.Kind = actions.KindSNSTopic
		req.Params, _ = json.Marshal(prm)
	default:
		return actions.Action{}, fmt.Errorf("%w: nothing says how the original was made", ErrNoFix)
	}
	a, _, err := s.Actions.Request(ctx, p, key, req)
	return a, err
}
