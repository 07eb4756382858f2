package kube

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The informers' transform functions turn each object into one of these before it is cached, so memory holds a
// few hundred bytes per workload instead of the whole object (managed fields, last-applied annotations, pod
// templates with their env, probes and volumes). The metadata keeps only what the informer itself needs (name,
// namespace, resource version) and what Atrium reads (generation, creation time).

// Kinds of workload Atrium reads.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"
)

// The mapping convention: the annotation names the service explicitly and wins; otherwise the recommended
// Kubernetes label does. Admins' claims (catalog.Claim) win over both.
const (
	ServiceAnnotation = "atrium.sphera.io/service"
	NameLabel         = "app.kubernetes.io/name"
)

// workload is what Atrium keeps of a Deployment, StatefulSet or DaemonSet.
type workload struct {
	metav1.ObjectMeta
	Kind string
	// Service and Label are the values of ServiceAnnotation and NameLabel.
	Service, Label string
	Containers     []container
	// Labels are the object's labels (drift compares them).
	Labels pairs
	// Replicas is spec.replicas as set (nil: not set, or a DaemonSet); drift compares it with the declaration.
	Replicas *int32
	// Manager and ChangedAt are the last change's field manager and time (changedBy).
	Manager   string
	ChangedAt time.Time
	Desired   int32 // spec.replicas (Deployment, StatefulSet), status.desiredNumberScheduled (DaemonSet)
	Ready     int32
	Updated   int32
	Available int32
	Observed  int64 // status.observedGeneration
	// ProgressingAt is when the Deployment controller last moved a rollout (Progressing condition); zero if unknown.
	ProgressingAt time.Time
	// Stalled is true when the Deployment's rollout exceeded its progress deadline.
	Stalled bool
}

// container is what Atrium keeps of a container: its image, and its resources for drift.
type container struct {
	Name, Image      string
	Requests, Limits pairs // quantities as the API server writes them
}

// autoscaler is what Atrium keeps of a HorizontalPodAutoscaler.
type autoscaler struct {
	metav1.ObjectMeta
	TargetAPIVersion       string
	TargetKind, TargetName string
	Labels                 pairs
	Min, Max               int32
	MinSet                 bool // spec.minReplicas is set (else Kubernetes' default, 1)
	Current, Desired       int32
	// Metrics are the resource metrics' targets (drift compares them); other metric types are not kept.
	Metrics   []resourceMetric
	Manager   string
	ChangedAt time.Time
}

// resourceMetric is a Resource metric of an autoscaler: which resource and its target.
type resourceMetric struct {
	Name, TargetType string
	Utilization      *int32
	Value            string // averageValue
}

func (w *workload) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

func (w *workload) DeepCopyObject() runtime.Object {
	c := *w
	w.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	c.Containers = append([]container(nil), w.Containers...)
	if w.Replicas != nil {
		r := *w.Replicas
		c.Replicas = &r
	}
	return &c
}

func (a *autoscaler) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

func (a *autoscaler) DeepCopyObject() runtime.Object {
	c := *a
	a.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	c.Metrics = append([]resourceMetric(nil), a.Metrics...)
	return &c
}

// slimMeta keeps the metadata Atrium and the informer need. (The labels drift compares are kept apart, as pairs:
// a map costs several times as much.)
func slimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, CreationTimestamp: m.CreationTimestamp}
}

// pair is a key and its value; pairs are a small map kept as a slice sorted by key.
type pair struct{ k, v string }

type pairs []pair

func toPairs[V any](m map[string]V, str func(V) string) pairs {
	if len(m) == 0 {
		return nil
	}
	out := make(pairs, 0, len(m))
	for k, v := range m {
		out = append(out, pair{k, str(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].k < out[j].k })
	return out
}

func labelPairs(m map[string]string) pairs { return toPairs(m, func(s string) string { return s }) }

// object is the pairs as an unstructured map (drift's projection).
func (ps pairs) object() map[string]any {
	m := make(map[string]any, len(ps))
	for _, p := range ps {
		m[p.k] = p.v
	}
	return m
}

func containers(pod []corev1.Container) []container {
	out := make([]container, len(pod))
	for i, c := range pod {
		out[i] = container{Name: c.Name, Image: c.Image, Requests: quantities(c.Resources.Requests),
			Limits: quantities(c.Resources.Limits)}
	}
	return out
}

func quantities(l corev1.ResourceList) pairs {
	out := make(pairs, 0, len(l))
	for k, q := range l {
		out = append(out, pair{string(k), q.String()})
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].k < out[j].k })
	return out
}

// controllerManagers are field managers that are Kubernetes itself, not somebody changing the object.
var controllerManagers = map[string]bool{"kube-controller-manager": true}

// changedBy is who last changed an object, and when: the newest managed-fields entry that is not a controller's
// and not the status subresource's.
func changedBy(m metav1.ObjectMeta) (string, time.Time) {
	var who string
	var at time.Time
	for _, e := range m.ManagedFields {
		if e.Subresource == "status" || controllerManagers[e.Manager] || e.Time == nil {
			continue
		}
		if e.Time.After(at) {
			who, at = e.Manager, e.Time.UTC()
		}
	}
	return who, at
}

// Transform is the informers' transform function: it replaces Deployments, StatefulSets, DaemonSets and
// HorizontalPodAutoscalers with the little Atrium keeps of them. Anything else (tombstones, objects already
// transformed) passes through unchanged, so it is idempotent.
func Transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		w := &workload{ObjectMeta: slimMeta(o.ObjectMeta), Kind: KindDeployment,
			Service: o.Annotations[ServiceAnnotation], Label: o.Labels[NameLabel],
			Containers: containers(o.Spec.Template.Spec.Containers), Desired: replicas(o.Spec.Replicas),
			Replicas: o.Spec.Replicas, Ready: o.Status.ReadyReplicas, Updated: o.Status.UpdatedReplicas,
			Available: o.Status.AvailableReplicas, Observed: o.Status.ObservedGeneration, Labels: labelPairs(o.Labels)}
		w.Manager, w.ChangedAt = changedBy(o.ObjectMeta)
		for _, c := range o.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing {
				w.ProgressingAt = c.LastUpdateTime.Time
				w.Stalled = c.Reason == "ProgressDeadlineExceeded"
			}
		}
		return w, nil
	case *appsv1.StatefulSet:
		w := &workload{ObjectMeta: slimMeta(o.ObjectMeta), Kind: KindStatefulSet,
			Service: o.Annotations[ServiceAnnotation], Label: o.Labels[NameLabel],
			Containers: containers(o.Spec.Template.Spec.Containers), Desired: replicas(o.Spec.Replicas),
			Replicas: o.Spec.Replicas, Ready: o.Status.ReadyReplicas, Updated: o.Status.UpdatedReplicas,
			Available: o.Status.AvailableReplicas, Observed: o.Status.ObservedGeneration, Labels: labelPairs(o.Labels)}
		w.Manager, w.ChangedAt = changedBy(o.ObjectMeta)
		return w, nil
	case *appsv1.DaemonSet:
		w := &workload{ObjectMeta: slimMeta(o.ObjectMeta), Kind: KindDaemonSet,
			Service: o.Annotations[ServiceAnnotation], Label: o.Labels[NameLabel],
			Containers: containers(o.Spec.Template.Spec.Containers), Desired: o.Status.DesiredNumberScheduled,
			Ready: o.Status.NumberReady, Updated: o.Status.UpdatedNumberScheduled, Available: o.Status.NumberAvailable,
			Observed: o.Status.ObservedGeneration, Labels: labelPairs(o.Labels)}
		w.Manager, w.ChangedAt = changedBy(o.ObjectMeta)
		return w, nil
	case *autoscalingv2.HorizontalPodAutoscaler:
		a := &autoscaler{ObjectMeta: slimMeta(o.ObjectMeta), TargetAPIVersion: o.Spec.ScaleTargetRef.APIVersion,
			TargetKind: o.Spec.ScaleTargetRef.Kind, TargetName: o.Spec.ScaleTargetRef.Name,
			Min: replicas(o.Spec.MinReplicas), MinSet: o.Spec.MinReplicas != nil, Max: o.Spec.MaxReplicas,
			Current: o.Status.CurrentReplicas, Desired: o.Status.DesiredReplicas, Labels: labelPairs(o.Labels)}
		for _, m := range o.Spec.Metrics {
			if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil {
				continue
			}
			rm := resourceMetric{Name: string(m.Resource.Name), TargetType: string(m.Resource.Target.Type),
				Utilization: m.Resource.Target.AverageUtilization}
			if m.Resource.Target.AverageValue != nil {
				rm.Value = m.Resource.Target.AverageValue.String()
			}
			a.Metrics = append(a.Metrics, rm)
		}
		a.Manager, a.ChangedAt = changedBy(o.ObjectMeta)
		return a, nil
	}
	return obj, nil
}

// replicas reads an optional replica count; Kubernetes defaults it to 1.
func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
