package kube

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/catalog"
)

// Config is the portal's cluster registry, read from a YAML file (--kube-clusters, $ATRIUM_KUBE_CLUSTERS):
//
//	clusters:
//	  - name: prod-eu-1              # unique; lowercase DNS label
//	    region: eu-west-1            # required
//	    environment: production      # required
//	    kubeconfig: /etc/atrium/kube/prod-eu-1.yaml  # default: $KUBECONFIG, else ~/.kube/config
//	    context: prod-eu-1           # default: the kubeconfig's current context
//	  - name: prod-us-1
//	    region: us-east-1
//	    environment: production
//	    in_cluster: true             # the portal's own pod service account; no kubeconfig
//	    timeout: 10s                 # per request (default 15s)
//	    resync: 30m                  # informer resync (default 10m; 1m to 24h)
//	    exclude_namespaces: [kube-system]  # default: kube-system, kube-public, kube-node-lease
type Config struct {
	Clusters []ClusterConfig `yaml:"clusters"`
}

// ClusterConfig registers one cluster.
type ClusterConfig struct {
	Name        string `yaml:"name"`
	Region      string `yaml:"region"`
	Environment string `yaml:"environment"`
	// Kubeconfig is the path of a kubeconfig file; "" uses $KUBECONFIG or ~/.kube/config.
	Kubeconfig string `yaml:"kubeconfig"`
	// Context selects a context of the kubeconfig; "" uses its current context.
	Context string `yaml:"context"`
	// InCluster uses the service account of the pod the portal runs in.
	InCluster bool `yaml:"in_cluster"`
	// Timeout bounds each request to the cluster (connecting, listing, probing); watches stay open.
	Timeout time.Duration `yaml:"timeout"`
	// Resync is how often the informers re-deliver their whole cache, as a safety net for missed events.
	Resync time.Duration `yaml:"resync"`
	// ExcludeNamespaces are not collected (nil: the system namespaces; an empty list excludes none).
	ExcludeNamespaces []string `yaml:"exclude_namespaces"`
}

// Defaults and bounds of a cluster's settings.
const (
	DefaultTimeout = 15 * time.Second
	DefaultResync  = 10 * time.Minute
	MinResync      = time.Minute
	MaxResync      = 24 * time.Hour
)

// DefaultExcludeNamespaces hold the cluster's own machinery, which no catalog service owns.
var DefaultExcludeNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// ParseConfig reads a cluster registry and checks it, reporting every problem at once. Problems found here stop
// the portal from starting; problems with a cluster's kubeconfig or credentials do not (that cluster shows them
// as its state).
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("cluster registry is not valid YAML of the expected shape: %w", err)
	}
	var problems []string
	seen := map[string]bool{}
	for i := range c.Clusters {
		cc := &c.Clusters[i]
		where := fmt.Sprintf("clusters[%d]", i)
		if cc.Name != "" {
			where += " (" + cc.Name + ")"
		}
		switch {
		case cc.Name == "":
			problems = append(problems, where+": name is required")
		case !catalog.ValidName(cc.Name):
			problems = append(problems, where+": name must be a lowercase DNS label (a-z, 0-9, -)")
		case seen[cc.Name]:
			problems = append(problems, where+": name is used by another cluster")
		}
		seen[cc.Name] = true
		if strings.TrimSpace(cc.Region) == "" {
			problems = append(problems, where+": region is required")
		}
		if strings.TrimSpace(cc.Environment) == "" {
			problems = append(problems, where+": environment is required")
		}
		if cc.InCluster && (cc.Kubeconfig != "" || cc.Context != "") {
			problems = append(problems, where+": in_cluster excludes kubeconfig and context")
		}
		switch {
		case cc.Timeout == 0:
			cc.Timeout = DefaultTimeout
		case cc.Timeout < 0:
			problems = append(problems, where+": timeout must be positive")
		}
		switch {
		case cc.Resync == 0:
			cc.Resync = DefaultResync
		case cc.Resync < MinResync || cc.Resync > MaxResync:
			problems = append(problems, fmt.Sprintf("%s: resync must be from %v to %v", where, MinResync, MaxResync))
		}
		if cc.ExcludeNamespaces == nil {
			cc.ExcludeNamespaces = DefaultExcludeNamespaces
		}
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("cluster registry: %s", strings.Join(problems, "; "))
	}
	return c, nil
}

// LoadConfig reads the cluster registry at path.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read cluster registry: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
