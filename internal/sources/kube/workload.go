package kube

import (
	"fmt"
	"strings"

	"github.com/sphera/atrium/internal/catalog"
)

// toWorkload is what Atrium shows of w in cluster c, with the autoscaler targeting it (nil if none).
func toWorkload(c ClusterConfig, w *workload, hpa *autoscaler) catalog.Workload {
	main := mainContainer(w)
	h, detail := health(w)
	dp := catalog.Deployment{Cluster: c.Name, Region: c.Region, Environment: c.Environment, Namespace: w.Namespace,
		Kind: w.Kind, Name: w.Name, Image: main.Image, Version: ImageVersion(main.Image), Ready: int(w.Ready),
		Desired: int(w.Desired), Health: h, HealthDetail: detail, RolloutAt: w.ProgressingAt}
	if hpa != nil {
		dp.Autoscaler = &catalog.Autoscaler{Min: int(hpa.Min), Max: int(hpa.Max), Current: int(hpa.Current),
			Desired: int(hpa.Desired)}
	}
	out := catalog.Workload{Deployment: dp, CreatedAt: w.CreationTimestamp.Time, AnnotationService: w.Service,
		LabelService: w.Label, Live: liveWorkload(w)}
	if hpa != nil {
		out.AutoscalerLive = liveAutoscaler(hpa)
	}
	return out
}

// liveWorkload is the projection of w drift compares with a declaration (catalog.LiveObject): labels,
// spec.replicas as set, and each container's image and resources.
func liveWorkload(w *workload) *catalog.LiveObject {
	md := map[string]any{"name": w.Name, "namespace": w.Namespace}
	if len(w.Labels) > 0 {
		md["labels"] = w.Labels.object()
	}
	cs := make([]any, len(w.Containers))
	for i, c := range w.Containers {
		m := map[string]any{"name": c.Name, "image": c.Image}
		res := map[string]any{}
		if len(c.Requests) > 0 {
			res["requests"] = c.Requests.object()
		}
		if len(c.Limits) > 0 {
			res["limits"] = c.Limits.object()
		}
		if len(res) > 0 {
			m["resources"] = res
		}
		cs[i] = m
	}
	spec := map[string]any{"template": map[string]any{"spec": map[string]any{"containers": cs}}}
	if w.Replicas != nil {
		spec["replicas"] = float64(*w.Replicas)
	}
	return &catalog.LiveObject{Object: map[string]any{"apiVersion": "apps/v1", "kind": w.Kind, "metadata": md,
		"spec": spec}, Manager: w.Manager, ChangedAt: w.ChangedAt}
}

// liveAutoscaler is the projection of a HorizontalPodAutoscaler: its target, range and resource metrics.
func liveAutoscaler(a *autoscaler) *catalog.LiveObject {
	md := map[string]any{"name": a.Name, "namespace": a.Namespace}
	if len(a.Labels) > 0 {
		md["labels"] = a.Labels.object()
	}
	spec := map[string]any{"maxReplicas": float64(a.Max),
		"scaleTargetRef": map[string]any{"apiVersion": a.TargetAPIVersion, "kind": a.TargetKind, "name": a.TargetName}}
	if a.MinSet {
		spec["minReplicas"] = float64(a.Min)
	}
	if len(a.Metrics) > 0 {
		ms := make([]any, len(a.Metrics))
		for i, m := range a.Metrics {
			target := map[string]any{"type": m.TargetType}
			if m.Utilization != nil {
				target["averageUtilization"] = float64(*m.Utilization)
			}
			if m.Value != "" {
				target["averageValue"] = m.Value
			}
			ms[i] = map[string]any{"type": "Resource", "resource": map[string]any{"name": m.Name, "target": target}}
		}
		spec["metrics"] = ms
	}
	return &catalog.LiveObject{Object: map[string]any{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
		"metadata": md, "spec": spec}, Manager: a.Manager, ChangedAt: a.ChangedAt}
}

// mainContainer is the container whose version the workload is known by: the one named like the workload or its
// service, else the first.
func mainContainer(w *workload) container {
	for _, name := range []string{w.Name, w.Service, w.Label} {
		for _, c := range w.Containers {
			if name != "" && c.Name == name {
				return c
			}
		}
	}
	if len(w.Containers) > 0 {
		return w.Containers[0]
	}
	return container{}
}

// ImageVersion is the version an image reference names: its tag, else a short form of its digest, else "latest"
// (what a reference without either pulls).
//
//	registry.example:5000/team/api:1.4.2            → 1.4.2
//	registry.example/team/api:1.4.2@sha256:abc…     → 1.4.2
//	registry.example/team/api@sha256:0123456789abcd… → sha256:0123456789ab
//	nginx                                           → latest
func ImageVersion(image string) string {
	if image == "" {
		return ""
	}
	ref, digest, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	if digest != "" {
		algo, hex, ok := strings.Cut(digest, ":")
		if ok && len(hex) > 12 {
			hex = hex[:12]
		}
		return algo + ":" + hex
	}
	return "latest"
}

// health sums up a workload's replicas, worst first: no replicas wanted, none ready, a stalled rollout, a rollout
// under way, some replicas not ready, all well.
func health(w *workload) (string, string) {
	switch {
	case w.Desired == 0:
		return catalog.HealthScaledToZero, "no replicas desired"
	case w.Ready == 0:
		return catalog.HealthUnavailable, fmt.Sprintf("0 of %d replicas ready", w.Desired)
	case w.Stalled:
		return catalog.HealthDegraded, "rollout stalled: progress deadline exceeded"
	case w.Observed < w.Generation:
		return catalog.HealthProgressing, "the controller has not yet acted on the latest change"
	case w.Updated < w.Desired:
		return catalog.HealthProgressing, fmt.Sprintf("%d of %d replicas updated", w.Updated, w.Desired)
	case w.Ready < w.Desired:
		return catalog.HealthDegraded, fmt.Sprintf("%d of %d replicas ready", w.Ready, w.Desired)
	}
	return catalog.HealthHealthy, fmt.Sprintf("%d of %d replicas ready", w.Ready, w.Desired)
}
