package kubetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Users of every test cluster, each with its own random bearer token.
const (
	UserAdmin    = "admin"          // system:masters
	UserReader   = "atrium-reader"  // RBAC: list and watch what Atrium reads, nothing else
	UserExpiring = "atrium-expiry"  // like the reader; RestartAPIServer(true) drops its token ("expires" it)
	UserNobody   = "atrium-nobody"  // authenticated, no RBAC grants: every list is forbidden
	UserAgent    = "atrium-agent"   // authenticated, no RBAC grants: tests give it the agent's Role (docs/agent.md)
	readerRole   = "atrium-reader"  // the ClusterRole Atrium needs (docs/kubernetes.md shows the same)
	apiReadyWait = 60 * time.Second // kube-apiserver answers /readyz in about 3 s when idle
)

// Cluster is a running etcd and kube-apiserver on loopback.
type Cluster struct {
	Name   string
	Server string // https://127.0.0.1:PORT
	CAPEM  []byte
	tokens map[string]string

	dir      string
	bins     Binaries
	etcdURL  string
	apiPort  int
	mu       sync.Mutex
	etcd     *proc
	api      *proc
	expiring bool // whether the running apiserver accepts UserExpiring's token

	controllers bool    // started WithControllers
	ctrl        []*proc // kube-controller-manager, kube-scheduler, kwok
	apiArgs     []string
}

// Option changes how a cluster starts.
type Option func(*Cluster)

// WithControllers also runs kube-controller-manager, kube-scheduler and kwok with one fake node, so that
// Deployments really roll out: ReplicaSets and Pods are made, Pods scheduled and made Running and Ready. It needs
// the binaries of BuildControllers (SetupControllers). Start returns once a probe Pod went Ready.
func WithControllers() Option { return func(c *Cluster) { c.controllers = true } }

// WithAPIServerArgs passes more flags to kube-apiserver (e.g. --admission-control-config-file).
func WithAPIServerArgs(args ...string) Option {
	return func(c *Cluster) { c.apiArgs = append(c.apiArgs, args...) }
}

// Token is the bearer token of user.
func (c *Cluster) Token(user string) string { return c.tokens[user] }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Start runs a new cluster in dir (which must exist and be empty): etcd, then kube-apiserver, then the RBAC that
// the users above rely on. It returns when the cluster answers /readyz.
func Start(bins Binaries, dir, name string, opts ...Option) (*Cluster, error) {
	c := &Cluster{Name: name, dir: dir, bins: bins, expiring: true, tokens: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	if c.controllers && !bins.HasControllers() {
		return nil, errors.New("kubetest: a cluster WithControllers needs the controllers' binaries: call " +
			"SetupControllers (or BuildControllers) instead of Setup")
	}
	for _, u := range users {
		c.tokens[u] = randomToken()
	}
	if err := c.writeCerts(); err != nil {
		return nil, fmt.Errorf("kubetest: certificates: %w", err)
	}
	// Ports are picked free, then bound by another process: something else (other packages' tests run in
	// parallel) may take one in between, so a start that finds its port taken is retried with new ones.
	err := retryPorts(c.startEtcd)
	if err == nil {
		err = retryPorts(func() error {
			port, err := freePort()
			if err != nil {
				return err
			}
			c.apiPort = port
			c.Server = "https://127.0.0.1:" + strconv.Itoa(port)
			return c.StartAPIServer()
		})
	}
	if err != nil {
		_ = c.Close() // the start error is the one to report
		return nil, err
	}
	if err := c.grantReader(); err != nil {
		_ = c.Close() // the RBAC error is the one to report
		return nil, fmt.Errorf("kubetest: RBAC for %s: %w", UserReader, err)
	}
	if c.controllers {
		if err := c.startControllers(); err != nil {
			_ = c.Close() // the controllers' error is the one to report
			return nil, err
		}
	}
	return c, nil
}

// users of every cluster, in the token file's order.
var users = []string{UserAdmin, UserReader, UserExpiring, UserNobody, UserAgent}

// writeCerts makes a CA, a serving certificate for 127.0.0.1 and a service-account signing key (ECDSA, fast to
// generate; no external tool needed).
func (c *Cluster) writeCerts() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: c.Name + "-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	c.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files := map[string][]byte{
		"ca.crt":     c.CAPEM,
		"server.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		"server.key": ecKeyPEM(srvKey),
		"sa.key":     ecKeyPEM(saKey),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func ecKeyPEM(k *ecdsa.PrivateKey) []byte {
	der, _ := x509.MarshalECPrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func (c *Cluster) startEtcd() error {
	if err := os.RemoveAll(filepath.Join(c.dir, "etcd")); err != nil { // a fresh member each attempt
		return err
	}
	client, err := freePort()
	if err != nil {
		return err
	}
	peer, err := freePort()
	if err != nil {
		return err
	}
	c.etcdURL = "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	p, err := c.spawn("etcd", c.bins.Etcd, "--name", c.Name, "--data-dir", filepath.Join(c.dir, "etcd"),
		"--listen-client-urls", c.etcdURL, "--advertise-client-urls", c.etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", c.Name+"="+peerURL, "--unsafe-no-fsync", "--log-level", "warn")
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.etcd = p
	c.mu.Unlock()
	return c.waitReady(p, c.etcdURL+"/health", "", func(body string) bool {
		return strings.Contains(body, `"health":"true"`)
	})
}

// StartAPIServer starts kube-apiserver (again) on the cluster's port and waits for /readyz; etcd keeps the data.
func (c *Cluster) StartAPIServer() error { return c.startAPIServer(true) }

// RestartAPIServer stops kube-apiserver and starts it again; expireToken drops UserExpiring's token from the token
// file, as if it had expired.
func (c *Cluster) RestartAPIServer(expireToken bool) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	return c.startAPIServer(!expireToken)
}

func (c *Cluster) startAPIServer(withExpiring bool) error {
	var lines []string
	for _, u := range users {
		if u == UserExpiring && !withExpiring {
			continue
		}
		groups := ""
		if u == UserAdmin {
			groups = `,"system:masters"`
		}
		lines = append(lines, fmt.Sprintf("%s,%s,%s%s", c.tokens[u], u, u, groups))
	}
	tokens := filepath.Join(c.dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	f := func(name string) string { return filepath.Join(c.dir, name) }
	p, err := c.spawn("kube-apiserver", c.bins.APIServer,
		"--etcd-servers="+c.etcdURL,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(c.apiPort), "--advertise-address=127.0.0.1",
		// The default reconciler refuses a loopback advertise address.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--token-auth-file="+tokens,
		"--tls-cert-file="+f("server.crt"), "--tls-private-key-file="+f("server.key"),
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+f("sa.key"),
		"--service-account-signing-key-file="+f("sa.key"),
		"--authorization-mode=RBAC",
		"--cert-dir="+f("certs"),
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.api, c.expiring = p, withExpiring
	c.mu.Unlock()
	return c.waitReady(p, c.Server+"/readyz", c.tokens[UserAdmin], func(body string) bool {
		return body == "ok"
	})
}

// StopAPIServer kills kube-apiserver, as a crash or a network cut would (etcd keeps running and keeps the data):
// the cluster becomes unreachable. A graceful stop waits for open watches for about ten seconds.
func (c *Cluster) StopAPIServer() error {
	c.mu.Lock()
	cmd := c.api
	c.api = nil
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Kill() // fails only if it exited already; done is closed either way
	<-cmd.done
	return nil
}

// Close stops the cluster. Its directory is left for the caller to remove.
func (c *Cluster) Close() error {
	c.mu.Lock()
	ctrl := c.ctrl
	c.ctrl = nil
	c.mu.Unlock()
	for _, p := range ctrl { // they keep no state: no need to let them shut down gracefully
		_ = p.Process.Kill() // fails only if it exited already; done is closed either way
		<-p.done
	}
	err := c.StopAPIServer()
	c.mu.Lock()
	etcd := c.etcd
	c.etcd = nil
	c.mu.Unlock()
	stop(etcd)
	return err
}

// proc is a running server.
type proc struct {
	*exec.Cmd
	name     string
	log      string
	logStart int64         // where this run's output begins in log
	done     chan struct{} // closed once it has exited
}

// output is what this run of the server has logged, its last lines.
func (p *proc) output(lines int) string {
	b, _ := os.ReadFile(p.log)
	if int64(len(b)) >= p.logStart {
		b = b[p.logStart:]
	}
	return tail(string(b), lines)
}

// errPortTaken is returned when a server could not bind the port it was given.
var errPortTaken = errors.New("port taken")

func retryPorts(start func() error) error {
	var err error
	for range 5 {
		if err = start(); !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return err
}

// stop asks a server to stop and kills it if it has not within ten seconds. Signal and Kill fail only for a
// process that exited already; done is closed either way.
func stop(p *proc) {
	if p == nil {
		return
	}
	_ = p.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.Process.Kill()
		<-p.done
	}
}

// spawn starts a server with its output in DIR/NAME.log.
func (c *Cluster) spawn(name, bin string, args ...string) (*proc, error) {
	return c.spawnEnv(name, bin, nil, args...)
}

// spawnEnv is spawn with env added to the environment.
func (c *Cluster) spawnEnv(name, bin string, env []string, args ...string) (*proc, error) {
	path := filepath.Join(c.dir, name+".log")
	log, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	start, _ := log.Seek(0, io.SeekEnd)
	if name == "kube-apiserver" {
		args = append(args, c.apiArgs...) // WithAPIServerArgs
	}
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close() // the start error is the one to report
		return nil, fmt.Errorf("kubetest: start %s: %w", name, err)
	}
	p := &proc{Cmd: cmd, name: name, log: path, logStart: start, done: make(chan struct{})}
	// How the server ended shows in its log (output); the log file is written by the server, not through this
	// handle, so closing it loses nothing.
	go func() { _ = cmd.Wait(); _ = log.Close(); close(p.done) }()
	return p, nil
}

// waitReady polls url until ok accepts the body, the server exits, or apiReadyWait passes; failures quote the end
// of the server's log.
func (c *Cluster) waitReady(p *proc, url, token string, ok func(string) bool) error {
	ca := x509.NewCertPool()
	ca.AppendCertsFromPEM(c.CAPEM)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca}}}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(apiReadyWait)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if resp, err := hc.Do(req); err == nil {
			b := make([]byte, 512)
			n, _ := resp.Body.Read(b)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && ok(strings.TrimSpace(string(b[:n]))) {
				return nil
			}
		}
		select {
		case <-p.done:
			out := p.output(20)
			if strings.Contains(out, "address already in use") {
				return fmt.Errorf("kubetest: %s of cluster %s: %w", p.name, c.Name, errPortTaken)
			}
			return fmt.Errorf("kubetest: %s of cluster %s exited; end of its log:\n%s", p.name, c.Name, out)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop(p)
	return fmt.Errorf("kubetest: %s of cluster %s not ready after %v; end of its log:\n%s", p.name, c.Name,
		apiReadyWait, p.output(20))
}

// RESTConfig is a client configuration for user.
func (c *Cluster) RESTConfig(user string) *rest.Config {
	return &rest.Config{Host: c.Server, BearerToken: c.tokens[user], TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM},
		QPS: 200, Burst: 400}
}

// Client is a clientset for user.
func (c *Cluster) Client(user string) (*kubernetes.Clientset, error) {
	return kubernetes.NewForConfig(c.RESTConfig(user))
}

// WriteKubeconfig writes a kubeconfig for user to path, with one context named after the cluster.
func (c *Cluster) WriteKubeconfig(path, user string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.CAPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: c.tokens[user]}
	cfg.Contexts[c.Name] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: user}
	cfg.CurrentContext = c.Name
	return clientcmd.WriteToFile(*cfg, path)
}

// grantReader gives UserReader and UserExpiring list and watch on what Atrium reads.
func (c *Cluster) grantReader() error {
	cs, err := c.Client(UserAdmin)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: readerRole}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"},
			Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"},
			Verbs: []string{"list", "watch"}},
	}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: readerRole},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: readerRole},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: UserReader},
			{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: UserExpiring}}}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	return err
}

// Blackhole listens on loopback and accepts connections without ever answering: a cluster that times out. It
// returns its https URL and a function that closes it.
func Blackhole() (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	return "https://" + l.Addr().String(), func() {
		// A hole the test is done with: a close that fails leaves nothing behind to report.
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	}, nil
}
