package secrets

import (
	"context"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
)

// SealedPlaceholder stands where a Kubernetes Secret's value is in a previewed manifest: the portal never holds the
// value in the clear — it was sealed to the cluster agent's key when sent — and would not show it if it did.
const SealedPlaceholder = "(sealed: only the cluster agent opens it; never shown)"

var _ actions.Previewer = (*Service)(nil)

// Preview says what a secret action will do (actions.Previewer), target by target, with the Kubernetes Secret
// manifests an agent will apply — their value replaced by SealedPlaceholder. It reads the action's parameters and
// the catalog, never a staged value.
func (s *Service) Preview(ctx context.Context, a actions.Action) (actions.Preview, error) {
	var p Params
	if err := json.Unmarshal(a.Params, &p); err != nil {
		return actions.Preview{}, fmt.Errorf("parameters of %s: %w", a.ID, err)
	}
	svc, err := s.DB.GetService(ctx, a.Service)
	if err != nil {
		svc = catalog.Service{Name: a.Service, Owner: a.Team} // deleted since: the names are still known
	}
	verb := map[string]string{OpCreate: "Creates", OpRotate: "Writes a new version of", OpDelete: "Deletes"}[p.Operation]
	if verb == "" {
		return actions.Preview{}, fmt.Errorf("secret action %s has no known operation (%q)", a.ID, p.Operation)
	}
	out := actions.Preview{Summary: []string{fmt.Sprintf("%s the secret %s of %s (team %s) in %s, in %d place(s), "+
		"one after the other; the value is never shown, stored in the clear or logged.", verb, p.FullName,
		a.Service, a.Team, a.Environment, len(p.Targets))}}
	for _, t := range p.Targets {
		switch t.Backend {
		case catalog.SecretBackendAWS:
			out.Summary = append(out.Summary, fmt.Sprintf("AWS Secrets Manager in %s: %s %s.", t.Region,
				map[string]string{OpCreate: "creates the secret", OpRotate: "puts a new current version of", OpDelete: "deletes"}[p.Operation], t.Object))
		case catalog.SecretBackendLocal:
			out.Summary = append(out.Summary, fmt.Sprintf("The local vault (%s): %s %s.", t.Region,
				map[string]string{OpCreate: "stores", OpRotate: "replaces", OpDelete: "deletes"}[p.Operation], t.Object))
		case catalog.SecretBackendKubernetes:
			if p.Operation == OpDelete {
				out.Summary = append(out.Summary, fmt.Sprintf("Kubernetes: the agent of %s deletes the Secret %s/%s.",
					t.Cluster, t.Namespace, t.Object))
				continue
			}
			out.Summary = append(out.Summary, fmt.Sprintf("Kubernetes: the agent of %s applies the Secret %s/%s "+
				"below, its value sealed to the agent's key.", t.Cluster, t.Namespace, t.Object))
			var m map[string]any
			if err := json.Unmarshal(secretManifest(t, svc, p.Name, p.ValueRef, nil), &m); err != nil {
				return actions.Preview{}, err
			}
			m["data"] = map[string]string{DataKey: SealedPlaceholder}
			y, err := yaml.Marshal(m)
			if err != nil {
				return actions.Preview{}, err
			}
			out.Files = append(out.Files, actions.PreviewFile{Path: fmt.Sprintf("%s/%s/secret-%s.yaml", t.Cluster,
				t.Namespace, t.Object), Language: "yaml", Content: string(y)})
		}
	}
	return out, nil
}
