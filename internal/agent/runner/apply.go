package runner

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/sphera/atrium/internal/agent"
)

// FieldManager is the agent's name in the managed fields of what it applies.
const FieldManager = "atrium-agent"

// kube applies work to one cluster with the agent's own credentials.
type kube struct {
	dyn    dynamic.Interface
	cs     kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	domain string // the cluster's DNS domain, for Services' URLs
	log    *slog.Logger
	// retry bounds how long an object is retried while the API server does not answer (or answers 5xx/429).
	retry time.Duration
}

func newKube(rc *rest.Config, domain string, log *slog.Logger) (*kube, error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &kube{dyn: dyn, cs: cs, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery())),
		domain: domain, log: log, retry: 2 * time.Minute}, nil
}

// object is one manifest of an item, resolved against the cluster's API.
type object struct {
	u       *unstructured.Unstructured
	ref     agent.ObjectRef
	gvr     schema.GroupVersionResource
	ns      bool     // namespaced
	sealed  bool     // travelled sealed: nothing of it is logged or reported but its name
	secrets []string // a sealed object's values, scrubbed from any message the API server sends back
	idx     int      // its place in the result's objects
}

func (o *object) client(k *kube) dynamic.ResourceInterface {
	if o.ns {
		return k.dyn.Resource(o.gvr).Namespace(o.ref.Namespace)
	}
	return k.dyn.Resource(o.gvr)
}

// do carries out an item: every manifest is first applied as a dry run, so that an item the API server refuses
// in part changes nothing; then applied for real, the deletions done, and the rollouts watched. It returns what
// happened; ctx ending (the agent stops, or loses the lease) stops it wherever it is.
func (k *kube) do(ctx context.Context, it agent.Item, sealed []objectSource) agent.Result {
	p := it.Payload
	var sources []objectSource
	for _, raw := range p.Apply {
		sources = append(sources, objectSource{raw: raw})
	}
	sources = append(sources, sealed...)
	res := agent.Result{Objects: []agent.ObjectResult{}}
	objs := make([]*object, 0, len(sources))
	refused := false
	for i, src := range sources {
		o, kerr := k.resolve(ctx, src, p.Namespace)
		o.idx = i
		r := agent.ObjectResult{ObjectRef: o.ref, Sealed: o.sealed}
		if kerr != nil {
			r.Action, r.Error, refused = agent.ActionRefused, kerr, true
		}
		res.Objects = append(res.Objects, r)
		objs = append(objs, o)
	}
	// Namespaces first, so that what goes into them can be applied; otherwise in the order given.
	order := append([]*object(nil), objs...)
	sort.SliceStable(order, func(i, j int) bool {
		return order[i].ref.Kind == "Namespace" && order[j].ref.Kind != "Namespace"
	})
	newNamespaces := map[string]bool{}
	for _, o := range order {
		if o.ref.Kind == "Namespace" && o.ref.APIVersion == "v1" {
			newNamespaces[o.ref.Name] = true
		}
	}

	// Dry run: the API server validates and admits every object without storing anything.
	for _, o := range order {
		r := &res.Objects[o.idx]
		if r.Action != "" {
			continue
		}
		_, err := k.apply(ctx, o, true)
		if err != nil && apierrors.IsNotFound(err) && o.ns && newNamespaces[o.ref.Namespace] {
			continue // its namespace is created by this item: checked for real after it
		}
		if err != nil {
			if ctx.Err() != nil {
				return res
			}
			r.Action, r.Error, refused = agent.ActionRefused, kubeError(err, o.secrets), true
		}
	}
	if refused {
		return skipRest(res, "the cluster refused part of this work; nothing was applied")
	}

	applied := map[*object]*unstructured.Unstructured{}
	for _, o := range order {
		r := &res.Objects[o.idx]
		before, err := k.get(ctx, o)
		if err == nil {
			var out *unstructured.Unstructured
			out, err = k.apply(ctx, o, false)
			if err == nil {
				r.Action = agent.ActionCreated
				if before != nil {
					r.Action = agent.ActionConfigured
					if before.GetResourceVersion() == out.GetResourceVersion() {
						r.Action = agent.ActionUnchanged
					}
				}
				r.URL = k.serviceURL(o, out)
				applied[o] = out
				k.log.Info("applied", "kind", o.ref.Kind, "namespace", o.ref.Namespace, "name", o.ref.Name,
					"result", r.Action, "work", it.ID)
				continue
			}
		}
		if ctx.Err() != nil {
			return res
		}
		r.Action, r.Error = agent.ActionRefused, kubeError(err, o.secrets)
		k.log.Warn("refused", "kind", o.ref.Kind, "namespace", o.ref.Namespace, "name", o.ref.Name, "work", it.ID,
			"reason", r.Error.Reason, "message", r.Error.Message)
		return skipRest(res, fmt.Sprintf("the cluster refused %s after the dry run accepted it; the objects before "+
			"it were applied", o.ref))
	}

	for _, ref := range p.Delete {
		r := agent.ObjectResult{ObjectRef: ref}
		if kerr := k.delete(ctx, &r, p.Namespace); kerr != nil {
			if ctx.Err() != nil {
				return res
			}
			r.Action, r.Error = agent.ActionRefused, kerr
			res.Objects = append(res.Objects, r)
			return skipRest(res, fmt.Sprintf("the cluster refused to delete %s", r.ObjectRef))
		}
		k.log.Info("deleted", "kind", ref.Kind, "namespace", r.Namespace, "name", ref.Name, "result", r.Action, "work", it.ID)
		res.Objects = append(res.Objects, r)
	}

	since := time.Now()
	deadline, cancel := context.WithTimeout(ctx, p.Timeout())
	defer cancel()
	for _, ref := range p.Wait {
		if ref.Namespace == "" {
			ref.Namespace = defaultNamespace(p.Namespace)
		}
		idx, generation := -1, int64(0)
		for o, out := range applied {
			if o.ref.Kind == ref.Kind && o.ref.Namespace == ref.Namespace && o.ref.Name == ref.Name {
				idx, generation = o.idx, out.GetGeneration()
			}
		}
		if idx < 0 { // not applied by this item: wait for it as it is
			res.Objects = append(res.Objects, agent.ObjectResult{ObjectRef: ref, Action: agent.ActionUnchanged})
			idx = len(res.Objects) - 1
		}
		target := &res.Objects[idx]
		target.Rollout = k.rollout(deadline, ctx, ref, generation, since)
		if ctx.Err() != nil {
			return res
		}
		k.log.Info("rollout", "namespace", ref.Namespace, "name", ref.Name, "status", target.Rollout.Status,
			"seconds", target.Rollout.Seconds, "work", it.ID)
		if target.Rollout.Status != agent.RolloutAvailable && res.Message == "" {
			res.Message = fmt.Sprintf("the rollout of %s did not become available: %s", ref, target.Rollout.Message)
		}
	}
	return res
}

// skipRest marks every object not yet handled as skipped and says why the item failed.
func skipRest(res agent.Result, msg string) agent.Result {
	var which []string
	for i := range res.Objects {
		o := &res.Objects[i]
		if o.Action == "" {
			o.Action = agent.ActionSkipped
		}
		if o.Action == agent.ActionRefused {
			w := o.ObjectRef.String()
			if o.Error != nil {
				w += ": " + o.Error.Message
			}
			which = append(which, w)
		}
	}
	res.Message = msg
	if len(which) > 0 {
		res.Message += " (" + strings.Join(which, "; ") + ")"
	}
	return res
}

// objectSource is one manifest and whether it travelled sealed.
type objectSource struct {
	raw    []byte
	sealed bool
}

// resolve decodes a manifest and finds its resource in the cluster's API; the error is the refusal to report.
func (k *kube) resolve(ctx context.Context, src objectSource, namespace string) (*object, *agent.KubeError) {
	o := &object{u: &unstructured.Unstructured{}, sealed: src.sealed}
	if err := o.u.UnmarshalJSON(src.raw); err != nil {
		ref, _ := agent.CheckManifest(src.raw)
		o.ref = ref
		return o, &agent.KubeError{Status: 400, Reason: "BadRequest", Message: "not a Kubernetes object: " + err.Error()}
	}
	if o.sealed {
		o.secrets = secretValues(o.u)
	}
	// What a manifest must not carry into an apply: server-set fields.
	for _, f := range []string{"resourceVersion", "uid", "managedFields", "creationTimestamp", "generation", "selfLink"} {
		unstructured.RemoveNestedField(o.u.Object, "metadata", f)
	}
	gvk := o.u.GroupVersionKind()
	o.ref = agent.ObjectRef{APIVersion: o.u.GetAPIVersion(), Kind: o.u.GetKind(), Namespace: o.u.GetNamespace(), Name: o.u.GetName()}
	var m *meta.RESTMapping
	err := k.retrying(ctx, func() error { // discovery reaches the API server the first time
		var err error
		m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			k.mapper.Reset() // a resource added since discovery was cached (a CRD)
			m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		return err
	})
	if err != nil {
		if meta.IsNoMatchError(err) {
			return o, &agent.KubeError{Status: 404, Reason: "NotFound",
				Message: fmt.Sprintf("the cluster serves no kind %s in %s", gvk.Kind, gvk.GroupVersion())}
		}
		return o, kubeError(err, nil)
	}
	o.gvr = m.Resource
	o.ns = m.Scope.Name() == meta.RESTScopeNameNamespace
	if o.ns && o.ref.Namespace == "" {
		o.ref.Namespace = defaultNamespace(namespace)
		o.u.SetNamespace(o.ref.Namespace)
	}
	if !o.ns {
		o.ref.Namespace = ""
		o.u.SetNamespace("")
	}
	return o, nil
}

func defaultNamespace(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// apply applies o with server-side apply (dry run or for real), retrying while the API server is unavailable.
// Force: the portal's manifests are the declared state of the fields they set, so a field another manager changed
// (kubectl edit, an old client-side apply) is taken back rather than reported as a conflict; fields the manifest
// does not set stay with their managers (an HPA's replicas when the manifest has none).
func (k *kube) apply(ctx context.Context, o *object, dryRun bool) (*unstructured.Unstructured, error) {
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var out *unstructured.Unstructured
	err := k.retrying(ctx, func() error {
		var err error
		out, err = o.client(k).Apply(ctx, o.ref.Name, o.u, opts)
		return err
	})
	return out, err
}

// get returns o as it is in the cluster, or nil when it does not exist.
func (k *kube) get(ctx context.Context, o *object) (*unstructured.Unstructured, error) {
	var out *unstructured.Unstructured
	err := k.retrying(ctx, func() error {
		var err error
		out, err = o.client(k).Get(ctx, o.ref.Name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return out, err
}

// delete deletes the object r names (in the background: its dependents follow); gone already is absent.
func (k *kube) delete(ctx context.Context, r *agent.ObjectResult, namespace string) *agent.KubeError {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return &agent.KubeError{Status: 400, Reason: "BadRequest", Message: err.Error()}
	}
	o, kerr := k.resolve(ctx, objectSource{raw: []byte(fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"metadata":{"name":%q,"namespace":%q}}`,
		gv.String(), r.Kind, r.Name, r.Namespace))}, namespace)
	r.ObjectRef = o.ref
	if kerr != nil {
		return kerr
	}
	bg := metav1.DeletePropagationBackground
	err = k.retrying(ctx, func() error {
		return o.client(k).Delete(ctx, o.ref.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
	})
	switch {
	case apierrors.IsNotFound(err):
		r.Action = agent.ActionAbsent
	case err != nil:
		return kubeError(err, nil)
	default:
		r.Action = agent.ActionDeleted
	}
	return nil
}

// retrying calls f until it succeeds, fails with an answer that will not change (a refusal), ctx ends, or the API
// server has been unavailable for k.retry.
func (k *kube) retrying(ctx context.Context, f func() error) error {
	give := time.Now().Add(k.retry)
	wait := 200 * time.Millisecond
	for {
		err := f()
		if err == nil || !transient(err) || time.Now().After(give) {
			return err
		}
		k.log.Warn("the cluster's API server did not answer; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// transient reports whether err may go away by itself: the API server is unreachable, overloaded or failing.
func transient(err error) bool {
	if apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset")
}

// kubeError is the API server's refusal as reported: status, reason, message and the fields at fault. Any value of
// a sealed object is scrubbed from it.
func kubeError(err error, secrets []string) *agent.KubeError {
	scrub := func(s string) string {
		for _, v := range secrets {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
		return s
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return &agent.KubeError{Status: 503, Reason: "Unavailable", Message: scrub("the cluster's API server did not answer: " + err.Error())}
	}
	st := status.Status()
	ke := &agent.KubeError{Status: int(st.Code), Reason: string(st.Reason), Message: scrub(st.Message)}
	if st.Details != nil {
		for _, c := range st.Details.Causes {
			ke.Causes = append(ke.Causes, agent.Cause{Field: scrub(c.Field), Type: string(c.Type), Message: scrub(c.Message)})
		}
	}
	if st.Code == 403 {
		ke.Message += " (the agent's RBAC in this cluster does not allow it: see docs/agent.md)"
	}
	return ke
}

// secretValues lists the values of a Secret's data and stringData, as given and decoded, longest first (so that
// a value is scrubbed before a part of it).
func secretValues(u *unstructured.Unstructured) []string {
	var out []string
	for _, field := range []string{"data", "stringData"} {
		m, _, _ := unstructured.NestedStringMap(u.Object, field)
		for _, v := range m {
			if len(v) < 4 {
				continue // too short to scrub without mangling the message; and too short to be a secret
			}
			out = append(out, v)
			if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) >= 4 {
				out = append(out, string(b))
			} else if field == "stringData" {
				out = append(out, base64.StdEncoding.EncodeToString([]byte(v)))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// serviceURL is a Service's address inside the cluster: http(s)://NAME.NAMESPACE.svc.DOMAIN[:PORT] for its first
// port; "" for other objects.
func (k *kube) serviceURL(o *object, out *unstructured.Unstructured) string {
	if o.ref.Kind != "Service" || o.ref.APIVersion != "v1" {
		return ""
	}
	var svc corev1.Service
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(out.Object, &svc); err != nil || len(svc.Spec.Ports) == 0 {
		return ""
	}
	port := svc.Spec.Ports[0]
	scheme := "http"
	if port.Port == 443 || port.Name == "https" || strings.HasPrefix(port.Name, "https-") {
		scheme = "https"
	}
	host := fmt.Sprintf("%s.%s.svc.%s", svc.Name, svc.Namespace, k.domain)
	if (scheme == "http" && port.Port == 80) || (scheme == "https" && port.Port == 443) {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + strconv.Itoa(int(port.Port))
}

// rollout watches Deployment ref until its rollout of generation (or later) is complete — every replica updated
// and available, no old replica left — or its progress deadline passes, or deadline ends. It watches (a
// list-then-watch that survives a dropped watch), never polls.
func (k *kube) rollout(deadline, ctx context.Context, ref agent.ObjectRef, generation int64, since time.Time) *agent.Rollout {
	r := &agent.Rollout{Status: agent.RolloutTimeout}
	sel := fields.OneTermEqualSelector("metadata.name", ref.Name).String()
	deps := k.cs.AppsV1().Deployments(ref.Namespace)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return deps.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return deps.Watch(ctx, o)
		},
	}
	// Read it first, so that a Deployment that is not there, or that the agent may not read, fails at once.
	err := k.retrying(deadline, func() error {
		_, err := deps.Get(deadline, ref.Name, metav1.GetOptions{})
		return err
	})
	if err != nil {
		r.Status, r.Message, r.Seconds = agent.RolloutFailed, "cannot read the Deployment: "+kubeError(err, nil).Message,
			time.Since(since).Seconds()
		if apierrors.IsNotFound(err) {
			r.Message = "the Deployment does not exist"
		}
		return r
	}
	_, err = watchtools.UntilWithSync(deadline, lw, &appsv1.Deployment{}, nil, func(e watch.Event) (bool, error) {
		d, ok := e.Object.(*appsv1.Deployment)
		if !ok {
			return false, nil
		}
		if e.Type == watch.Deleted {
			r.Status, r.Message = agent.RolloutFailed, "the Deployment was deleted while its rollout was watched"
			return true, nil
		}
		done, failed, msg := rolloutState(d, generation)
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		r.Replicas, r.Updated, r.Available, r.Message = want, d.Status.UpdatedReplicas, d.Status.AvailableReplicas, msg
		switch {
		case failed:
			r.Status = agent.RolloutFailed
		case done:
			r.Status = agent.RolloutAvailable
		}
		return done || failed, nil
	})
	r.Seconds = time.Since(since).Seconds()
	if err != nil && r.Status == agent.RolloutTimeout {
		if ctx.Err() != nil {
			r.Message = "the agent stopped watching"
		} else {
			r.Message = fmt.Sprintf("not available after %v: %s", time.Since(since).Round(time.Second), r.Message)
		}
	}
	return r
}

// rolloutState reads a Deployment's status as kubectl rollout status does, requiring too that the controller saw
// generation: done when every replica is updated and available and no old one is left; failed when the progress
// deadline passed. msg says where it stands.
func rolloutState(d *appsv1.Deployment, generation int64) (done, failed bool, msg string) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	if st.ObservedGeneration < max(generation, d.Generation) {
		return false, false, "waiting for the deployment controller to see the new spec"
	}
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return false, true, fmt.Sprintf("progress deadline exceeded: %s", c.Message)
		}
	}
	switch {
	case st.UpdatedReplicas < want:
		return false, false, fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want)
	case st.Replicas > st.UpdatedReplicas:
		return false, false, fmt.Sprintf("%d old replicas are pending termination", st.Replicas-st.UpdatedReplicas)
	case st.AvailableReplicas < want:
		return false, false, fmt.Sprintf("%d of %d updated replicas are available", st.AvailableReplicas, want)
	}
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status != corev1.ConditionTrue {
			return false, false, "the Deployment is not Available yet: " + c.Message
		}
	}
	return true, false, fmt.Sprintf("%d of %d replicas available", st.AvailableReplicas, want)
}
