package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sphera/atrium/internal/agent"
)

// secretKeyField is the key of the agent's key Secret that holds its key pair.
const secretKeyField = "agent.key"

// keyFromFile reads the agent's key pair from path, creating it (mode 0600, its directory 0700) at first start.
func keyFromFile(path string) (agent.KeyPair, error) {
	var k agent.KeyPair
	b, err := os.ReadFile(path)
	if err == nil {
		if err := k.UnmarshalText(b); err != nil {
			return k, fmt.Errorf("agent key %s: %w (move it aside to make a new key; work sealed to the old one "+
				"must then be queued again)", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return k, fmt.Errorf("read agent key: %w", err)
	}
	if k, err = agent.GenerateKey(); err != nil {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return k, fmt.Errorf("agent key directory: %w", err)
	}
	text, _ := k.MarshalText()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return keyFromFile(path) // another agent process made it meanwhile
	}
	if err != nil {
		return k, fmt.Errorf("write agent key: %w", err)
	}
	_, err = f.Write(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // the write error is the one to report; a half-written key left behind is refused at the next start
		return k, fmt.Errorf("write agent key %s: %w", path, err)
	}
	return k, nil
}

// keyFromSecret reads the agent's key pair from the Secret namespace/name, creating it at first start; replicas
// of the agent share it. The agent's RBAC needs get and create on that one Secret.
func keyFromSecret(ctx context.Context, cs kubernetes.Interface, ref string) (agent.KeyPair, error) {
	var k agent.KeyPair
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return k, fmt.Errorf("--key-secret %q: want NAMESPACE/NAME", ref)
	}
	secrets := cs.CoreV1().Secrets(ns)
	for range 2 {
		s, err := secrets.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if err := k.UnmarshalText(s.Data[secretKeyField]); err != nil {
				return k, fmt.Errorf("agent key in Secret %s (key %s): %w", ref, secretKeyField, err)
			}
			return k, nil
		}
		if !apierrors.IsNotFound(err) {
			return k, fmt.Errorf("read the agent key from Secret %s: %w", ref, err)
		}
		if k, err = agent.GenerateKey(); err != nil {
			return k, err
		}
		text, _ := k.MarshalText()
		_, err = secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{"app.kubernetes.io/name": "atrium-agent"}},
			Type: corev1.SecretTypeOpaque, Data: map[string][]byte{secretKeyField: text}}, metav1.CreateOptions{FieldManager: FieldManager})
		if err == nil {
			return k, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return k, fmt.Errorf("store the agent key in Secret %s: %w", ref, err)
		}
		// Another replica created it meanwhile: read theirs.
	}
	return k, fmt.Errorf("agent key Secret %s: created and gone again", ref)
}
