package kubetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Fake nodes are the nodes kwok keeps Ready: they carry this annotation.
const (
	KwokAnnotation = "kwok.x-k8s.io/node"
	KwokNode       = "kwok-node-0" // the fake node of every cluster WithControllers
	controllerWait = 90 * time.Second
)

// startControllers runs kube-controller-manager, kube-scheduler and kwok as the cluster's admin, adds the fake node
// and waits until a probe Pod was scheduled onto it and went Ready: then every part works.
func (c *Cluster) startControllers() error {
	kubeconfig := filepath.Join(c.dir, "admin.kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, UserAdmin); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	f := func(name string) string { return filepath.Join(c.dir, name) }
	kcm, err := c.spawn("kube-controller-manager", c.bins.ControllerManager,
		"--kubeconfig="+kubeconfig,
		// No HTTPS endpoint (nothing scrapes it) and no leader election (one instance): nothing to bind, nothing
		// to wait for.
		"--secure-port=0", "--leader-elect=false",
		"--controllers=*", "--cluster-name="+c.Name,
		// Every controller acts as the admin: no per-controller service accounts to bootstrap.
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+f("sa.key"), "--root-ca-file="+f("ca.crt"),
		"--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10",
	)
	if err != nil {
		return err
	}
	c.addCtrl(kcm)
	sched, err := c.spawn("kube-scheduler", c.bins.Scheduler, "--kubeconfig="+kubeconfig, "--secure-port=0",
		"--leader-elect=false")
	if err != nil {
		return err
	}
	c.addCtrl(sched)
	home := f("kwok-home") // kwok reads ~/.kwok/kwok.yaml when it exists: give it an empty home
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	kwok, err := c.spawnEnv("kwok", c.bins.Kwok, []string{"HOME=" + home},
		"--kubeconfig="+kubeconfig, "--config="+c.bins.KwokStages,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector="+KwokAnnotation+"=fake",
		"--cidr=10.244.0.0/16", "--node-ip=10.1.0.1", "--node-lease-duration-seconds=40",
	)
	if err != nil {
		return err
	}
	c.addCtrl(kwok)

	cs, err := c.Client(UserAdmin)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), controllerWait)
	defer cancel()
	if err := c.AddNode(ctx, KwokNode, nil); err != nil {
		return err
	}
	if err := c.probe(ctx, cs); err != nil {
		return fmt.Errorf("kubetest: controllers of cluster %s: %w\nkube-controller-manager:\n%s\nkube-scheduler:\n%s\nkwok:\n%s",
			c.Name, err, kcm.output(15), sched.output(15), kwok.output(15))
	}
	return nil
}

func (c *Cluster) addCtrl(p *proc) {
	c.mu.Lock()
	c.ctrl = append(c.ctrl, p)
	c.mu.Unlock()
}

// AddNode adds a fake node that kwok keeps Ready, with labels besides the usual ones. Pods scheduled onto it go
// Running and Ready at once.
func (c *Cluster) AddNode(ctx context.Context, name string, labels map[string]string) error {
	cs, err := c.Client(UserAdmin)
	if err != nil {
		return err
	}
	l := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"type": "kwok"}
	for k, v := range labels {
		l[k] = v
	}
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110")}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l,
		Annotations: map[string]string{KwokAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kubetest: add node %s: %w", name, err)
	}
	return nil
}

// probe creates a Pod in the default namespace and waits until it is Ready, then deletes it: that takes the
// service-account controller (the namespace's default ServiceAccount), the scheduler, kwok and its node.
func (c *Cluster) probe(ctx context.Context, cs *kubernetes.Clientset) error {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "kubetest-probe"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "probe", Image: "registry.k8s.io/pause:3.10"}}}}
	var last string
	for {
		_, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			break
		}
		last = err.Error() // the default ServiceAccount does not exist until the controller made it
		select {
		case <-ctx.Done():
			return fmt.Errorf("probe pod not created: %s", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for {
		p, err := cs.CoreV1().Pods("default").Get(ctx, pod.Name, metav1.GetOptions{})
		if err == nil {
			last = fmt.Sprintf("phase %s on node %q", p.Status.Phase, p.Spec.NodeName)
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					var zero int64
					return cs.CoreV1().Pods("default").Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("probe pod not Ready after %v (%s)", controllerWait, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
