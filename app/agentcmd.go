package app

import (
	"context"
	"flag"
	"log/slog"
	"os"

	"github.com/sphera/atrium/internal/agent/runner"
)

// runAgent is `atrium agent`: the cluster agent (docs/agent.md). Its logic is runner.Run; this reads its flags.
func runAgent(ctx context.Context, args []string, log *slog.Logger) error {
	fset := flag.NewFlagSet("atrium agent", flag.ContinueOnError)
	o := runner.Options{Log: log, Version: versionString()}
	fset.StringVar(&o.Portal, "portal", os.Getenv("ATRIUM_PORTAL"), "URL of the portal (or $ATRIUM_PORTAL)")
	fset.StringVar(&o.Token, "token", "", "API token scoped agent:work:CLUSTER (default $ATRIUM_AGENT_TOKEN)")
	fset.StringVar(&o.Cluster, "cluster", os.Getenv("ATRIUM_CLUSTER"), "the cluster's name in the portal (or $ATRIUM_CLUSTER)")
	fset.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: the pod's service account)")
	fset.StringVar(&o.Context, "context", "", "context of the kubeconfig (default: its current context)")
	fset.StringVar(&o.KeyFile, "key-file", "", "file of the agent's key pair (default outside a cluster: ~/.local/state/atrium/agent-CLUSTER.key)")
	fset.StringVar(&o.KeySecret, "key-secret", "", "NAMESPACE/NAME of a Secret holding the agent's key pair (default in a cluster: its namespace/atrium-agent-key)")
	fset.StringVar(&o.ClusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain, for Services' URLs")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if o.Token == "" {
		o.Token = os.Getenv("ATRIUM_AGENT_TOKEN")
	}
	return runner.Run(ctx, o)
}
