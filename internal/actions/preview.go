package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Preview is what an action will do, said before it is decided — so that an approver sees what they approve, as
// the requester asked for it — and kept readable afterwards: in sentences, the files it applies (Terraform,
// Kubernetes manifests) as they will be applied, and for a flag change the flag before and after. Never a secret's
// value.
type Preview struct {
	Summary  []string      `json:"summary"`
	Files    []PreviewFile `json:"files"`
	Flag     *FlagPreview  `json:"flag,omitempty"`
	Warnings []string      `json:"warnings"` // what the approver should know first: the target changed since, ...
}

// PreviewFile is one file an action applies.
type PreviewFile struct {
	Path     string `json:"path"`
	Language string `json:"language"` // hcl, yaml, json: how to read it
	Content  string `json:"content"`
}

// FlagPreview is a flag change: the flag (or, for an import, the set) as it is now and as the change makes it.
type FlagPreview struct {
	Environment string `json:"environment"`
	Key         string `json:"key,omitempty"`
	Action      string `json:"action"` // put, delete, import
	Comment     string `json:"comment,omitempty"`
	TeamBefore  string `json:"team_before,omitempty"`
	TeamAfter   string `json:"team_after,omitempty"`
	// Before is the flag's definition now (null: it does not exist); After the one the change writes (null: it
	// deletes the flag). An import has neither, but the flags it adds, changes and removes.
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	// BaseVersion is the flag's version the change was made against (0: none); CurrentVersion the version now.
	BaseVersion    int          `json:"base_version"`
	CurrentVersion int          `json:"current_version"`
	Import         *ImportDelta `json:"import,omitempty"`
}

// ImportDelta is what an import changes in an environment's flag set.
type ImportDelta struct {
	Added     []string `json:"added"`
	Changed   []string `json:"changed"`
	Removed   []string `json:"removed"`
	Unchanged int      `json:"unchanged"`
}

// Previewer says what an action of the kinds it is registered for will do. It must not change anything.
type Previewer interface {
	Preview(ctx context.Context, a Action) (Preview, error)
}

// PreviewerFunc is a function that is a Previewer.
type PreviewerFunc func(ctx context.Context, a Action) (Preview, error)

// Preview implements Previewer.
func (f PreviewerFunc) Preview(ctx context.Context, a Action) (Preview, error) { return f(ctx, a) }

// ErrNoPreview means no previewer knows the action's kind.
var ErrNoPreview = errors.New("no preview")

// Preview says what action id will do (or did), from the previewer registered for its kind.
func (s *Service) Preview(ctx context.Context, id string) (Preview, error) {
	a, err := s.Store.Get(ctx, id)
	if err != nil {
		return Preview{}, err
	}
	pv := s.Previewers[a.Kind]
	if pv == nil {
		return Preview{}, fmt.Errorf("%w: this portal cannot say what a %s action does", ErrNoPreview, a.Kind)
	}
	p, err := pv.Preview(ctx, a)
	if err != nil {
		return Preview{}, fmt.Errorf("preview %s: %w", a.ID, err)
	}
	if p.Summary == nil {
		p.Summary = []string{}
	}
	if p.Files == nil {
		p.Files = []PreviewFile{}
	}
	if p.Warnings == nil {
		p.Warnings = []string{}
	}
	return p, nil
}
