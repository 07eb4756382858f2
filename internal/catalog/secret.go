package catalog

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Secret is one secret of a service as the portal and every replica know it: where it exists, who created and
// rotated it, when it was last read — never its value (DESIGN.md decision 10, docs/secrets.md).
type Secret struct {
	ID      string `json:"id"` // SERVICE/NAME
	Service string `json:"service"`
	Team    string `json:"team"`
	Name    string `json:"name"`
	// FullName is the name the portal's naming convention gives it in a backend ("payments/checkout/db-password"),
	// the name of the AWS Secrets Manager secret.
	FullName string `json:"full_name"`
	// Locations are the places the secret exists, by environment, region and (Kubernetes) cluster.
	Locations []SecretLocation `json:"locations"`
	// Missing are the places it should exist and does not: every place of an environment the conventions require,
	// and every other place of an environment where it exists somewhere.
	Missing   []SecretPlace `json:"missing"`
	CreatedBy string        `json:"created_by,omitempty"`
	CreatedAt time.Time     `json:"created_at,omitzero"`
	// RotatedAt is when a new version was last written anywhere (the first write counts), and by whom.
	RotatedBy string    `json:"rotated_by,omitempty"`
	RotatedAt time.Time `json:"rotated_at,omitzero"`
	// LastReadAt is the last read anyone made known: a reveal through the portal, or what the backend reports
	// (AWS Secrets Manager's last access date).
	LastReadBy string    `json:"last_read_by,omitempty"`
	LastReadAt time.Time `json:"last_read_at,omitzero"`
	// Pending is the action writing or deleting the secret now, if one waits for approval or runs.
	Pending   string    `json:"pending_action,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Backends of a secret.
const (
	SecretBackendKubernetes = "kubernetes" // a Kubernetes Secret, written by the cluster's agent
	SecretBackendAWS        = "aws"        // AWS Secrets Manager, one secret per region
	SecretBackendLocal      = "local"      // local mode's vault: encrypted in the portal's data directory
)

// SecretPlace is where a secret lives or should: an environment and region, and for Kubernetes a cluster and
// namespace.
type SecretPlace struct {
	Environment string `json:"environment"`
	Region      string `json:"region"`
	Backend     string `json:"backend"`
	Cluster     string `json:"cluster,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
}

// Key identifies a place: "ENV/REGION", or "ENV/REGION/CLUSTER/NAMESPACE" for a Kubernetes Secret.
func (p SecretPlace) Key() string {
	k := p.Environment + "/" + p.Region
	if p.Cluster != "" {
		k += "/" + p.Cluster + "/" + p.Namespace
	}
	return k
}

// String names a place for a person: "production eu-west-1 (AWS Secrets Manager)", "dev eu-west-1 (cluster
// dev-eu-1, namespace payments)".
func (p SecretPlace) String() string {
	switch p.Backend {
	case SecretBackendKubernetes:
		return fmt.Sprintf("%s %s (cluster %s, namespace %s)", p.Environment, p.Region, p.Cluster, p.Namespace)
	case SecretBackendAWS:
		return fmt.Sprintf("%s %s (AWS Secrets Manager)", p.Environment, p.Region)
	}
	return fmt.Sprintf("%s %s", p.Environment, p.Region)
}

// SecretLocation is one place a secret exists, with the backend's name for it and its history there.
type SecretLocation struct {
	SecretPlace
	// Object is the backend's name of the secret: the AWS secret's name, the Kubernetes Secret's name, the vault's
	// key.
	Object string `json:"object"`
	// Version names the value written last (the action's reference for writes through the portal, the backend's
	// version otherwise); never derived from the value.
	Version    string    `json:"version,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	RotatedBy  string    `json:"rotated_by,omitempty"`
	RotatedAt  time.Time `json:"rotated_at,omitzero"`
	LastReadBy string    `json:"last_read_by,omitempty"`
	LastReadAt time.Time `json:"last_read_at,omitzero"`
	// Source says who knows of this location: "atrium" (the portal wrote it) or a collector that saw it
	// ("kube:dev-eu-1", "aws:eu-west-1").
	Source string `json:"source"`
	// SeenAt is when a collector last saw it in its backend.
	SeenAt time.Time `json:"seen_at,omitzero"`
}

// SecretID is the id of a service's secret.
func SecretID(service, name string) string { return service + "/" + name }

// Normalize puts a secret in canonical form: locations and missing places sorted, empty lists rather than nil, the
// summary times derived from the locations.
func (s *Secret) Normalize() {
	if s.Locations == nil {
		s.Locations = []SecretLocation{}
	}
	if s.Missing == nil {
		s.Missing = []SecretPlace{}
	}
	sort.Slice(s.Locations, func(i, j int) bool { return placeLess(s.Locations[i].SecretPlace, s.Locations[j].SecretPlace) })
	sort.Slice(s.Missing, func(i, j int) bool { return placeLess(s.Missing[i], s.Missing[j]) })
	for _, l := range s.Locations {
		if !l.RotatedAt.IsZero() && l.RotatedAt.After(s.RotatedAt) {
			s.RotatedAt, s.RotatedBy = l.RotatedAt, l.RotatedBy
		}
		if !l.LastReadAt.IsZero() && l.LastReadAt.After(s.LastReadAt) {
			s.LastReadAt, s.LastReadBy = l.LastReadAt, l.LastReadBy
		}
		if !l.CreatedAt.IsZero() && (s.CreatedAt.IsZero() || l.CreatedAt.Before(s.CreatedAt)) {
			s.CreatedAt = l.CreatedAt
			if l.CreatedBy != "" {
				s.CreatedBy = l.CreatedBy
			}
		}
	}
}

func placeLess(a, b SecretPlace) bool { return a.Key() < b.Key() }

// Location returns the location of s at place key, if any.
func (s *Secret) Location(key string) (int, bool) {
	i := slices.IndexFunc(s.Locations, func(l SecretLocation) bool { return l.Key() == key })
	return i, i >= 0
}

// MissingPlaces is what of expected a secret at locs lacks: every expected place of an environment in required or
// of an environment where the secret exists somewhere, that no location covers. A Kubernetes place counts as
// covered by a location in the same cluster whatever its namespace.
func MissingPlaces(locs []SecretLocation, expected []SecretPlace, required []string) []SecretPlace {
	inEnv := map[string]bool{}
	have := map[string]bool{}
	for _, l := range locs {
		inEnv[l.Environment] = true
		have[coverKey(l.SecretPlace)] = true
	}
	out := []SecretPlace{}
	seen := map[string]bool{}
	for _, p := range expected {
		if !inEnv[p.Environment] && !slices.Contains(required, p.Environment) {
			continue
		}
		k := coverKey(p)
		if have[k] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return placeLess(out[i], out[j]) })
	return out
}

func coverKey(p SecretPlace) string {
	k := p.Environment + "/" + p.Region
	if p.Cluster != "" {
		k += "/" + p.Cluster
	}
	return k
}

// DescribePlaces lists places for a sentence: "dev eu-west-1, production us-east-1 (AWS Secrets Manager)".
func DescribePlaces(ps []SecretPlace) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ", ")
}
