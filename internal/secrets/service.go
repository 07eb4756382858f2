package secrets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// Service is what the API calls: the secrets' metadata, write requests (as actions), reveals.
type Service struct {
	Config  *Config
	DB      *store.DB
	Actions *actions.Service
	Staging *Staging
	// Agents seals Kubernetes targets' values to their cluster's agent; nil: kubernetes environments refuse writes.
	Agents *agent.Queue
	// Backends writes and reads the values of the aws and local backends, by backend name.
	Backends map[string]Backend
	// Observer lists what AWS Secrets Manager holds (the AWS collector, through awssm.Observer); nil: the aws
	// backend's own listing if it has one (Lister), else AWS is not compared with the metadata.
	Observer Lister
	// Approvers is the actions section's approvers of an environment, for environments that name none.
	Approvers func(env string) []string
	Audit     audit.Auditor
	Log       *slog.Logger
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// WriteRequest asks to create, rotate or delete a service's secret in one environment, in some of its regions
// (all of them, where the service runs, when none are named).
type WriteRequest struct {
	Service     string   `json:"service"`
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Regions     []string `json:"regions,omitempty"`
	// Value is the new value (create, rotate). It is sealed at once and never stored as it is.
	Value string `json:"value,omitempty"`
}

// refused wraps the problems of a request that nothing was stored for.
func refused(ps problem.Problems) error {
	return fmt.Errorf("invalid secret request: nothing was stored: %w", ps)
}

// Write checks req for op as p, seals the value for each target and submits the action that writes (or deletes)
// the secret — or returns the action stored before under the same idempotency key (created false). Problems are a
// problem.Problems (errors.As) naming every bad field; nothing is stored unless the request is valid and allowed.
// The value is never part of an error, a log or the action.
func (s *Service) Write(ctx context.Context, p auth.Principal, op, key string, req WriteRequest) (actions.Action, bool, error) {
	if !s.Config.Enabled() {
		return actions.Action{}, false, ErrNotConfigured
	}
	var ps problem.Problems
	switch {
	case key == "":
		ps.Add("Idempotency-Key", "header required: a unique value per intended change, reused on retries")
	case len(key) > actions.MaxIdempotencyKey:
		ps.Add("Idempotency-Key", "at most %d characters", actions.MaxIdempotencyKey)
	}
	if ps.HasErrors() {
		return actions.Action{}, false, refused(ps)
	}
	// The same request again: its action, without sealing the value a second time.
	if prev, found, err := s.Actions.Store.ByKey(ctx, p.Subject, key); err != nil {
		return actions.Action{}, false, err
	} else if found {
		var pp Params
		_ = json.Unmarshal(prev.Params, &pp)
		if prev.Kind != kindOf(op) || prev.Service != req.Service || pp.Name != req.Name || prev.Environment != req.Environment {
			return prev, false, fmt.Errorf("%w: key %q was first used for action %s", actions.ErrIdempotencyConflict, key, prev.ID)
		}
		return prev, false, nil
	}
	svc, targets, ps, err := s.check(ctx, op, req)
	if err != nil {
		return actions.Action{}, false, err
	}
	if ps.HasErrors() {
		return actions.Action{}, false, refused(ps)
	}
	if d := policy.DecideIn(p, policy.SecretsWrite, svc.Owner, req.Environment); !d.Allow {
		s.auditDenied(ctx, p, "secret."+op, catalog.SecretID(req.Service, req.Name), req.Environment, d.Reason)
		return actions.Action{}, false, fmt.Errorf("%w: %s", ErrForbidden, d.Reason)
	}
	full := s.Config.FullName(svc.Owner, svc.Name, req.Name, req.Environment)
	params := Params{Name: req.Name, FullName: full, Operation: op, Targets: targets}
	if op != OpDelete {
		params.ValueRef = valueRef(p.Subject, key)
		if err := s.stage(ctx, params.ValueRef, svc, req, targets); err != nil {
			return actions.Action{}, false, err
		}
	}
	raw, _ := json.Marshal(params)
	regions := []string{}
	for _, t := range targets {
		if !slices.Contains(regions, t.Region) {
			regions = append(regions, t.Region)
		}
	}
	sort.Strings(regions)
	env := s.Config.Environments[req.Environment]
	approvers := []string{}
	switch {
	case env.Approvers != nil:
		approvers = append(approvers, (*env.Approvers)...)
	case s.Approvers != nil:
		approvers = s.Approvers(req.Environment)
	}
	a, created, err := s.Actions.Submit(ctx, actions.Action{Requester: p.Subject, Team: svc.Owner, Service: svc.Name,
		Kind: kindOf(op), Params: raw, Environment: req.Environment, Region: strings.Join(regions, ","),
		Delivery: Delivery, IdempotencyKey: key, Approvers: approvers})
	if err != nil && params.ValueRef != "" {
		if derr := s.Staging.dropAll(context.WithoutCancel(ctx), params.ValueRef); derr != nil {
			s.log().Warn("discard staged secret value", "ref", params.ValueRef, "err", derr)
		}
	}
	return a, created, err
}

// stage seals the value of req for every target: to the agent of a Kubernetes target's cluster (the manifest of
// its Secret), to the portal's staging key otherwise.
func (s *Service) stage(ctx context.Context, ref string, svc catalog.Service, req WriteRequest, targets []Target) error {
	value := []byte(req.Value)
	defer clear(value)
	for _, t := range targets {
		var sealed *agent.Sealed
		var err error
		if t.Backend == catalog.SecretBackendKubernetes {
			if s.Agents == nil {
				return fmt.Errorf("%w: this portal has no agent queue for Kubernetes secrets", ErrRefused)
			}
			manifest := secretManifest(t, svc, req.Name, ref, value)
			sealed, err = s.Agents.Seal(ctx, t.Cluster, agent.SealedContent{Apply: []json.RawMessage{manifest}})
			clear(manifest)
			if errors.Is(err, agent.ErrNoAgent) {
				return refused(problem.Problems{problem.Atf("regions", "cluster %s has no agent yet, so nothing can be "+
					"sealed to it: start its agent (docs/agent.md) and send the request again", t.Cluster)})
			}
		} else {
			sealed, err = s.Staging.sealForPortal(value)
		}
		if err != nil {
			return fmt.Errorf("seal the value for %s: %w", t.SecretPlace, err)
		}
		if err := s.Staging.put(ctx, ref, t.Key(), sealed); err != nil {
			return err
		}
	}
	return nil
}

// Labels and annotations of the Kubernetes Secrets the portal writes.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	LabelService        = "atrium.sphera.io/service"
	AnnotationSecret    = "atrium.sphera.io/secret"
	AnnotationVersion   = "atrium.sphera.io/version"
	AnnotationRotatedAt = "atrium.sphera.io/rotated-at"
	DataKey             = "value"
)

// secretManifest is the Kubernetes Secret of t holding value (under data.value), labelled as Atrium's.
func secretManifest(t Target, svc catalog.Service, name, ref string, value []byte) []byte {
	m := map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{
			"name": t.Object, "namespace": t.Namespace,
			"labels": map[string]string{LabelManagedBy: "atrium", LabelService: svc.Name, "app.kubernetes.io/name": svc.Name},
			"annotations": map[string]string{AnnotationSecret: svc.Owner + "/" + svc.Name + "/" + name,
				AnnotationVersion: ref},
		},
		"data": map[string]string{DataKey: base64.StdEncoding.EncodeToString(value)},
	}
	b, _ := json.Marshal(m)
	return b
}

// check validates a request and works out its targets.
func (s *Service) check(ctx context.Context, op string, req WriteRequest) (catalog.Service, []Target, problem.Problems, error) {
	var ps problem.Problems
	var svc catalog.Service
	var sec catalog.Secret
	if req.Service == "" {
		ps.Add("service", "required")
	} else {
		var err error
		svc, err = s.DB.GetService(ctx, req.Service)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			ps.Add("service", "no service %q in the catalog", req.Service)
		case err != nil:
			return svc, nil, nil, err
		}
	}
	if why := s.Config.ValidName(req.Name); why != "" {
		ps.Add("name", "%s", why)
	}
	env, envOK := s.Config.Environments[req.Environment]
	switch {
	case req.Environment == "":
		ps.Add("environment", "required (one of %s)", strings.Join(s.Config.EnvironmentNames(), ", "))
	case !envOK:
		ps.Add("environment", "unknown environment %q; secrets are kept in %s", req.Environment, strings.Join(s.Config.EnvironmentNames(), ", "))
	}
	for i, r := range req.Regions {
		if envOK && !slices.Contains(env.Regions, r) {
			ps.Add(fmt.Sprintf("regions[%d]", i), "region %q is not one of %s's regions (%s)", r, req.Environment, strings.Join(env.Regions, ", "))
		}
	}
	if op != OpDelete {
		switch n := len(req.Value); {
		case n == 0:
			ps.Add("value", "required: a secret's value cannot be empty")
		case n > s.Config.MaxValueBytes:
			ps.Add("value", "%d bytes; the conventions allow at most %d", n, s.Config.MaxValueBytes)
		case !utf8.ValidString(req.Value):
			ps.Add("value", "must be UTF-8 text")
		}
	} else if req.Value != "" {
		ps.Add("value", "a deletion takes no value")
	}
	if ps.HasErrors() || svc.Name == "" {
		return svc, nil, ps, nil
	}
	if s2, err := s.DB.GetSecret(ctx, catalog.SecretID(svc.Name, req.Name)); err == nil {
		sec = s2
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return svc, nil, nil, err
	}
	var targets []Target
	if op == OpDelete {
		for _, l := range sec.Locations {
			if l.Environment == req.Environment && (len(req.Regions) == 0 || slices.Contains(req.Regions, l.Region)) {
				targets = append(targets, Target{SecretPlace: l.SecretPlace, Object: l.Object})
			}
		}
		if len(targets) == 0 {
			ps.Add("name", "%s has no secret %q in %s%s", svc.Name, req.Name, req.Environment, regionsSuffix(req.Regions))
		}
		return svc, targets, ps, nil
	}
	places, why := s.places(svc, req.Name, req.Environment, req.Regions)
	if why != "" {
		ps.Add(whyField(req.Regions), "%s", why)
		return svc, nil, ps, nil
	}
	for _, pl := range places {
		targets = append(targets, s.target(svc, req.Name, pl))
	}
	var present, absent []string
	for _, t := range targets {
		if hasPlace(sec, t.SecretPlace) {
			present = append(present, t.String())
		} else {
			absent = append(absent, t.String())
		}
	}
	switch {
	case op == OpCreate && len(present) > 0:
		ps.Add("name", "%s already has a secret %q in %s: rotate it instead", svc.Name, req.Name, strings.Join(present, ", "))
	case op == OpRotate && len(present) == 0:
		ps.Add("name", "%s has no secret %q in %s to rotate: create it first", svc.Name, req.Name, strings.Join(absent, ", "))
	}
	return svc, targets, ps, nil
}

func whyField(regions []string) string {
	if len(regions) > 0 {
		return "regions"
	}
	return "environment"
}

func regionsSuffix(regions []string) string {
	if len(regions) == 0 {
		return ""
	}
	return " (" + strings.Join(regions, ", ") + ")"
}

func hasPlace(sec catalog.Secret, p catalog.SecretPlace) bool {
	for _, l := range sec.Locations {
		if l.Environment == p.Environment && l.Region == p.Region && l.Cluster == p.Cluster {
			return true
		}
	}
	return false
}

// places are where a secret of svc goes in env: for kubernetes every cluster of env where svc runs (in its
// namespace there), else every region of env where it runs — narrowed to regions when given. why says what is
// wrong when there is no place.
func (s *Service) places(svc catalog.Service, name, envName string, regions []string) ([]catalog.SecretPlace, string) {
	env := s.Config.Environments[envName]
	deployed := map[string][]catalog.Deployment{} // by region
	for _, d := range svc.Deployments {
		if d.Environment == envName {
			deployed[d.Region] = append(deployed[d.Region], d)
		}
	}
	only := env.DeployedOnly == nil || *env.DeployedOnly
	if only && len(deployed) == 0 {
		return nil, fmt.Sprintf("%s is not deployed in %s (the catalog knows no deployment of it there): a secret "+
			"goes only where its service runs", svc.Name, envName)
	}
	want := regions
	if len(want) == 0 {
		want = env.Regions
	}
	var out []catalog.SecretPlace
	var notDeployed []string
	for _, r := range env.Regions {
		if !slices.Contains(want, r) {
			continue
		}
		if only && len(deployed[r]) == 0 {
			if len(regions) > 0 {
				notDeployed = append(notDeployed, r)
			}
			continue
		}
		if env.Backend != catalog.SecretBackendKubernetes {
			out = append(out, catalog.SecretPlace{Environment: envName, Region: r, Backend: env.Backend})
			continue
		}
		seen := map[string]bool{}
		for _, cl := range env.Clusters {
			if cl.Region != r {
				continue
			}
			for _, d := range deployed[r] {
				if d.Cluster == cl.Name && !seen[cl.Name] {
					seen[cl.Name] = true
					out = append(out, catalog.SecretPlace{Environment: envName, Region: r, Backend: env.Backend,
						Cluster: cl.Name, Namespace: d.Namespace})
				}
			}
			if !only && !seen[cl.Name] {
				seen[cl.Name] = true
				ns := strings.NewReplacer("{team}", svc.Owner, "{service}", svc.Name).Replace(env.Namespace)
				out = append(out, catalog.SecretPlace{Environment: envName, Region: r, Backend: env.Backend,
					Cluster: cl.Name, Namespace: ns})
			}
		}
	}
	if len(notDeployed) > 0 {
		return nil, fmt.Sprintf("%s is not deployed in %s of %s (it runs in %s)", svc.Name,
			strings.Join(notDeployed, ", "), envName, strings.Join(sortedKeys(deployed), ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("%s runs in no cluster of %s that the secrets conventions list (%s)", svc.Name, envName,
			clusterNames(env.Clusters))
	}
	return out, ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func clusterNames(cs []Cluster) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// target is the place pl of svc's secret name, with the backend's name for it.
func (s *Service) target(svc catalog.Service, name string, pl catalog.SecretPlace) Target {
	obj := s.Config.FullName(svc.Owner, svc.Name, name, pl.Environment)
	if pl.Backend == catalog.SecretBackendKubernetes {
		obj = s.Config.KubeName(svc.Owner, svc.Name, name)
	}
	return Target{SecretPlace: pl, Object: obj}
}

// Expected are the places a secret of svc should be, in every environment (for Missing).
func (s *Service) Expected(svc catalog.Service, name string) []catalog.SecretPlace {
	var out []catalog.SecretPlace
	for _, env := range s.Config.EnvironmentNames() {
		ps, _ := s.places(svc, name, env, nil)
		out = append(out, ps...)
	}
	return out
}

// refreshMissing recomputes what sec lacks, from its service's deployments and the conventions.
func (s *Service) refreshMissing(ctx context.Context, sec *catalog.Secret) {
	svc, err := s.DB.GetService(ctx, sec.Service)
	if err != nil {
		sec.Missing = []catalog.SecretPlace{}
		return
	}
	sec.Missing = catalog.MissingPlaces(sec.Locations, s.Expected(svc, sec.Name), s.Config.Required)
}

// RefreshAll recomputes what every secret lacks (at start: the conventions or the deployments may have changed).
func (s *Service) RefreshAll(ctx context.Context) error {
	list, err := s.DB.ListSecrets(ctx, store.SecretQuery{})
	if err != nil {
		return err
	}
	for _, sec := range list {
		if _, err := s.DB.UpdateSecret(ctx, sec.ID, func(cur *catalog.Secret, exists bool) (bool, error) {
			if !exists {
				return false, nil
			}
			s.refreshMissing(ctx, cur)
			return true, nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) auditDenied(ctx context.Context, p auth.Principal, verb, id, env, reason string) {
	if s.Audit == nil {
		return
	}
	if err := s.Audit.Record(ctx, audit.Event{Actor: p.Subject, Action: verb, Resource: "secret/" + id,
		Outcome: audit.Denied, Detail: map[string]any{"environment": env, "reason": reason}}); err != nil {
		s.log().Error("audit a refused secret request", "err", err)
	}
}

// Conventions is what the UI and the CLI show of the conventions: names, environments, who may reveal where.
type Conventions struct {
	Naming        string           `json:"naming"`
	NamePattern   string           `json:"name_pattern"`
	MaxValueBytes int              `json:"max_value_bytes"`
	RevealSeconds int              `json:"reveal_seconds"`
	Required      []string         `json:"required"`
	Environments  []EnvConventions `json:"environments"`
}

// EnvConventions is one environment of Conventions.
type EnvConventions struct {
	Name         string    `json:"name"`
	Backend      string    `json:"backend"`
	Regions      []string  `json:"regions"`
	Clusters     []Cluster `json:"clusters"`
	DeployedOnly bool      `json:"deployed_only"`
	Reveal       []string  `json:"reveal"`
	Approvers    []string  `json:"approvers"`
}

// View is the conventions as the API shows them.
func (s *Service) View() Conventions {
	c := s.Config
	out := Conventions{Naming: c.Naming, NamePattern: c.NamePattern, MaxValueBytes: c.MaxValueBytes,
		RevealSeconds: c.RevealSeconds, Required: append([]string{}, c.Required...), Environments: []EnvConventions{}}
	for _, name := range c.EnvironmentNames() {
		e := c.Environments[name]
		ev := EnvConventions{Name: name, Backend: e.Backend, Regions: append([]string{}, e.Regions...),
			Clusters: append([]Cluster{}, e.Clusters...), DeployedOnly: e.DeployedOnly == nil || *e.DeployedOnly,
			Reveal: append([]string{}, e.Reveal...), Approvers: []string{}}
		switch {
		case e.Approvers != nil:
			ev.Approvers = append(ev.Approvers, (*e.Approvers)...)
		case s.Approvers != nil:
			ev.Approvers = s.Approvers(name)
		}
		out.Environments = append(out.Environments, ev)
	}
	return out
}
