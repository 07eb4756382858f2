package kubetest

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Env holds the clusters of one test binary.
type Env struct {
	Bins Binaries
	root string

	mu       sync.Mutex
	clusters map[string]*Cluster
	starting map[string]chan struct{}
	errs     map[string]error
}

// Setup builds (or finds in the cache) kube-apiserver and etcd. Call it from TestMain before m.Run: a first build
// takes longer than go test's default timeout, which only starts counting in m.Run. An error says what is needed
// (network access to the module proxy); it is meant to fail the run, not to skip the tests.
func Setup() (*Env, error) { return setup(Build) }

// SetupControllers is Setup for tests of clusters started WithControllers: it builds kube-controller-manager,
// kube-scheduler and kwok too.
func SetupControllers() (*Env, error) { return setup(BuildControllers) }

func setup(build func() (Binaries, error)) (*Env, error) {
	bins, err := build()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "atrium-kubetest-")
	if err != nil {
		return nil, err
	}
	return &Env{Bins: bins, root: root, clusters: map[string]*Cluster{}, starting: map[string]chan struct{}{},
		errs: map[string]error{}}, nil
}

// Clusters returns the shared clusters of these names, starting those not running yet (in parallel). Tests that
// stop or restart a shared cluster's apiserver must leave it running as they found it.
func (e *Env) Clusters(t testing.TB, names ...string) []*Cluster {
	t.Helper()
	out := make([]*Cluster, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = e.shared(name, nil)
		}()
	}
	wg.Wait()
	for i, name := range names {
		if out[i] == nil {
			e.mu.Lock()
			err := e.errs[name]
			e.mu.Unlock()
			t.Fatalf("cluster %s: %v", name, err)
		}
	}
	return out
}

// Shared returns the shared cluster name, starting it with opts if it is not running yet (a cluster started
// earlier keeps the options it was started with).
func (e *Env) Shared(t testing.TB, name string, opts ...Option) *Cluster {
	t.Helper()
	c := e.shared(name, opts)
	if c == nil {
		e.mu.Lock()
		err := e.errs[name]
		e.mu.Unlock()
		t.Fatalf("cluster %s: %v", name, err)
	}
	return c
}

func (e *Env) shared(name string, opts []Option) *Cluster {
	e.mu.Lock()
	if c, ok := e.clusters[name]; ok {
		e.mu.Unlock()
		return c
	}
	if ch, ok := e.starting[name]; ok {
		e.mu.Unlock()
		<-ch
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.clusters[name]
	}
	ch := make(chan struct{})
	e.starting[name] = ch
	e.mu.Unlock()
	c, err := e.start(name, opts...)
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.starting, name)
	if err != nil {
		e.errs[name] = err
	} else {
		e.clusters[name] = c
	}
	close(ch)
	return c
}

// Fresh starts a cluster only this test uses; it is closed when the test ends.
func (e *Env) Fresh(t testing.TB, name string, opts ...Option) *Cluster {
	t.Helper()
	c, err := e.start(name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := errors.Join(c.Close(), os.RemoveAll(c.dir)); err != nil {
			t.Errorf("kubetest: close cluster %s: %v", name, err)
		}
	})
	return c
}

func (e *Env) start(name string, opts ...Option) (*Cluster, error) {
	dir, err := os.MkdirTemp(e.root, name+"-")
	if err != nil {
		return nil, err
	}
	return Start(e.Bins, dir, filepath.Base(name), opts...)
}

// Close stops every shared cluster and removes their files.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, c := range e.clusters {
		errs = append(errs, c.Close())
	}
	errs = append(errs, os.RemoveAll(e.root))
	return errors.Join(errs...)
}
