package runner

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/store/storetest"
)

func TestRolloutState(t *testing.T) {
	three := int32(3)
	dep := func(gen, observed int64, replicas, updated, available int32, conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: gen}, Spec: appsv1.DeploymentSpec{Replicas: &three},
			Status: appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated,
				AvailableReplicas: available, Conditions: conds}}
	}
	availableTrue := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}
	for _, tt := range []struct {
		name         string
		d            *appsv1.Deployment
		applied      int64
		done, failed bool
		msg          string
	}{
		{"complete", dep(2, 2, 3, 3, 3, availableTrue), 2, true, false, "3 of 3"},
		{"controller has not seen the spec", dep(2, 1, 3, 3, 3, availableTrue), 2, false, false, "see the new spec"},
		{"controller has not seen the applied generation", dep(2, 2, 3, 3, 3, availableTrue), 3, false, false, "see the new spec"},
		{"updating", dep(2, 2, 3, 1, 1), 2, false, false, "1 of 3 replicas updated"},
		{"old replicas left", dep(2, 2, 4, 3, 3, availableTrue), 2, false, false, "1 old replicas"},
		{"not available yet", dep(2, 2, 3, 3, 2), 2, false, false, "2 of 3 updated replicas are available"},
		{"progress deadline", dep(2, 2, 3, 1, 0, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
			Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "ReplicaSet has timed out"}), 2, false, true, "timed out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done, failed, msg := rolloutState(tt.d, tt.applied)
			if done != tt.done || failed != tt.failed || !strings.Contains(msg, tt.msg) {
				t.Errorf("done=%v failed=%v %q; want %v %v ~%q", done, failed, msg, tt.done, tt.failed, tt.msg)
			}
		})
	}
}

// TestRunStopsWhenThePortalRefusesItsToken: a token the portal does not accept ends the agent with an error that
// says what to check, rather than retrying for ever.
func TestRunStopsWhenThePortalRefusesItsToken(t *testing.T) {
	db, err := storetest.Target(t, storetest.Default())()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	srv := httptest.NewServer((&api.Portal{DB: db, Log: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()
	// A cluster nobody listens on: the agent says hello without knowing its version.
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "x"}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "c"
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), Options{Portal: srv.URL, Token: "atr_revoked_or_never_issued_0000", Cluster: "eu",
		Kubeconfig: kc, KeyFile: filepath.Join(t.TempDir(), "agent.key"), Log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "agent:work:eu") {
		t.Fatalf("Run: %v", err)
	}
	if err := Run(context.Background(), Options{Portal: srv.URL, Cluster: "EU 1"}); err == nil ||
		!strings.Contains(err.Error(), "--token") {
		t.Errorf("missing token, bad cluster: %v", err)
	}
}
