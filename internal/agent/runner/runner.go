// Package runner is `atrium agent`: the process that runs inside a cluster (or, in tests, beside it with a
// kubeconfig), pulls its cluster's work from the portal over an outbound long poll, applies it with server-side
// apply under its own RBAC, watches the rollouts, and reports. The portal's side is package agent.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/agent"
)

// Options configure an agent.
type Options struct {
	Portal  string // the portal's URL
	Token   string // an API token scoped agent:work:CLUSTER
	Cluster string // the cluster's name in the portal

	// Kubeconfig and Context select the cluster's credentials; with no Kubeconfig the agent uses its in-cluster
	// service account.
	Kubeconfig string
	Context    string
	// KeyFile holds the agent's key pair (default outside a cluster: $XDG_STATE_HOME/atrium/agent-CLUSTER.key);
	// KeySecret ("NAMESPACE/NAME") holds it in a Kubernetes Secret instead (default inside a cluster: the agent's
	// namespace/atrium-agent-key). Work sealed to a key can only be opened with it.
	KeyFile   string
	KeySecret string
	// ClusterDomain is the cluster's DNS domain, for Services' URLs (default cluster.local).
	ClusterDomain string
	// Wait is the long poll's length (default 50 s; the portal holds at most its max_wait_seconds).
	Wait    time.Duration
	AgentID string // default: $POD_NAME, else the host name
	Version string
	Log     *slog.Logger
	// HTTP is the client for the portal (default: one with a 90 s timeout).
	HTTP *http.Client
}

// serviceAccountDir is where Kubernetes mounts a pod's service account.
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

func (o *Options) check() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"--portal", o.Portal}, {"--token", o.Token}, {"--cluster", o.Cluster}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("atrium agent needs %s", strings.Join(missing, ", "))
	}
	if !agent.ValidCluster(o.Cluster) {
		return fmt.Errorf("--cluster %q is not a cluster name (lower-case letters, digits and -)", o.Cluster)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = "cluster.local"
	}
	if o.Wait <= 0 {
		o.Wait = 50 * time.Second
	}
	if o.AgentID == "" {
		o.AgentID = os.Getenv("POD_NAME")
	}
	if o.AgentID == "" {
		o.AgentID, _ = os.Hostname()
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	return nil
}

// restConfig is the cluster's client configuration: the kubeconfig's, or the pod's service account.
func (o *Options) restConfig() (*rest.Config, error) {
	if o.Kubeconfig == "" {
		rc, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("not running in a cluster (%w): give --kubeconfig", err)
		}
		return rc, nil
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: o.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: o.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", o.Kubeconfig, err)
	}
	return rc, nil
}

// runner is one agent.
type runner struct {
	o        Options
	kube     *kube
	keys     agent.KeyPair
	portal   *client.Client
	settings agent.Settings
	log      *slog.Logger
}

// Run runs the agent until ctx ends (then it returns nil): hello, then long polls, each item applied and reported.
// The portal being unreachable is waited out with backoff; a token the portal refuses (401, 403) ends the agent
// with an error, as nothing would change by retrying.
func Run(ctx context.Context, o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	rc, err := o.restConfig()
	if err != nil {
		return err
	}
	rc.UserAgent = "atrium-agent/" + o.Version
	if rc.QPS == 0 {
		// client-go's default (5 per second, bursts of 10) makes an item of a dozen objects — each read, dry-run
		// applied and applied — wait on the client's own limiter; the API server's fairness still applies.
		rc.QPS, rc.Burst = 50, 100
	}
	log := o.Log.With("cluster", o.Cluster)
	k, err := newKube(rc, o.ClusterDomain, log)
	if err != nil {
		return err
	}
	r := &runner{o: o, kube: k, log: log, portal: client.New(o.Portal, o.Token)}
	if o.HTTP != nil {
		r.portal.HTTP = o.HTTP
	}
	if r.keys, err = r.loadKey(ctx); err != nil {
		return err
	}
	kubeVersion := "unknown"
	if v, err := k.cs.Discovery().ServerVersion(); err == nil {
		kubeVersion = v.GitVersion
	} else {
		log.Warn("cannot read the cluster's version", "err", err)
	}
	hello := agent.Hello{AgentID: o.AgentID, Version: o.Version, KubeVersion: kubeVersion, PublicKey: r.keys.Public.String()}
	if err := r.retry(ctx, "say hello to the portal", func() error {
		var err error
		r.settings, err = r.portal.AgentHello(ctx, o.Cluster, hello)
		return err
	}); err != nil {
		return err
	}
	log.Info("agent connected to the portal", "portal", o.Portal, "agent", o.AgentID, "key", r.keys.Public.ID(),
		"kube", kubeVersion, "lease_seconds", r.settings.LeaseSeconds)
	wait := o.Wait
	if m := time.Duration(r.settings.MaxWaitSeconds) * time.Second; m > 0 && wait > m {
		wait = m
	}
	for ctx.Err() == nil {
		var it agent.Item
		var got bool
		err := r.retry(ctx, "poll the portal for work", func() error {
			var err error
			it, got, err = r.portal.AgentNext(ctx, o.Cluster, wait)
			return err
		})
		if err != nil {
			return err
		}
		if got {
			r.work(ctx, it)
		}
	}
	log.Info("agent stopped")
	return nil
}

func (r *runner) loadKey(ctx context.Context) (agent.KeyPair, error) {
	o := r.o
	switch {
	case o.KeySecret != "":
		return keyFromSecret(ctx, r.kube.cs, o.KeySecret)
	case o.KeyFile != "":
		return keyFromFile(o.KeyFile)
	case o.Kubeconfig == "":
		ns, err := os.ReadFile(filepath.Join(serviceAccountDir, "namespace"))
		if err != nil {
			return agent.KeyPair{}, fmt.Errorf("the agent's namespace (to keep its key in a Secret): %w; give --key-secret", err)
		}
		return keyFromSecret(ctx, r.kube.cs, strings.TrimSpace(string(ns))+"/atrium-agent-key")
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return agent.KeyPair{}, fmt.Errorf("no home directory for the agent's key (%w): give --key-file", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return keyFromFile(filepath.Join(dir, "atrium", "agent-"+o.Cluster+".key"))
}

// fatal reports whether the portal refused the agent itself: its token is bad, revoked or not for this cluster.
func fatal(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden)
}

// retry calls f until it succeeds, backing off (with jitter, up to 30 s) while the portal cannot be reached or
// answers with a failure of its own; a refusal of the agent (fatal) or ctx ending stops it.
func (r *runner) retry(ctx context.Context, what string, f func() error) error {
	wait := 500 * time.Millisecond
	for {
		err := f()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return nil // stopping
		case fatal(err):
			return fmt.Errorf("%s: %w (check the agent's token: it needs the scope agent:work:%s)", what, err, r.o.Cluster)
		}
		d := wait/2 + rand.N(wait/2+1)
		var ae *client.APIError
		if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
			d = max(d, 5*time.Second)
		}
		r.log.Warn("cannot "+what+"; retrying", "err", err, "in", d.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// work carries out one leased item and reports it, renewing the lease meanwhile. When the agent stops or loses
// the lease it reports nothing: the lease runs out and the item is offered again (the work is idempotent).
func (r *runner) work(ctx context.Context, it agent.Item) {
	log := r.log.With("work", it.ID, "kind", it.Kind, "attempt", it.Attempts)
	log.Info("work leased", "apply", len(it.Payload.Apply), "sealed", it.Payload.Sealed != nil,
		"delete", len(it.Payload.Delete), "wait", len(it.Payload.Wait))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.renew(wctx, it, lost, cancel, log)
	}()
	res := r.do(wctx, it, log)
	cancel()
	<-renewed
	select {
	case <-lost:
		log.Warn("lease lost: another agent finishes this work; nothing reported")
		return
	default:
	}
	if ctx.Err() != nil {
		log.Info("stopping mid-work; the lease runs out and the work is offered again")
		return
	}
	var done agent.Item
	err := r.retry(ctx, "report work "+it.ID, func() error {
		var err error
		done, err = r.portal.AgentReport(ctx, r.o.Cluster, it.ID, it.LeaseID, res)
		var ae *client.APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			log.Warn("the portal no longer holds this agent's lease: nothing reported", "err", err)
			return nil
		}
		return err
	})
	if err != nil {
		log.Error("cannot report", "err", err)
		return
	}
	if done.ID != "" {
		log.Info("work reported", "state", done.State, "message", res.Message)
	}
}

// do opens the sealed part and applies the item.
func (r *runner) do(ctx context.Context, it agent.Item, log *slog.Logger) agent.Result {
	var sealed []objectSource
	if s := it.Payload.Sealed; s != nil {
		c, err := r.keys.Open(s)
		if err != nil {
			log.Warn("cannot open the sealed part", "err", err)
			return agent.Result{Objects: []agent.ObjectResult{}, Message: "sealed part: " + err.Error()}
		}
		for _, raw := range c.Apply {
			sealed = append(sealed, objectSource{raw: raw, sealed: true})
		}
		defer func() {
			for _, s := range sealed {
				clear(s.raw)
			}
		}()
	}
	return r.kube.do(ctx, it, sealed)
}

// renew keeps the lease of it while the work runs: every third of the lease. A lost lease (409) closes lost and
// cancels the work; other failures are retried at the next tick (the lease outlives two of them).
func (r *runner) renew(ctx context.Context, it agent.Item, lost chan struct{}, cancel func(), log *slog.Logger) {
	every := time.Duration(r.settings.LeaseSeconds) * time.Second / 3
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := r.portal.AgentRenew(ctx, r.o.Cluster, it.ID, it.LeaseID)
		var ae *client.APIError
		switch {
		case err == nil:
		case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusNotFound):
			close(lost)
			cancel()
			return
		case ctx.Err() == nil:
			log.Warn("cannot renew the lease; retrying", "err", err)
		}
	}
}
