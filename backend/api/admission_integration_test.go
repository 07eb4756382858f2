//go:build integration

package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/sources/kube/kubetest"
	"github.com/sphera/atrium/internal/store"
	"github.com/sphera/atrium/internal/store/pgtest"
)

var kenv *kubetest.Env

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	kenv, err = kubetest.Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	if err := kenv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// webhookTLS makes, in Go, a CA and a serving certificate for 127.0.0.1 signed by it: what an operator would put
// in front of the portal, and the CA bundle the ValidatingWebhookConfiguration carries.
func webhookTLS(t testing.TB) (caPEM []byte, cert tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "atrium-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "atrium portal"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// admissionRig is a portal serving its webhook over TLS on loopback, and a real kube-apiserver that calls it,
// authenticating with a gates:check token from its admission configuration's kubeconfig.
type admissionRig struct {
	db           *store.DB
	srv          *httptest.Server
	kc           *kubernetes.Clientset
	below, above string
}

func newAdmissionRig(t testing.TB, failurePolicy admissionregistrationv1.FailurePolicyType) *admissionRig {
	t.Helper()
	ctx := context.Background()
	db, _, h := scoredHandler(t)
	below, above := demoSides(t, db)
	token := "atr_apiserver_" + strings.Repeat("k", 24)
	if _, err := (auth.Tokens{DB: db.SQL()}).Ensure(ctx, auth.Token{Name: "kube-apiserver prod-eu",
		Subject: "kube-apiserver/prod-eu", Scopes: []string{"gates:check"}}, token); err != nil {
		t.Fatal(err)
	}
	caPEM, cert := webhookTLS(t)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")

	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "admission-kubeconfig.yaml")
	if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
users:
- name: %q
  user:
    token: %q
`, host, token)), 0o600); err != nil {
		t.Fatal(err)
	}
	admission := filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(admission, []byte(fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: %q
`, kubeconfig)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := kenv.Fresh(t, "admission", kubetest.WithAPIServerArgs("--admission-control-config-file="+admission))
	kc, err := c.Client(kubetest.UserAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod"}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/api/v1/admission/deployments/prod-eu"
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "atrium-deploy-gate"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "deploy-gate.atrium.sphera.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}}}},
			FailurePolicy:           &failurePolicy,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          &timeout,
		}},
	}
	if _, err := kc.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := &admissionRig{db: db, srv: srv, kc: kc, below: below, above: above}
	// The apiserver picks the configuration up through its own informer: wait until the gate answers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := r.create(r.below, "probe"); apierrors.IsForbidden(err) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatal("the apiserver never called the webhook")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// create creates (dry run: nothing is stored, validating webhooks are called all the same) a Deployment of service.
func (r *admissionRig) create(service, image string) error {
	labels := map[string]string{"app": service}
	one := int32(1)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: service, Namespace: "prod",
		Labels: map[string]string{"app.kubernetes.io/name": service}},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/" + service + ":" + image}}}}}}
	_, err := r.kc.AppsV1().Deployments("prod").Create(context.Background(), d,
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

func TestAdmissionWebhookOnKubeAPIServer(t *testing.T) {
	r := newAdmissionRig(t, admissionregistrationv1.Ignore)
	ctx := context.Background()

	err := r.create(r.below, "v2")
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "atrium deploy gate: service "+r.below+
		" may not be deployed to production") || !strings.Contains(err.Error(), "failing rules:") {
		t.Fatalf("a service below the threshold: %v", err)
	}
	card, _ := r.db.GetScorecard(ctx, r.below, time.Now())
	for _, res := range card.Results {
		if res.Status == "failed" && !strings.Contains(err.Error(), res.Rule) {
			t.Errorf("the refusal does not name failing rule %s: %v", res.Rule, err)
		}
	}
	if err := r.create(r.above, "v2"); err != nil {
		t.Fatalf("a service above the threshold: %v", err)
	}
	// An admin's exception lets it through.
	ex := &scorecard.Exceptions{DB: r.db}
	if _, err := ex.Grant(ctx, scorecard.ExceptionRequest{Service: r.below, Environment: "production",
		Reason: "INC-9 rollback", ExpiresAt: time.Now().Add(time.Hour)}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := r.create(r.below, "v3"); err != nil {
		t.Fatalf("with an exception: %v", err)
	}

	// failurePolicy Ignore: a portal that is down blocks no deploy.
	r.srv.Close()
	if err := r.create(r.above, "v4"); err != nil {
		t.Fatalf("portal down, failurePolicy Ignore: %v", err)
	}
}

func TestAdmissionWebhookFailurePolicyFail(t *testing.T) {
	r := newAdmissionRig(t, admissionregistrationv1.Fail)
	if err := r.create(r.above, "v2"); err != nil {
		t.Fatalf("a service above the threshold: %v", err)
	}
	// failurePolicy Fail: with the portal down, nothing is deployed.
	r.srv.Close()
	if err := r.create(r.above, "v3"); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Fatalf("portal down, failurePolicy Fail: %v", err)
	}
}

// BenchmarkAdmissionRoundTrip measures a Deployment create (dry run) through the real kube-apiserver with the
// portal's webhook registered (TLS, token, AdmissionReview, the gate) — refused and allowed — against a create the
// webhook does not see (a ConfigMap), reporting p50 and p99.
func BenchmarkAdmissionRoundTrip(b *testing.B) {
	r := newAdmissionRig(b, admissionregistrationv1.Ignore)
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"refused", func() error {
			if err := r.create(r.below, "v9"); !apierrors.IsForbidden(err) {
				return fmt.Errorf("want forbidden, got %w", err)
			}
			return nil
		}},
		{"allowed", func() error { return r.create(r.above, "v9") }},
		{"no-webhook", func() error {
			_, err := r.kc.CoreV1().ConfigMaps("prod").Create(context.Background(), &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "c"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				if err := tc.run(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
	_ = http.StatusOK
}
