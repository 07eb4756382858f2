// Package drift detects what differs between installations (docs/drift.md): a resource missing in an environment's
// region or cluster where its siblings exist (or where the portal created it), a resource that is live but declared
// nowhere, and a resource whose live state differs from its gitops declaration, field by field. Observed state
// comes from the collectors (AWS per region, Kubernetes per cluster); desired state from the portal's actions and
// the gitops repositories the GitHub collector syncs. A place that cannot be seen is unknown: nothing is concluded
// there, and what was found there before stays as it was.
//
// Detect is a pure function of its inputs, so that it is tested on tables and measured by benchmarks; Engine
// gathers the inputs, runs it on change and on a schedule, and stores the outcome.
package drift

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/drift/diff"
	"github.com/sphera/atrium/internal/drift/gitops"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
)

// ClusterView is a cluster as drift sees it: its workloads when Known, else why not.
type ClusterView struct {
	Name, Environment, Region string
	Known                     bool
	Reason                    string
	Workloads                 []catalog.Workload
}

// RegionView is an environment's AWS region: the services the collector lists there, and its last inventory (nil
// before the first listing).
type RegionView struct {
	Environment, Region string
	Services            []string
	Inventory           *awssrc.Inventory
}

func (r RegionView) key() string { return r.Environment + "/" + r.Region }

// known says whether service was listed completely in the last inventory, and why not.
func (r RegionView) known(service string) (bool, string) {
	if r.Inventory == nil {
		return false, "not listed yet"
	}
	if r.Inventory.Known(service) {
		return true, ""
	}
	if why := r.Inventory.Failed[service]; why != "" {
		return false, why
	}
	return false, service + " is not listed there"
}

// Manifest is a Kubernetes object a gitops repository declares, with the place its layout gives it.
type Manifest struct {
	gitops.Manifest
	// Repo, Head and Branch: the repository, the commit read, and the branch fixes propose changes to.
	Repo, Head, Branch string
	// Cluster, when set, is the one cluster it is for; else every cluster of Environment (and Region, if set).
	Cluster, Environment, Region string
	// Service is the layout's {service}, else the object's service annotation or name label.
	Service string
}

// Resource is an AWS resource that should exist: declared in Terraform (Source gitops) or created by the portal's
// actions (Source portal), or both.
type Resource struct {
	Type                                     string // catalog.DriftSQSQueue or catalog.DriftSNSTopic
	Name, Service, Team, Environment, Region string
	// Attrs are the declared attributes, by their Terraform names (visibility_timeout_seconds, fifo_queue, ...).
	Attrs map[string]string
	// Subscriptions are the queues the topic delivers to (names).
	Subscriptions []string
	Source        string
	DeclaredIn    string
	// Where the Terraform is (gitops), and the branch fixes propose changes to.
	Repo, Head, Branch, Path, TFType, Label string
	// Action is the action that created it (portal), for the fix that creates a missing copy the same way.
	Action *actions.Action
}

// Inputs are what one detection looks at.
type Inputs struct {
	Now       time.Time
	Clusters  []ClusterView
	Regions   []RegionView
	Manifests []Manifest
	Resources []Resource
	Secrets   []catalog.Secret
	// Owners maps services to their teams.
	Owners map[string]string
	// UnreadRepos are gitops repositories whose files could not be read (lower-case owner/name → why): their
	// declarations are unknown, so their items are kept and their clusters are not judged unmanaged.
	UnreadRepos map[string]string
	Rules       diff.Rules
	// Reapply are the environments where a fix may ask the cluster's agent to apply the declaration again.
	Reapply map[string]bool
	// Creatable says whether the portal's actions can create a resource in an environment's region.
	Creatable func(env, region string) bool
	// Proposals says whether the portal can open pull requests (it has a GitHub token): the pull_request fix
	// is offered only then.
	Proposals bool
	// Cache, when set, remembers comparisons between detections (the engine keeps one).
	Cache *DiffCache
}

// Evidence is what a detection knew of an item: the declaration and the live state, for the fixes.
type Evidence struct {
	Manifest *Manifest
	Resource *Resource
	// Sibling is a live copy of a missing AWS resource in another region, and its attributes.
	Sibling *awssrc.Queue
	Topic   *awssrc.Topic
	Fields  []diff.Field
	// Live is the live object (Kubernetes projection) of a changed or unmanaged item.
	Live map[string]any
	// ReplicasOwned: an autoscaler owns the workload's replicas (a re-apply leaves them out).
	ReplicasOwned bool
}

// Result is a detection's outcome.
type Result struct {
	Items    []catalog.DriftItem
	Status   catalog.DriftStatus
	Evidence map[string]*Evidence
	// Known says whether an item's place was seen (see store.DriftReplace.Known).
	Known func(catalog.DriftItem) bool
}

// Fields compared on Kubernetes objects: what the collector keeps of them (the kube transform's projection).
var (
	WorkloadFields = mustPaths("metadata.labels", "spec.replicas", "spec.template.spec.containers[*].image",
		"spec.template.spec.containers[*].resources")
	AutoscalerFields = mustPaths("metadata.labels", "spec.minReplicas", "spec.maxReplicas", "spec.scaleTargetRef",
		"spec.metrics")
)

func mustPaths(ss ...string) []diff.Path {
	out := make([]diff.Path, len(ss))
	for i, s := range ss {
		p, err := diff.ParsePath(s)
		if err != nil {
			panic(err)
		}
		out[i] = p
	}
	return out
}

// observedKinds are the Kubernetes kinds the collector observes; declarations of other kinds are not compared.
var observedKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"HorizontalPodAutoscaler": true}

// sqsAttributes maps Terraform's aws_sqs_queue attributes (and the portal's parameters) to SQS's attribute names.
var sqsAttributes = map[string]string{
	"visibility_timeout_seconds":  "VisibilityTimeout",
	"message_retention_seconds":   "MessageRetentionPeriod",
	"delay_seconds":               "DelaySeconds",
	"max_message_size":            "MaximumMessageSize",
	"receive_wait_time_seconds":   "ReceiveMessageWaitTimeSeconds",
	"fifo_queue":                  "FifoQueue",
	"content_based_deduplication": "ContentBasedDeduplication",
}

// snsAttributes maps aws_sns_topic's attributes to SNS's.
var snsAttributes = map[string]string{"fifo_topic": "FifoTopic", "display_name": "DisplayName"}

// booleanAttrs are attributes AWS leaves out when false.
var booleanAttrs = map[string]bool{"FifoQueue": true, "ContentBasedDeduplication": true, "FifoTopic": true}

// compareAll compares each declaration with its live object (none for those not live), through the cache, spreading
// the comparisons the cache does not hold over GOMAXPROCS goroutines. The answers are in the declarations' order.
func (d *detector) compareAll(declared []*Manifest, live map[string]liveEntry, ownedByDeclared map[string]bool) [][]diff.Field {
	out := make([][]diff.Field, len(declared))
	type job struct {
		i     int
		cfg   map[string]any
		l     liveEntry
		owned bool
	}
	var todo []job
	for i, m := range declared {
		key := kubeKey(m.Kind(), m.Namespace(), m.Name())
		l, ok := live[key]
		if !ok {
			continue
		}
		owned := l.owned || ownedByDeclared[key]
		if fields, ok := d.in.Cache.lookup(m.Object, l.obj.Object, owned); ok {
			out[i] = fields
			continue
		}
		cfg := m.Object
		if m.Kind() == "HorizontalPodAutoscaler" {
			cfg = resourceMetricsOnly(cfg)
		}
		todo = append(todo, job{i: i, cfg: cfg, l: l, owned: owned})
	}
	run := func(j job) {
		m := declared[j.i]
		fields := AutoscalerFields
		if m.Kind() != "HorizontalPodAutoscaler" {
			fields = WorkloadFields
		}
		out[j.i] = diff.Diff(j.cfg, j.l.obj.Object, diff.Options{Ignore: d.in.Rules.For(m.Kind()), Only: fields,
			ReplicasOwned: j.owned})
	}
	workers := min(runtime.GOMAXPROCS(0), len(todo)/64+1) // a few comparisons are not worth a goroutine
	if workers <= 1 {
		for _, j := range todo {
			run(j)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan job)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					run(j)
				}
			}()
		}
		for _, j := range todo {
			next <- j
		}
		close(next)
		wg.Wait()
	}
	for _, j := range todo {
		d.in.Cache.store(declared[j.i].Object, j.l.obj.Object, j.owned, out[j.i])
	}
	return out
}

func kubeKey(kind, ns, name string) string { return kind + "\x00" + ns + "\x00" + name }

// detector holds one detection's state.
type detector struct {
	in       Inputs
	items    []catalog.DriftItem
	evidence map[string]*Evidence
	seen     map[string]bool
}

func (d *detector) add(it catalog.DriftItem, ev *Evidence) {
	if d.seen[it.ID] {
		return
	}
	d.seen[it.ID] = true
	if it.Team == "" && it.Service != "" {
		it.Team = d.in.Owners[it.Service]
	}
	if it.Fixes == nil {
		it.Fixes = []string{}
	}
	d.items = append(d.items, it)
	if ev != nil {
		d.evidence[it.ID] = ev
	}
}

// Detect finds every drift of in.
func Detect(in Inputs) Result {
	if in.Owners == nil {
		in.Owners = map[string]string{}
	}
	if in.Creatable == nil {
		in.Creatable = func(string, string) bool { return false }
	}
	d := &detector{in: in, evidence: map[string]*Evidence{}, seen: map[string]bool{}}
	st := catalog.DriftStatus{CheckedAt: in.Now, Places: []catalog.DriftPlace{},
		Declarations: len(in.Manifests) + len(in.Resources)}
	d.kubernetes(&st)
	d.aws(&st)
	d.secrets()
	in.Cache.done()
	sort.Slice(d.items, func(i, j int) bool { return d.items[i].ID < d.items[j].ID })
	return Result{Items: d.items, Status: st, Evidence: d.evidence, Known: knownFunc(in)}
}

// knownFunc says whether an item's place was seen in this detection: its cluster known, its region's service
// listed, its gitops repository read. A place no longer configured counts as seen (its items resolve).
func knownFunc(in Inputs) func(catalog.DriftItem) bool {
	clusters := map[string]ClusterView{}
	for _, c := range in.Clusters {
		clusters[c.Name] = c
	}
	regions := map[string]RegionView{}
	for _, r := range in.Regions {
		regions[r.key()] = r
	}
	return func(it catalog.DriftItem) bool {
		if it.Source == catalog.DriftFromGitOps && len(in.UnreadRepos) > 0 {
			repo, _, _ := strings.Cut(it.DeclaredIn, "@")
			if _, unread := in.UnreadRepos[strings.ToLower(repo)]; unread {
				return false
			}
		}
		if it.Cluster != "" {
			c, ok := clusters[it.Cluster]
			return !ok || c.Known
		}
		svc := map[string]string{catalog.DriftSQSQueue: awssrc.ServiceSQS, catalog.DriftSNSTopic: awssrc.ServiceSNS,
			catalog.DriftSecret: awssrc.ServiceSecretsManager}[it.ResourceType]
		r, ok := regions[it.Environment+"/"+it.Region]
		if !ok || svc == "" {
			return true
		}
		known, _ := r.known(svc)
		return known || !contains(r.Services, svc)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// liveEntry is a live Kubernetes object of a cluster.
type liveEntry struct {
	obj     *catalog.LiveObject
	service string
	owned   bool // an HPA targets it
}

func (d *detector) serviceOf(annotation, label string) string {
	if annotation != "" {
		return annotation
	}
	if _, ok := d.in.Owners[label]; ok {
		return label
	}
	return ""
}

func (d *detector) kubernetes(st *catalog.DriftStatus) {
	byCluster := map[string][]*Manifest{}
	byEnv := map[string][]*Manifest{}
	for i := range d.in.Manifests {
		m := &d.in.Manifests[i]
		if m.Cluster != "" {
			byCluster[m.Cluster] = append(byCluster[m.Cluster], m)
		} else if m.Environment != "" {
			byEnv[m.Environment] = append(byEnv[m.Environment], m)
		}
	}
	declaredFor := func(c ClusterView) []*Manifest {
		out := append([]*Manifest{}, byCluster[c.Name]...)
		for _, m := range byEnv[c.Environment] {
			if m.Region == "" || m.Region == c.Region {
				out = append(out, m)
			}
		}
		return out
	}
	unreadCovers := map[string]bool{} // clusters an unread gitops repository may declare for
	if len(d.in.UnreadRepos) > 0 {
		for _, c := range d.in.Clusters {
			unreadCovers[c.Name] = true
		}
	}
	lives := map[string]map[string]liveEntry{}
	covered := map[string]bool{}
	for _, c := range d.in.Clusters {
		place := catalog.DriftPlace{Environment: c.Environment, Region: c.Region, Cluster: c.Name, Kind: "kubernetes",
			State: catalog.DriftPlaceOK}
		if !c.Known {
			place.State, place.Reason = catalog.DriftPlaceUnknown, c.Reason
			st.Places = append(st.Places, place)
			continue
		}
		st.Places = append(st.Places, place)
		live := make(map[string]liveEntry, len(c.Workloads)*2)
		for _, w := range c.Workloads {
			dp := w.Deployment
			svc := d.serviceOf(w.AnnotationService, w.LabelService)
			if w.Live != nil {
				live[kubeKey(dp.Kind, dp.Namespace, dp.Name)] = liveEntry{obj: w.Live, service: svc, owned: w.AutoscalerLive != nil}
			}
			if w.AutoscalerLive != nil {
				md, _ := w.AutoscalerLive.Object["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				live[kubeKey("HorizontalPodAutoscaler", dp.Namespace, name)] = liveEntry{obj: w.AutoscalerLive, service: svc}
			}
		}
		lives[c.Name] = live
		declared := declaredFor(c)
		covered[c.Name] = len(declared) > 0
		keys := map[string]bool{}
		ownedByDeclared := map[string]bool{}
		for _, m := range declared {
			if m.Kind() != "HorizontalPodAutoscaler" {
				continue
			}
			spec, _ := m.Object["spec"].(map[string]any)
			ref, _ := spec["scaleTargetRef"].(map[string]any)
			k, _ := ref["kind"].(string)
			n, _ := ref["name"].(string)
			ownedByDeclared[kubeKey(k, m.Namespace(), n)] = true
		}
		// The declarations that count, and their comparisons with live made first, over every core: comparing is
		// nearly all of a detection's time, and each comparison stands alone.
		counted := make([]*Manifest, 0, len(declared))
		for _, m := range declared {
			if !observedKinds[m.Kind()] {
				continue
			}
			key := kubeKey(m.Kind(), m.Namespace(), m.Name())
			if keys[key] {
				continue // declared twice (two layouts): the first declaration counts
			}
			keys[key] = true
			counted = append(counted, m)
		}
		compared := d.compareAll(counted, live, ownedByDeclared)
		for i, m := range counted {
			key := kubeKey(m.Kind(), m.Namespace(), m.Name())
			l, ok := live[key]
			svc := m.Service
			if svc == "" {
				svc = l.service
			}
			resource := m.Kind() + " " + m.Namespace() + "/" + m.Name()
			declaredIn := fmt.Sprintf("%s@%s %s", m.Repo, short(m.Head), m.Path)
			if !ok {
				it := catalog.DriftItem{Kind: catalog.DriftMissing, Service: svc, Resource: resource,
					ResourceType: m.Kind(), Name: m.Name(), Namespace: m.Namespace(), Environment: c.Environment,
					Region: c.Region, Cluster: c.Name, Source: catalog.DriftFromGitOps, DeclaredIn: declaredIn,
					Summary: fmt.Sprintf("declared in %s %s, not in cluster %s", m.Repo, m.Path, c.Name)}
				it.ID = catalog.DriftID(it.Kind, it.ResourceType, it.Namespace, it.Name, it.Environment, it.Region, it.Cluster)
				if d.in.Reapply[c.Environment] {
					it.Fixes = []string{catalog.DriftFixReapply}
				}
				d.add(it, &Evidence{Manifest: m, ReplicasOwned: ownedByDeclared[key]})
				continue
			}
			diffs := compared[i]
			if len(diffs) == 0 {
				continue
			}
			it := catalog.DriftItem{Kind: catalog.DriftChanged, Service: svc, Resource: resource, ResourceType: m.Kind(),
				Name: m.Name(), Namespace: m.Namespace(), Environment: c.Environment, Region: c.Region, Cluster: c.Name,
				Source: catalog.DriftFromGitOps, DeclaredIn: declaredIn, Fields: driftFields(diffs),
				Summary: summary(diffs), LastChangedBy: l.obj.Manager, LastChangedAt: l.obj.ChangedAt}
			if d.in.Proposals {
				it.Fixes = append(it.Fixes, catalog.DriftFixPullRequest)
			}
			if d.in.Reapply[c.Environment] {
				it.Fixes = append(it.Fixes, catalog.DriftFixReapply)
			}
			it.ID = catalog.DriftID(it.Kind, it.ResourceType, it.Namespace, it.Name, it.Environment, it.Region, it.Cluster)
			d.add(it, &Evidence{Manifest: m, Fields: diffs, Live: l.obj.Object, ReplicasOwned: l.owned || ownedByDeclared[key]})
		}
		if !covered[c.Name] || unreadCovers[c.Name] {
			continue
		}
		for key, l := range live {
			if keys[key] {
				continue
			}
			kind, rest, _ := strings.Cut(key, "\x00")
			ns, name, _ := strings.Cut(rest, "\x00")
			it := catalog.DriftItem{Kind: catalog.DriftUnmanaged, Service: l.service, Resource: kind + " " + ns + "/" + name,
				ResourceType: kind, Name: name, Namespace: ns, Environment: c.Environment, Region: c.Region, Cluster: c.Name,
				Source: catalog.DriftFromGitOps, LastChangedBy: l.obj.Manager, LastChangedAt: l.obj.ChangedAt,
				Summary: fmt.Sprintf("live in cluster %s, declared in no gitops repository", c.Name)}
			it.ID = catalog.DriftID(it.Kind, it.ResourceType, it.Namespace, it.Name, it.Environment, it.Region, it.Cluster)
			d.add(it, &Evidence{Live: l.obj.Object})
		}
	}
	d.kubeSiblings(lives, covered)
}

// kubeSiblings reports a service's workload missing from a known cluster of an environment where it runs in
// another cluster — for clusters no gitops repository declares (where declarations say what belongs).
func (d *detector) kubeSiblings(lives map[string]map[string]liveEntry, covered map[string]bool) {
	byEnv := map[string][]ClusterView{}
	for _, c := range d.in.Clusters {
		if c.Known {
			byEnv[c.Environment] = append(byEnv[c.Environment], c)
		}
	}
	for env, cs := range byEnv {
		if len(cs) < 2 {
			continue
		}
		where := map[string][]string{} // key → clusters it runs in
		for _, c := range cs {
			for key, l := range lives[c.Name] {
				if l.service == "" || strings.HasPrefix(key, "HorizontalPodAutoscaler\x00") {
					continue
				}
				where[key] = append(where[key], c.Name)
			}
		}
		for _, c := range cs {
			if covered[c.Name] {
				continue
			}
			for key, in := range where {
				if _, ok := lives[c.Name][key]; ok {
					continue
				}
				kind, rest, _ := strings.Cut(key, "\x00")
				ns, name, _ := strings.Cut(rest, "\x00")
				var svc string
				var exists []string
				for _, other := range cs {
					if contains(in, other.Name) {
						exists = append(exists, fmt.Sprintf("%s/%s (%s)", env, other.Region, other.Name))
						svc = lives[other.Name][key].service
					}
				}
				sort.Strings(exists)
				it := catalog.DriftItem{Kind: catalog.DriftMissing, Service: svc, Resource: kind + " " + ns + "/" + name,
					ResourceType: kind, Name: name, Namespace: ns, Environment: env, Region: c.Region, Cluster: c.Name,
					Source: catalog.DriftFromSiblings, ExistsIn: exists,
					Summary: fmt.Sprintf("runs in %s; not in cluster %s", strings.Join(exists, ", "), c.Name)}
				it.ID = catalog.DriftID(it.Kind, it.ResourceType, it.Namespace, it.Name, it.Environment, it.Region, it.Cluster)
				d.add(it, nil)
			}
		}
	}
}

// resourceMetricsOnly is an autoscaler declaration whose metrics are only the Resource metrics (those the collector
// keeps), so that a Pods or External metric is not reported missing live.
func resourceMetricsOnly(obj map[string]any) map[string]any {
	spec, _ := obj["spec"].(map[string]any)
	ms, ok := spec["metrics"].([]any)
	if !ok {
		return obj
	}
	var keep []any
	for _, m := range ms {
		if mm, _ := m.(map[string]any); mm["type"] == "Resource" {
			keep = append(keep, m)
		}
	}
	if len(keep) == len(ms) {
		return obj
	}
	c := make(map[string]any, len(obj))
	for k, v := range obj {
		c[k] = v
	}
	s := make(map[string]any, len(spec))
	for k, v := range spec {
		s[k] = v
	}
	if len(keep) == 0 {
		delete(s, "metrics")
	} else {
		s["metrics"] = keep
	}
	c["spec"] = s
	return c
}

func driftFields(ds []diff.Field) []catalog.DriftField {
	out := make([]catalog.DriftField, len(ds))
	for i, f := range ds {
		out[i] = catalog.DriftField{Path: f.Path, Desired: f.Desired, Live: f.Live}
	}
	return out
}

func summary(ds []diff.Field) string {
	s := ds[0].String()
	if len(ds) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(ds)-1)
	}
	return s
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// liveAWS is a live queue or topic of a region.
type liveAWS struct {
	queue *awssrc.Queue
	topic *awssrc.Topic
}

func (l liveAWS) tags() map[string]string {
	if l.queue != nil {
		return l.queue.Tags
	}
	return l.topic.Tags
}

func awsKey(typ, name, env, region string) string {
	return typ + "\x00" + name + "\x00" + env + "\x00" + region
}

func (d *detector) aws(st *catalog.DriftStatus) {
	regions := map[string]RegionView{}
	byEnv := map[string][]RegionView{}
	live := map[string]liveAWS{}
	for _, r := range d.in.Regions {
		regions[r.key()] = r
		byEnv[r.Environment] = append(byEnv[r.Environment], r)
		place := catalog.DriftPlace{Environment: r.Environment, Region: r.Region, Kind: "aws", State: catalog.DriftPlaceOK}
		var why []string
		for _, svc := range r.Services {
			if ok, reason := r.known(svc); !ok {
				why = append(why, reason)
			}
		}
		if len(why) > 0 {
			place.State, place.Reason = catalog.DriftPlaceUnknown, strings.Join(why, "; ")
		}
		st.Places = append(st.Places, place)
		if r.Inventory == nil {
			continue
		}
		if r.Inventory.Known(awssrc.ServiceSQS) {
			for i := range r.Inventory.Queues {
				q := &r.Inventory.Queues[i]
				live[awsKey(catalog.DriftSQSQueue, q.Name, r.Environment, r.Region)] = liveAWS{queue: q}
			}
		}
		if r.Inventory.Known(awssrc.ServiceSNS) {
			for i := range r.Inventory.Topics {
				t := &r.Inventory.Topics[i]
				live[awsKey(catalog.DriftSNSTopic, t.Name, r.Environment, r.Region)] = liveAWS{topic: t}
			}
		}
	}
	knownFor := func(typ, env, region string) bool {
		r, ok := regions[env+"/"+region]
		if !ok {
			return false
		}
		svc := awssrc.ServiceSQS
		if typ == catalog.DriftSNSTopic {
			svc = awssrc.ServiceSNS
		}
		k, _ := r.known(svc)
		return k
	}
	// Declarations, merged: Terraform and the action that wrote it are one resource (Terraform's file wins, the
	// action is kept for creating copies).
	declared := map[string]*Resource{}
	var order []string
	coveredEnv := map[string]bool{}
	for i := range d.in.Resources {
		r := d.in.Resources[i]
		if r.Type != catalog.DriftSQSQueue && r.Type != catalog.DriftSNSTopic {
			continue
		}
		coveredEnv[r.Environment] = true
		k := awsKey(r.Type, r.Name, r.Environment, r.Region)
		if prev, ok := declared[k]; ok {
			if prev.Source != catalog.DriftFromGitOps && r.Source == catalog.DriftFromGitOps {
				r.Action = prev.Action
				declared[k] = &r
			} else if prev.Action == nil {
				prev.Action = r.Action
			}
			continue
		}
		declared[k] = &r
		order = append(order, k)
	}
	for _, k := range order {
		r := declared[k]
		if !knownFor(r.Type, r.Environment, r.Region) {
			continue
		}
		l, ok := live[k]
		resource := r.Type + " " + r.Name
		if !ok {
			it := catalog.DriftItem{Kind: catalog.DriftMissing, Service: r.Service, Team: r.Team, Resource: resource,
				ResourceType: r.Type, Name: r.Name, Environment: r.Environment, Region: r.Region, Source: r.Source,
				DeclaredIn: r.DeclaredIn}
			switch r.Source {
			case catalog.DriftFromGitOps:
				it.Summary = fmt.Sprintf("declared in %s %s, not in %s %s", r.Repo, r.Path, r.Environment, r.Region)
			default:
				it.Summary = fmt.Sprintf("created by %s in %s %s; not there any more", r.DeclaredIn, r.Environment, r.Region)
			}
			if r.Action != nil && d.in.Creatable(r.Environment, r.Region) {
				it.Fixes = []string{catalog.DriftFixCreate}
			}
			it.ID = catalog.DriftID(it.Kind, it.ResourceType, "", it.Name, it.Environment, it.Region, "")
			d.add(it, &Evidence{Resource: r})
			continue
		}
		diffs := compareAWS(r, l)
		if len(diffs) == 0 {
			continue
		}
		it := catalog.DriftItem{Kind: catalog.DriftChanged, Service: r.Service, Team: r.Team, Resource: resource,
			ResourceType: r.Type, Name: r.Name, Environment: r.Environment, Region: r.Region, Source: r.Source,
			DeclaredIn: r.DeclaredIn, Fields: driftFields(diffs), Summary: summary(diffs)}
		if l.queue != nil {
			it.LastChangedAt = l.queue.ModifiedAt
		}
		if r.Source == catalog.DriftFromGitOps && r.Path != "" && d.in.Proposals {
			it.Fixes = []string{catalog.DriftFixPullRequest}
		}
		it.ID = catalog.DriftID(it.Kind, it.ResourceType, "", it.Name, it.Environment, it.Region, "")
		d.add(it, &Evidence{Resource: r, Fields: diffs})
	}
	// Live and declared nowhere, in an environment where the portal or Terraform declares such resources.
	var liveKeys []string
	for k := range live {
		liveKeys = append(liveKeys, k)
	}
	sort.Strings(liveKeys)
	for _, k := range liveKeys {
		if _, ok := declared[k]; ok {
			continue
		}
		parts := strings.Split(k, "\x00")
		typ, name, env, region := parts[0], parts[1], parts[2], parts[3]
		if !coveredEnv[env] {
			continue
		}
		l := live[k]
		svc := l.tags()["atrium:service"]
		it := catalog.DriftItem{Kind: catalog.DriftUnmanaged, Service: svc, Team: l.tags()["atrium:team"],
			Resource: typ + " " + name, ResourceType: typ, Name: name, Environment: env, Region: region,
			Source:  catalog.DriftFromPortal,
			Summary: fmt.Sprintf("live in %s %s, declared neither in Terraform nor by a portal action", env, region)}
		if l.queue != nil {
			it.LastChangedAt = l.queue.ModifiedAt
		}
		it.ID = catalog.DriftID(it.Kind, it.ResourceType, "", it.Name, it.Environment, it.Region, "")
		d.add(it, &Evidence{Sibling: l.queue, Topic: l.topic})
	}
	// Siblings: a service's queue or topic (tagged, or created by the portal) that exists in some regions of an
	// environment and not in another region of it that was listed. Where Terraform declares it, the repository
	// says which regions it belongs in, not its siblings.
	type group struct {
		typ, name, env, service, team string
		in                            map[string]liveAWS
		action                        *actions.Action
		gitops                        bool
	}
	groups := map[string]*group{}
	for _, k := range liveKeys {
		parts := strings.Split(k, "\x00")
		l := live[k]
		svc := l.tags()["atrium:service"]
		r := declared[k]
		if svc == "" && r != nil {
			svc = r.Service
		}
		if svc == "" {
			continue
		}
		gk := parts[0] + "\x00" + parts[1] + "\x00" + parts[2]
		g := groups[gk]
		if g == nil {
			g = &group{typ: parts[0], name: parts[1], env: parts[2], service: svc, team: l.tags()["atrium:team"],
				in: map[string]liveAWS{}}
			groups[gk] = g
		}
		g.in[parts[3]] = l
		if r != nil && r.Action != nil && g.action == nil {
			g.action = r.Action
		}
		g.gitops = g.gitops || (r != nil && r.Source == catalog.DriftFromGitOps)
	}
	var gks []string
	for k := range groups {
		gks = append(gks, k)
	}
	sort.Strings(gks)
	for _, gk := range gks {
		g := groups[gk]
		if g.gitops {
			continue
		}
		var exists []string
		for region := range g.in {
			exists = append(exists, g.env+"/"+region)
		}
		sort.Strings(exists)
		for _, r := range byEnv[g.env] {
			if _, ok := g.in[r.Region]; ok || !knownFor(g.typ, r.Environment, r.Region) {
				continue
			}
			var sibling liveAWS
			for _, e := range exists {
				sibling = g.in[strings.TrimPrefix(e, g.env+"/")]
				break
			}
			it := catalog.DriftItem{Kind: catalog.DriftMissing, Service: g.service, Team: g.team,
				Resource: g.typ + " " + g.name, ResourceType: g.typ, Name: g.name, Environment: g.env, Region: r.Region,
				Source: catalog.DriftFromSiblings, ExistsIn: exists,
				Summary: fmt.Sprintf("exists in %s; not in %s %s", strings.Join(exists, ", "), g.env, r.Region)}
			if d.in.Creatable(g.env, r.Region) {
				it.Fixes = []string{catalog.DriftFixCreate}
			}
			it.ID = catalog.DriftID(it.Kind, it.ResourceType, "", it.Name, it.Environment, it.Region, "")
			ev := &Evidence{Sibling: sibling.queue, Topic: sibling.topic}
			if g.action != nil {
				ev.Resource = &Resource{Type: g.typ, Name: g.name, Service: g.service, Environment: g.env,
					Region: r.Region, Action: g.action}
			}
			d.add(it, ev)
		}
	}
}

// compareAWS lists the declared attributes (and subscriptions) a live queue or topic does not have.
func compareAWS(r *Resource, l liveAWS) []diff.Field {
	var out []diff.Field
	names, attrs := snsAttributes, map[string]string(nil)
	if l.queue != nil {
		names, attrs = sqsAttributes, l.queue.Attributes
	} else {
		attrs = l.topic.Attributes
	}
	var keys []string
	for k := range r.Attrs {
		if _, ok := names[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := r.Attrs[k]
		got, ok := attrs[names[k]]
		if !ok && booleanAttrs[names[k]] {
			got, ok = "false", true
		}
		if ok && strings.EqualFold(got, want) {
			continue
		}
		f := diff.Field{Path: k, Desired: want, Live: got, DesiredValue: want, LiveValue: got}
		if !ok {
			f.Live, f.LiveValue = diff.Absent, nil
		}
		out = append(out, f)
	}
	if l.topic != nil {
		have := map[string]bool{}
		for _, s := range l.topic.Subscriptions {
			if s.Protocol == "sqs" {
				have[s.Endpoint[strings.LastIndex(s.Endpoint, ":")+1:]] = true
			}
		}
		subs := append([]string{}, r.Subscriptions...)
		sort.Strings(subs)
		for _, q := range subs {
			if !have[q] {
				out = append(out, diff.Field{Path: "subscriptions[sqs:" + q + "]", Desired: "subscribed", Live: diff.Absent,
					DesiredValue: "subscribed"})
			}
		}
	}
	return out
}

// secrets reports the places a secret should exist and does not (the secrets' metadata computes them from the
// conventions and from where the secret exists), where the place was seen.
func (d *detector) secrets() {
	regions := map[string]RegionView{}
	for _, r := range d.in.Regions {
		regions[r.key()] = r
	}
	for _, s := range d.in.Secrets {
		var exists []string
		for _, l := range s.Locations {
			exists = append(exists, l.Environment+"/"+l.Region)
		}
		sort.Strings(exists)
		exists = dedupe(exists)
		for _, p := range s.Missing {
			if p.Backend == catalog.SecretBackendAWS {
				if r, ok := regions[p.Environment+"/"+p.Region]; ok {
					if known, _ := r.known(awssrc.ServiceSecretsManager); !known {
						continue
					}
				}
			}
			it := catalog.DriftItem{Kind: catalog.DriftMissing, Service: s.Service, Team: s.Team,
				Resource: "secret " + s.Name, ResourceType: catalog.DriftSecret, Name: s.Name, Namespace: p.Namespace,
				Environment: p.Environment, Region: p.Region, Cluster: p.Cluster, Source: catalog.DriftFromSiblings,
				ExistsIn: exists}
			it.Summary = fmt.Sprintf("missing in %s: set it with atrium secrets set %s %s --env %s", p, s.Service, s.Name,
				p.Environment)
			if len(exists) > 0 {
				it.Summary = fmt.Sprintf("exists in %s; missing in %s", strings.Join(exists, ", "), p)
			}
			it.ID = catalog.DriftID(it.Kind, it.ResourceType, s.Service, s.Name, it.Environment, it.Region, it.Cluster)
			d.add(it, nil)
		}
	}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
