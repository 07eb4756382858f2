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
	return catalog.Workload{Deployment: dp, CreatedAt: w.CreationTimestamp.Time, AnnotationService: w.Service,
		LabelService: w.Label}
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
