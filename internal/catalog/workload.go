package catalog

import (
	"fmt"
	"slices"
	"time"

	"github.com/sphera/atrium/internal/problem"
)

// Kubernetes workloads and the services they run. The Kubernetes collector produces these values, the store keeps
// them, the API serves them; the rule that maps a workload to a service is here, so that all three agree on it.

// ClusterSourcePrefix starts the source name of a cluster ("kube:prod-eu-1"): the freshness record that travels to
// replicas with every feed batch, so a desktop knows each cluster's state and the age of its data offline.
const ClusterSourcePrefix = "kube:"

// ClusterSource is the source name of a cluster, "kube:NAME".
func ClusterSource(cluster string) string { return ClusterSourcePrefix + cluster }

// WorkloadKinds are the kinds of workload Atrium maps to services.
var WorkloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet"}

// ValidWorkloadKind reports whether kind is one of WorkloadKinds.
func ValidWorkloadKind(kind string) bool { return slices.Contains(WorkloadKinds, kind) }

// Ways a workload is mapped to a service, strongest first.
const (
	MappedByClaim      = "claim"      // an admin claimed it for the service (Claim)
	MappedByAnnotation = "annotation" // the workload's atrium.sphera.io/service annotation
	MappedByLabel      = "label"      // the workload's app.kubernetes.io/name label
)

// Workload is one Deployment, StatefulSet or DaemonSet as a cluster reports it, before it is mapped to a service.
type Workload struct {
	// Deployment holds what is shown; Cluster, Namespace, Kind and Name identify the workload. A zero RolloutAt
	// means the cluster does not say when the last rollout was: the store then keeps the time it first saw the
	// current image (CreatedAt on first sight).
	Deployment Deployment
	// CreatedAt is the workload's creation time.
	CreatedAt time.Time
	// AnnotationService and LabelService are the service names the workload carries, if any.
	AnnotationService string
	LabelService      string
	// Live and AutoscalerLive are what drift compares with a declaration: a projection of the workload's (and its
	// HorizontalPodAutoscaler's) declared fields, with who changed it last. Not stored with the catalog.
	Live           *LiveObject
	AutoscalerLive *LiveObject
}

// LiveObject is a projection of a Kubernetes object as drift compares it (the fields of DriftFields): apiVersion,
// kind, metadata (name, namespace, labels) and the spec fields a collector keeps, as unstructured JSON values.
type LiveObject struct {
	Object map[string]any
	// Manager is the field manager of the object's last change (kubectl-edit, argocd-controller, atrium-agent),
	// and ChangedAt its time, from the object's managed fields; "" when unknown.
	Manager   string
	ChangedAt time.Time
}

// Ref is the workload's identity.
func (w Workload) Ref() WorkloadRef {
	return WorkloadRef{Cluster: w.Deployment.Cluster, Namespace: w.Deployment.Namespace, Kind: w.Deployment.Kind,
		Name: w.Deployment.Name}
}

// WorkloadRef names a workload. In a claim, Cluster "" names the workload in every cluster.
type WorkloadRef struct {
	Cluster, Namespace, Kind, Name string
}

// Claims are admins' claims: the service each claimed workload belongs to.
type Claims map[WorkloadRef]string

// Service applies the mapping convention to workload w, which carries annotation and label (either may be ""):
// a claim for w in its cluster, then a claim for w in every cluster, then the annotation, then the label. It
// returns the service and how it was mapped (a MappedBy value), or "", "" when nothing names one.
func (cs Claims) Service(w WorkloadRef, annotation, label string) (service, mappedBy string) {
	if s, ok := cs[w]; ok {
		return s, MappedByClaim
	}
	every := w
	every.Cluster = ""
	if s, ok := cs[every]; ok {
		return s, MappedByClaim
	}
	if annotation != "" {
		return annotation, MappedByAnnotation
	}
	if label != "" {
		return label, MappedByLabel
	}
	return "", ""
}

// Cluster is a registered cluster and how reaching it goes.
type Cluster struct {
	Name        string `json:"name"`
	Region      string `json:"region"`
	Environment string `json:"environment"`
	// State is one of connecting, ok, unreachable, unauthorized, forbidden, invalid-config, error.
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	// LastOKAt is when the cluster's data was last known to be complete and current; its workloads are kept as of
	// then while it is not ok.
	LastOKAt  time.Time `json:"last_ok_at,omitzero"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	Workloads int       `json:"workloads"`
	Unmapped  int       `json:"unmapped"`
}

// UnmappedWorkload is a workload no service owns: it names none, or names one the catalog does not have.
type UnmappedWorkload struct {
	Cluster     string `json:"cluster"`
	Region      string `json:"region"`
	Environment string `json:"environment"`
	Namespace   string `json:"namespace"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Image       string `json:"image"`
	Version     string `json:"version"`
	// Candidate is the service name the workload carries (annotation, label or claim) when that service does not
	// exist.
	Candidate string `json:"candidate,omitempty"`
	Reason    string `json:"reason"`
}

// Unmapped is the unmapped workload dp, which was mapped by mappedBy (a MappedBy value, or "") to service, a
// service the catalog does not have (or ""), with the reason for a person.
func Unmapped(dp Deployment, service, mappedBy string) UnmappedWorkload {
	u := UnmappedWorkload{Cluster: dp.Cluster, Region: dp.Region, Environment: dp.Environment,
		Namespace: dp.Namespace, Kind: dp.Kind, Name: dp.Name, Image: dp.Image, Version: dp.Version, Candidate: service}
	switch mappedBy {
	case "":
		u.Reason = "carries neither the atrium.sphera.io/service annotation nor the app.kubernetes.io/name label"
	case MappedByClaim:
		u.Reason = fmt.Sprintf("claimed for service %q, which is not in the catalog", service)
	default:
		u.Reason = fmt.Sprintf("its %s names service %q, which is not in the catalog", mappedBy, service)
	}
	return u
}

// Claim maps a workload to a service by decision of an admin, over what the workload's annotation or label says.
// Cluster "" claims the workload in every cluster.
type Claim struct {
	ID        int64     `json:"id"`
	Cluster   string    `json:"cluster"`
	Namespace string    `json:"namespace"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Service   string    `json:"service"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Check reports every problem of a claim as asked for: the workload it names and the service, which must also
// exist in the catalog (the store checks that when it records the claim).
func (c Claim) Check() problem.Problems {
	var ps problem.Problems
	for _, f := range []struct{ field, value string }{{"namespace", c.Namespace}, {"name", c.Name}} {
		if f.value == "" || len(f.value) > 253 {
			ps.Add(f.field, "required, at most 253 characters")
		}
	}
	if !ValidWorkloadKind(c.Kind) {
		ps.Add("kind", "must be Deployment, StatefulSet or DaemonSet")
	}
	if !ValidName(c.Service) {
		ps.Add("service", "must name a catalog service")
	}
	return ps
}

// Ref is the workload (or, with Cluster "", the workload in every cluster) the claim names.
func (c Claim) Ref() WorkloadRef {
	return WorkloadRef{Cluster: c.Cluster, Namespace: c.Namespace, Kind: c.Kind, Name: c.Name}
}
