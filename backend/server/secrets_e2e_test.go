//go:build integration

package server

// Secrets end to end on a team portal (docs/secrets.md): the portal's real process parts (Open, the API, the
// worker, the agent queue) on a real SQLite file, its log at debug level in a file, and real backends — AWS Secrets
// Manager emulated by kumo (one process per region) and a Kubernetes Secret written by the real cluster agent into
// a real kube-apiserver. Each test writes a unique value and then searches every file the processes wrote for it.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/api/apitest"
	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent/runner"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/secrets/awssm/kumotest"
	"github.com/sphera/atrium/internal/sources/kube/kubetest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

var kubeEnv *kubetest.Env

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if kubeEnv, err = kubetest.Setup(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	if err := kubeEnv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// secretsWorld is a team portal with secrets, served on loopback, and its users' tokens.
type secretsWorld struct {
	t      *testing.T
	dir    string // the portal's data directory: everything it writes, its log included
	s      *Server
	url    string
	hc     *http.Client
	tokens map[string]string
}

func newSecretsWorld(t *testing.T, sc *secrets.Config) *secretsWorld {
	t.Helper()
	dir := t.TempDir()
	logf, err := os.OpenFile(filepath.Join(dir, "portal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := logf.Close(); err != nil {
			t.Error(err)
		}
	})
	log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fc := FileConfig{Actions: actions.Config{Environments: map[string]actions.Environment{},
		Worker: actions.WorkerConfig{Poll: time.Second, Lease: 10 * time.Second}}, Secrets: sc}
	if err := fc.complete(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), Config{DataDir: dir, Demo: "on", File: fc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() }) // closed once more after a test closed it to read its files
	srv := httptest.NewServer(api.LogRequests(log, s.Handler()))
	t.Cleanup(srv.Close)
	w := &secretsWorld{t: t, dir: dir, s: s, url: srv.URL, tokens: map[string]string{},
		hc: &http.Client{Transport: apitest.Transport(t, nil), Timeout: 90 * time.Second}}
	for name, g := range map[string]auth.Grant{"dana": {Role: auth.RoleDeveloper, Team: "payments"},
		"pat": {Role: auth.RolePlatformApprover}} {
		tok, _, err := auth.Tokens{DB: s.DB.SQL()}.Create(context.Background(), auth.Token{Name: name, Subject: name,
			Grants: []auth.Grant{g}}, "")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = tok
	}
	return w
}

func (w *secretsWorld) do(method, path, token, body string, key string, out any) int {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, w.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// await follows action id until it is final.
func (w *secretsWorld) await(id string) actions.Action {
	w.t.Helper()
	var a actions.Action
	deadline := time.Now().Add(2 * time.Minute)
	for version := int64(0); ; {
		if st := w.do("GET", fmt.Sprintf("/api/v1/actions/%s?wait=20&version=%d", id, version), w.tokens["dana"], "", "", &a); st != 200 {
			w.t.Fatalf("follow %s: %d", id, st)
		}
		if a.State.Final() {
			return a
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("action %s still %s: %+v", id, a.State, a.History)
		}
		version = a.Version
	}
}

// serviceIn finds a demo service of team payments deployed in every region of env.
func (w *secretsWorld) serviceIn(env string, regions ...string) string {
	w.t.Helper()
	page, err := w.s.DB.ListServices(context.Background(), store.ServiceQuery{Owners: []string{"payments"}, Limit: 100})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, row := range page.Items {
		svc, err := w.s.DB.GetService(context.Background(), row.Name)
		if err != nil {
			w.t.Fatal(err)
		}
		have := map[string]bool{}
		for _, d := range svc.Deployments {
			if d.Environment == env {
				have[d.Region] = true
			}
		}
		all := true
		for _, r := range regions {
			all = all && have[r]
		}
		if all {
			return svc.Name
		}
	}
	w.t.Fatalf("no payments service deployed in %s %v", env, regions)
	return ""
}

func unique(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// scanFiles fails t for every file under dirs that holds one of values, as it is, in base64 or in hex.
func scanFiles(t *testing.T, values []string, dirs ...string) {
	t.Helper()
	n := 0
	for _, dir := range dirs {
		walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("read %s: %v", p, err)
				return nil
			}
			n++
			for _, v := range values {
				for _, f := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v))} {
					if bytes.Contains(b, []byte(f)) {
						t.Errorf("%s holds the value %q", p, v)
					}
				}
			}
			return nil
		})
		if walkErr != nil {
			t.Errorf("scan %s: %v", dir, walkErr)
		}
	}
	if n < 4 {
		t.Fatalf("scanned only %d files", n)
	}
}

// refusing is an AWS Secrets Manager endpoint that refuses every call (AccessDeniedException, as AWS answers a
// role without the permission) until fixed, then passes calls on to the real (emulated) region.
type refusing struct {
	fixed atomic.Bool
	to    *httputil.ReverseProxy
}

func (r *refusing) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.fixed.Load() {
		r.to.ServeHTTP(w, req)
		return
	}
	_, _ = io.Copy(io.Discard, req.Body) // the refusal does not depend on what was asked
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"AccessDeniedException","message":"User: arn:aws:iam::000000000000:role/atrium is not authorized to perform: secretsmanager:PutSecretValue"}`))
}

// TestSecretsOnAWSSecretsManager: a developer sets a production secret in two regions; it waits for a platform
// approver; once approved, eu-west-1 gets it and us-east-1 refuses (the portal's role lacks the permission there):
// the action fails saying exactly which region has the new version, and a retry — once the permission is fixed —
// writes only the rest. Then a rotation. The value reaches each region's Secrets Manager and no file the portal
// wrote: not the database, its WAL or SHM, not its debug log.
func TestSecretsOnAWSSecretsManager(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-access-key")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	eu, us := kumotest.Start(t), kumotest.Start(t)
	target, _ := url.Parse(us)
	gate := &refusing{to: httputil.NewSingleHostReverseProxy(target)}
	usFront := httptest.NewServer(gate)
	t.Cleanup(usFront.Close)
	sc := &secrets.Config{Environments: map[string]secrets.Environment{
		"production": {Backend: "aws", Regions: []string{"eu-west-1", "us-east-1"},
			AWS: secrets.AWSConfig{Endpoints: map[string]string{"eu-west-1": eu, "us-east-1": usFront.URL}}},
	}}
	w := newSecretsWorld(t, sc)
	svc := w.serviceIn("production", "eu-west-1", "us-east-1")
	value := unique("aws")

	var a actions.Action
	body := fmt.Sprintf(`{"service":%q,"name":"db-password","environment":"production","value":%q}`, svc, value)
	if st := w.do("POST", "/api/v1/secrets", w.tokens["dana"], body, "aws-1", &a); st != 201 ||
		a.State != actions.StatePendingApproval {
		t.Fatalf("create: %d %+v", st, a)
	}
	if st := w.do("POST", "/api/v1/actions/"+a.ID+"/approve", w.tokens["pat"], `{"reason":"ok"}`, "", &a); st != 200 {
		t.Fatalf("approve: %d", st)
	}
	a = w.await(a.ID)
	if a.State != actions.StateFailed || !strings.Contains(a.Error, "production us-east-1 (AWS Secrets Manager) failed") ||
		!strings.Contains(a.Error, "AccessDeniedException") ||
		!strings.Contains(a.Error, "the new version is done in production eu-west-1 (AWS Secrets Manager)") ||
		!strings.Contains(a.Error, "retry the action") {
		t.Fatalf("partly written: %s %q", a.State, a.Error)
	}
	full := "payments/" + svc + "/db-password"
	read := func(endpoint string) (string, error) {
		cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("eu-west-1"))
		if err != nil {
			t.Fatal(err)
		}
		c := sm.NewFromConfig(cfg, func(o *sm.Options) { o.BaseEndpoint = aws.String(endpoint) })
		out, err := c.GetSecretValue(context.Background(), &sm.GetSecretValueInput{SecretId: aws.String(full)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SecretString), nil
	}
	if v, err := read(eu); err != nil || v != value {
		t.Fatalf("eu-west-1 holds %q, %v", v, err)
	}
	if _, err := read(us); err == nil {
		t.Fatal("us-east-1 holds the secret though it refused")
	}
	var sec catalog.Secret
	w.do("GET", "/api/v1/secrets/"+svc+"/db-password", w.tokens["dana"], "", "", &sec)
	if len(sec.Locations) != 1 || sec.Locations[0].Region != "eu-west-1" || len(sec.Missing) != 1 || sec.Missing[0].Region != "us-east-1" {
		t.Fatalf("metadata after the partial write: %+v", sec)
	}

	gate.fixed.Store(true)
	if st := w.do("POST", "/api/v1/actions/"+a.ID+"/retry", w.tokens["dana"], `{}`, "", &a); st != 200 {
		t.Fatalf("retry: %d", st)
	}
	a = w.await(a.ID)
	if a.State != actions.StateSucceeded {
		t.Fatalf("after the retry: %s %q", a.State, a.Error)
	}
	for _, st := range a.Steps {
		if strings.Contains(st.ID, "eu-west-1") && st.Attempts != 1 {
			t.Errorf("the retry wrote eu-west-1 again: %+v", st)
		}
	}
	if v, err := read(us); err != nil || v != value {
		t.Fatalf("us-east-1 after the retry holds %q, %v", v, err)
	}

	rotated := unique("aws-rotated")
	body = fmt.Sprintf(`{"environment":"production","value":%q}`, rotated)
	if st := w.do("POST", "/api/v1/secrets/"+svc+"/db-password/versions", w.tokens["dana"], body, "aws-2", &a); st != 201 {
		t.Fatalf("rotate: %d", st)
	}
	w.do("POST", "/api/v1/actions/"+a.ID+"/approve", w.tokens["pat"], `{}`, "", &a)
	if a = w.await(a.ID); a.State != actions.StateSucceeded {
		t.Fatalf("rotation: %s %q", a.State, a.Error)
	}
	for _, ep := range []string{eu, us} {
		if v, err := read(ep); err != nil || v != rotated {
			t.Errorf("after rotation %s holds %q, %v", ep, v, err)
		}
	}
	// Outside Atrium: the values were just read (above), and someone deletes the us-east-1 secret. The portal's
	// comparison with Secrets Manager records the read and drops the location: the secret shows as missing there.
	cfg, _ := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("us-east-1"))
	usClient := sm.NewFromConfig(cfg, func(o *sm.Options) { o.BaseEndpoint = aws.String(us) })
	if _, err := usClient.DeleteSecret(context.Background(), &sm.DeleteSecretInput{SecretId: aws.String(full),
		ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := w.s.Secrets.Observe(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.do("GET", "/api/v1/secrets/"+svc+"/db-password", w.tokens["dana"], "", "", &sec)
	if len(sec.Locations) != 1 || sec.Locations[0].Region != "eu-west-1" || sec.Locations[0].LastReadAt.IsZero() ||
		sec.Locations[0].SeenAt.IsZero() || len(sec.Missing) != 1 || sec.Missing[0].Region != "us-east-1" {
		t.Fatalf("after the comparison with Secrets Manager: %+v", sec)
	}

	var e struct {
		Error struct{ Code, Message string }
	}
	if st := w.do("POST", "/api/v1/secrets/"+svc+"/db-password/reveal", w.tokens["dana"],
		`{"environment":"production","region":"eu-west-1","reason":"x"}`, "", &e); st != 403 {
		t.Errorf("a reveal in production, which allows none: %d %+v", st, e)
	}
	var left int
	if err := w.s.DB.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM secret_staged`).Scan(&left); err != nil {
		t.Error(err)
	} else {
		if left != 0 {
			t.Errorf("%d staged values are left after every target has its value", left)
		}
	}
	if err := w.s.Close(); err != nil {
		t.Error(err)
	}
	scanFiles(t, []string{value, rotated}, w.dir)
}

// TestSecretsThroughTheAgent: a developer sets a dev secret; the portal seals it to the cluster agent's key, the
// real agent applies the Secret in the service's namespace of a real kube-apiserver, and reports its name only.
// Rotation and deletion go the same way; a reveal is refused (the portal reads no Secret's value). No file of the
// portal or of the agent (its debug log, its key file) holds the value.
func TestSecretsThroughTheAgent(t *testing.T) {
	const cluster = "secrets-dev"
	c := kubeEnv.Shared(t, cluster)
	admin, err := c.Client(kubetest.UserAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := fmt.Sprintf("sec-payments-%d", os.Getpid()%100000)
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
			t.Error(err)
		}
	})
	// The agent's Role of docs/agent.md in that namespace.
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "atrium-agent"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"},
			Verbs: []string{"get", "create", "patch", "update", "delete"}}}}, metav1.CreateOptions{}); err != nil &&
		!apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "atrium-agent"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "atrium-agent"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: kubetest.UserAgent}}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	anywhere := false
	sc := &secrets.Config{Environments: map[string]secrets.Environment{
		"dev": {Backend: "kubernetes", Clusters: []secrets.Cluster{{Name: cluster, Region: "eu-west-1"}},
			DeployedOnly: &anywhere, Namespace: ns, Reveal: []string{"developer"}, Approvers: &[]string{}},
	}}
	w := newSecretsWorld(t, sc)

	// The agent, with its own state directory and a debug log there.
	agentDir := t.TempDir()
	kubeconfig := filepath.Join(agentDir, "agent.kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, kubetest.UserAgent); err != nil {
		t.Fatal(err)
	}
	agentTok, _, err := auth.Tokens{DB: w.s.DB.SQL()}.Create(ctx, auth.Token{Name: "agent", Subject: "agent-" + cluster,
		Scopes: []string{"agent:work:" + cluster}}, "")
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(filepath.Join(agentDir, "agent.log"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := logf.Close(); err != nil {
			t.Error(err)
		}
	})
	actx, cancelAgent := context.WithCancel(ctx)
	done := make(chan error, 1)
	var stopped sync.Once
	stop := func() {
		stopped.Do(func() {
			cancelAgent()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("agent: %v", err)
			}
		})
	}
	go func() {
		done <- runner.Run(actx, runner.Options{Portal: w.url, Token: agentTok, Cluster: cluster, Kubeconfig: kubeconfig,
			KeyFile: filepath.Join(agentDir, "agent.key"), Wait: 10 * time.Second, HTTP: w.hc,
			Log: slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	}()
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := w.s.Agents.PublicKey(ctx, cluster); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not say hello")
		}
		time.Sleep(100 * time.Millisecond) // waiting for another goroutine's network call: polled, with a deadline
	}

	value := unique("kube")
	var a actions.Action
	body := fmt.Sprintf(`{"service":"checkout-web","name":"db-password","environment":"dev","value":%q}`, value)
	if st := w.do("POST", "/api/v1/secrets", w.tokens["dana"], body, "kube-1", &a); st != 201 {
		t.Fatalf("create: %d %+v", st, a)
	}
	if a = w.await(a.ID); a.State != actions.StateSucceeded {
		t.Fatalf("create: %s %q %+v", a.State, a.Error, a.Steps)
	}
	objName := "checkout-web-db-password"
	s, err := admin.CoreV1().Secrets(ns).Get(ctx, objName, metav1.GetOptions{})
	if err != nil || string(s.Data["value"]) != value || s.Labels["app.kubernetes.io/managed-by"] != "atrium" {
		t.Fatalf("the cluster's Secret: %v %+v", err, s.Labels)
	}
	var sec catalog.Secret
	w.do("GET", "/api/v1/secrets/checkout-web/db-password", w.tokens["dana"], "", "", &sec)
	if len(sec.Locations) != 1 || sec.Locations[0].Cluster != cluster || sec.Locations[0].Namespace != ns ||
		sec.Locations[0].Object != objName {
		t.Fatalf("metadata: %+v", sec.Locations)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if st := w.do("POST", "/api/v1/secrets/checkout-web/db-password/reveal", w.tokens["dana"],
		`{"environment":"dev","reason":"x"}`, "", &e); st != 409 || e.Error.Code != "not_revealable" {
		t.Errorf("reveal of a Kubernetes Secret: %d %+v", st, e)
	}

	rotated := unique("kube-rotated")
	body = fmt.Sprintf(`{"environment":"dev","value":%q}`, rotated)
	if st := w.do("POST", "/api/v1/secrets/checkout-web/db-password/versions", w.tokens["dana"], body, "kube-2", &a); st != 201 {
		t.Fatalf("rotate: %d", st)
	}
	if a = w.await(a.ID); a.State != actions.StateSucceeded {
		t.Fatalf("rotate: %s %q", a.State, a.Error)
	}
	if s, err := admin.CoreV1().Secrets(ns).Get(ctx, objName, metav1.GetOptions{}); err != nil || string(s.Data["value"]) != rotated {
		t.Fatalf("after rotation: %v", err)
	}
	if st := w.do("DELETE", "/api/v1/secrets/checkout-web/db-password?environment=dev", w.tokens["dana"], "", "kube-3", &a); st != 201 {
		t.Fatalf("delete: %d", st)
	}
	if a = w.await(a.ID); a.State != actions.StateSucceeded {
		t.Fatalf("delete: %s %q", a.State, a.Error)
	}
	if _, err := admin.CoreV1().Secrets(ns).Get(ctx, objName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after deletion the Secret is still there: %v", err)
	}
	if st := w.do("GET", "/api/v1/secrets/checkout-web/db-password", w.tokens["dana"], "", "", &e); st != 404 {
		t.Errorf("metadata after deletion: %d", st)
	}
	stop()
	if err := w.s.Close(); err != nil {
		t.Error(err)
	}
	scanFiles(t, []string{value, rotated}, w.dir, agentDir)
}
