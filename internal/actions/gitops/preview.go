package gitops

import (
	"context"

	"github.com/sphera/atrium/internal/actions"
)

// Preview is the executor of the preview delivery path: it renders the Terraform the gitops path would propose
// and records it as the action's result, creating nothing. It is what local mode runs.
type Preview struct {
	Config actions.Config
}

// Execute implements actions.Executor; rendering is deterministic, so running it again is harmless.
func (p Preview) Execute(_ context.Context, a actions.Action) (actions.Outcome, error) {
	env, ok := p.Config.Environments[a.Environment]
	if !ok {
		return actions.Outcome{}, actions.Permanentf("environment %q is not configured", a.Environment)
	}
	f, err := Generate(env.GitOps, a)
	if err != nil {
		return actions.Outcome{}, err
	}
	return actions.Outcome{Done: true, Result: map[string]string{
		"preview":        "nothing was created: this environment previews the Terraform a pull request would add",
		"terraform_path": f.Path,
		"terraform":      string(f.Content),
	}}, nil
}
