package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// States of a cluster, as GET /api/v1/kube/clusters and the matrix report them.
const (
	StateConnecting    = "connecting"     // registered; the first list has not completed yet
	StateOK            = "ok"             // every informer is synced and the last requests succeeded
	StateUnreachable   = "unreachable"    // connection refused or timed out, DNS, network
	StateUnauthorized  = "unauthorized"   // the cluster rejected the credentials (expired or invalid token)
	StateForbidden     = "forbidden"      // authenticated, but RBAC forbids listing or watching a resource
	StateInvalidConfig = "invalid-config" // the kubeconfig does not parse, names no such context, or TLS settings are wrong
	StateError         = "error"          // anything else the cluster answered (resource not served, server errors)
)

// severity orders states for a cluster whose parts fail differently: the one shown is the one to fix first.
var severity = map[string]int{StateOK: 0, StateConnecting: 1, StateError: 2, StateForbidden: 3, StateUnreachable: 4,
	StateUnauthorized: 5, StateInvalidConfig: 6}

// classify turns a failed request into a state and a message a person can act on. The message never carries
// credentials: client-go's errors name the URL and the server's answer, not the request's headers.
func classify(what string, err error) (string, string) {
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var netErr net.Error
	var status apierrors.APIStatus
	switch {
	case apierrors.IsUnauthorized(err):
		return StateUnauthorized, fmt.Sprintf("%s: the cluster rejected Atrium's credentials (401 Unauthorized): the "+
			"token has expired or is not valid; renew it in the kubeconfig", what)
	case apierrors.IsForbidden(err):
		return StateForbidden, fmt.Sprintf("%s: forbidden by the cluster's RBAC (%s); grant Atrium's user list "+
			"and watch on deployments, statefulsets, daemonsets (apps) and horizontalpodautoscalers (autoscaling)",
			what, serverMessage(err))
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return StateInvalidConfig, fmt.Sprintf("%s: the cluster's TLS certificate does not verify (%v); check the "+
			"kubeconfig's certificate-authority and server", what, err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return StateUnreachable, fmt.Sprintf("%s: timed out: the cluster did not answer in time (%v); check the "+
			"server address and the network path to it", what, lastPart(err))
	case errors.As(err, &status) && status.Status().Code != 0:
		return StateError, fmt.Sprintf("%s: the cluster answered %d: %s", what, status.Status().Code, serverMessage(err))
	case errors.As(err, &netErr), isConnectionError(err):
		return StateUnreachable, fmt.Sprintf("%s: %v", what, lastPart(err))
	}
	return StateError, fmt.Sprintf("%s: %v", what, err)
}

func isConnectionError(err error) bool {
	s := err.Error()
	for _, m := range []string{"connection refused", "connection reset", "no such host", "EOF", "i/o timeout",
		"network is unreachable", "TLS handshake"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

func serverMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}

// lastPart drops the method and URL client-go prefixes to transport errors ("Get \"https://…\": dial tcp …").
func lastPart(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "\": "); i >= 0 {
		return s[i+3:]
	}
	return s
}

var quoted = regexp.MustCompile("`[^`]*`")

// configMessage describes a kubeconfig problem without echoing the file's content (which may hold a token).
func configMessage(err error) string {
	return quoted.ReplaceAllString(err.Error(), "`…`")
}
