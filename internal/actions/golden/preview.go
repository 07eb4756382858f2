package golden

import (
	"context"
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/scaffold"
)

// Preview runs service_create actions where the portal has no GitHub and no cluster agents (local mode, or an
// environment whose delivery is preview): the run goes through the same pipeline and steps, the catalog
// registration is real, and every other step ends in a preview — skipped, with an output that says plainly what a
// team portal would have done.
type Preview struct {
	Catalog Catalog
}

// previewOf says what a team portal would have done; the step is skipped with it.
func previewOf(format string, args ...any) actions.Output {
	return actions.Output{Skipped: true, Values: map[string]string{"preview": fmt.Sprintf(format, args...)}}
}

// Execute implements actions.Executor.
func (pv Preview) Execute(ctx context.Context, a actions.Action) (actions.Outcome, error) {
	p, err := LoadPlan(a)
	if err != nil {
		return actions.Outcome{}, actions.Permanent(err)
	}
	rp := p.Repository
	full := rp.Owner + "/" + rp.Name
	runs := map[string]func(context.Context, *actions.StepRun) (actions.Output, error){
		StepCreateRepository: func(context.Context, *actions.StepRun) (actions.Output, error) {
			described := ""
			if rp.Description != "" {
				described = fmt.Sprintf(", described %q", rp.Description)
			}
			out := previewOf("a team portal would have created the %s repository %s on GitHub (%s)%s",
				visibility(rp.Visibility), full, rp.URL, described)
			out.Values["repository"], out.Values["repository_url"] = full, rp.URL
			return out, nil
		},
		StepPushInitialCommit: func(context.Context, *actions.StepRun) (actions.Output, error) {
			return previewOf("a team portal would have pushed one commit to %s of %s with these %d files: %s",
				rp.DefaultBranch, full, len(p.Files), paths(p.Files)), nil
		},
		StepProtectBranch: func(context.Context, *actions.StepRun) (actions.Output, error) {
			pr := rp.Protection
			if pr == nil {
				return previewOf("no branch protection is asked for"), nil
			}
			checks := "no required checks"
			if len(pr.RequiredChecks) > 0 {
				checks = "required checks " + strings.Join(pr.RequiredChecks, ", ")
			}
			return previewOf("a team portal would have protected %s of %s: %d approving review(s), code owner review %v, %s",
				pr.Branch, full, pr.RequiredReviews, pr.RequireCodeOwnerReviews, checks), nil
		},
		StepRegisterCatalog: func(ctx context.Context, r *actions.StepRun) (actions.Output, error) {
			return register(ctx, pv.Catalog, r, p)
		},
		StepOpenInfraPR: func(context.Context, *actions.StepRun) (actions.Output, error) {
			ip := p.InfraPullRequest
			return previewOf("a team portal would have opened the pull request %q on %s from branch %s into %s, with these %d files: %s",
				ip.Title, ip.Repository, ip.Branch, ip.Base, len(ip.Files), paths(ip.Files)), nil
		},
		StepDeployDev: func(context.Context, *actions.StepRun) (actions.Output, error) {
			if len(p.Deploy) == 0 {
				return previewOf("no dev cluster in the plan"), nil
			}
			var parts []string
			for _, d := range p.Deploy {
				var files []scaffold.File
				for _, f := range d.Files {
					if !strings.Contains(f.Content, "kind: Namespace") {
						files = append(files, f)
					}
				}
				parts = append(parts, fmt.Sprintf("to %s in namespace %s (which the platform provides, with the agent's "+
					"RoleBinding): %s", d.Cluster, d.Namespace, paths(files)))
			}
			return previewOf("a team portal's cluster agents would have applied these manifests %s", strings.Join(parts, "; ")), nil
		},
		StepWaitDevAvailable: func(context.Context, *actions.StepRun) (actions.Output, error) {
			if len(p.Deploy) == 0 {
				return previewOf("no dev cluster in the plan"), nil
			}
			var parts []string
			for _, d := range p.Deploy {
				parts = append(parts, fmt.Sprintf("Deployment %s/%s in %s, then reachable at %s", d.Namespace, d.Deployment, d.Cluster, d.URL))
			}
			return previewOf("a team portal would have waited for %s", strings.Join(parts, "; ")), nil
		},
	}
	steps, err := stepsOf(p, runs)
	if err != nil {
		return actions.Outcome{}, err
	}
	out, err := actions.RunSteps(ctx, a, steps)
	if out.Done {
		out.Result["preview"] = "this portal previews the golden path: the catalog entry is real; the repository, its " +
			"commit and protection, the infrastructure pull request and the dev deployment were not created (see each step)"
	}
	return out, err
}

func visibility(v string) string {
	if v == "" {
		return "private"
	}
	return v
}

func paths(fs []scaffold.File) string {
	ps := make([]string, len(fs))
	for i, f := range fs {
		ps[i] = f.Path
	}
	return strings.Join(ps, ", ")
}
