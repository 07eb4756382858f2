package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sphera/atrium/internal/catalog"
)

// The deploy gate as a Kubernetes validating admission webhook (docs/scorecards.md). A cluster's apiserver sends an
// AdmissionReview for each Deployment created or updated; the portal answers it with the gate's decision for the
// Deployment's service in the environment of the cluster the URL names, /api/v1/admission/deployments/{cluster}
// (the cluster registry says which). The cluster is a path segment because Kubernetes refuses webhook URLs with a
// query.
//
// Who may call it: the apiserver, authenticating with an Atrium token that holds gates:check (given to it in its
// admission configuration's kubeconfig, never in the webhook URL). The answer is only ever a yes or no for one
// Deployment, and the apiserver trusts the portal by the CA bundle it was given, not the other way round: a caller
// that forges a review learns what the gate endpoint tells any CI token, and changes nothing.
//
// Only a rollout is gated: creating a Deployment or changing its pod template. Scaling a Deployment of a service
// below the threshold, or any change to one the catalog does not know, is allowed (with a warning where it
// helps): the gate keeps new code out of production, it does not stand between an on-call engineer and a scale-up.

// maxAdmissionBody bounds an AdmissionReview (the apiserver's own request limit is 3 MiB per object, and a review
// may carry the object and the old one).
const maxAdmissionBody = 8 << 20

func (g *Gates) admission(w http.ResponseWriter, r *http.Request) {
	// Not DecodeJSON: a newer apiserver may send fields this build's k8s.io/api does not know.
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdmissionBody)).Decode(&review); err != nil {
		WriteError(w, r, g.Log, BadRequest("request body is not an AdmissionReview: "+err.Error()))
		return
	}
	if review.Request == nil {
		WriteError(w, r, g.Log, BadRequest("not an AdmissionReview request: \"request\" is missing"))
		return
	}
	resp := g.admit(r, review.Request)
	resp.UID = review.Request.UID
	WriteJSON(w, http.StatusOK, admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{
		APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Response: resp})
}

func (g *Gates) admit(r *http.Request, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	allow := func(warnings ...string) *admissionv1.AdmissionResponse {
		return &admissionv1.AdmissionResponse{Allowed: true, Warnings: warnings}
	}
	if req.Kind.Kind != "Deployment" || (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) {
		return allow()
	}
	var dep appsv1.Deployment
	if err := json.Unmarshal(req.Object.Raw, &dep); err != nil {
		return allow("atrium: the Deployment could not be read, so it was not gated: " + err.Error())
	}
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		var old appsv1.Deployment
		if json.Unmarshal(req.OldObject.Raw, &old) == nil && sameTemplate(old, dep) {
			return allow() // scaling, labels, annotations: not a rollout
		}
	}
	cluster := r.PathValue("cluster")
	env, err := g.environmentOf(r, cluster)
	if err != nil {
		g.Log.Warn("admission: cluster registry unreadable", "err", err)
		return allow("atrium: the portal could not read its cluster registry; not gated")
	}
	if env == "" {
		return allow(fmt.Sprintf("atrium: cluster %q is not in the portal's cluster registry; not gated", cluster))
	}
	claims, err := g.DB.Claims(r.Context())
	if err != nil {
		g.Log.Warn("admission: claims unreadable", "err", err)
	}
	cs := catalog.Claims{}
	for _, c := range claims {
		cs[catalog.WorkloadRef{Cluster: c.Cluster, Namespace: c.Namespace, Kind: c.Kind, Name: c.Name}] = c.Service
	}
	ns := dep.Namespace
	if ns == "" {
		ns = req.Namespace
	}
	svc, _ := cs.Service(catalog.WorkloadRef{Cluster: cluster, Namespace: ns, Kind: "Deployment", Name: dep.Name},
		dep.Annotations["atrium.sphera.io/service"], dep.Labels["app.kubernetes.io/name"])
	if svc == "" {
		return allow("atrium: the Deployment names no service (annotation atrium.sphera.io/service or label " +
			"app.kubernetes.io/name); not gated")
	}
	d, err := g.Gate.Decide(r.Context(), svc, env)
	if errors.Is(err, catalog.ErrNotFound) {
		return allow(fmt.Sprintf("atrium: service %q is not in the catalog; not gated", svc))
	}
	if err != nil {
		g.Log.Warn("admission: gate failed", "service", svc, "err", err)
		return allow("atrium: the deploy gate could not answer; not gated")
	}
	if d.Allowed {
		if d.Exception != nil {
			return allow("atrium: " + d.Reason)
		}
		return allow()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "atrium deploy gate: service %s may not be deployed to %s: score %d is below the threshold %g; "+
		"failing rules:", svc, env, d.Score, d.Threshold)
	for i, f := range d.Failing {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s (%s)", f.Rule, f.Message)
	}
	b.WriteString(". Fix them (the service's Scorecard says how) or ask an admin for an exception.")
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Status: metav1.StatusFailure,
		Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: b.String()}}
}

// environmentOf is the environment of a registered cluster, "" when it is not registered.
func (g *Gates) environmentOf(r *http.Request, cluster string) (string, error) {
	cs, err := g.DB.Clusters(r.Context())
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Name == cluster {
			return c.Environment, nil
		}
	}
	return "", nil
}

// sameTemplate reports whether an update leaves the pod template as it was (no rollout).
func sameTemplate(a, b appsv1.Deployment) bool {
	x, err1 := json.Marshal(a.Spec.Template)
	y, err2 := json.Marshal(b.Spec.Template)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
