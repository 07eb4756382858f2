package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/internal/agent/runner"
)

// AgentCommand is `atrium agent`: a cluster's agent, which pulls the portal's work for its cluster (long poll,
// outbound only), applies it with server-side apply under its own RBAC, watches rollouts and reports back
// (docs/agent.md). It lives here so that the server-only binary's image can run it too.
func AgentCommand() *cobra.Command {
	var o runner.Options
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a cluster's agent: apply the portal's work to this cluster",
		Long: `Run a cluster's agent. It connects out to the portal (no inbound port), pulls the work queued for its
cluster, applies manifests with server-side apply under the cluster RBAC it runs with, watches Deployments until
they are available, and reports each result. Its token needs the scope agent:work:CLUSTER. See docs/agent.md.`,
		Example: `  ATRIUM_AGENT_TOKEN=atr_... atrium agent --portal https://atrium.example.com --cluster dev-eu-1
  atrium agent --portal http://127.0.0.1:8080 --cluster dev --kubeconfig ~/.kube/config --context kind-dev`,
		Args: NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Token == "" {
				o.Token = os.Getenv("ATRIUM_AGENT_TOKEN")
			}
			switch {
			case o.Portal == "":
				return Usagef("--portal (or $ATRIUM_PORTAL) is required: the URL of the portal")
			case o.Cluster == "":
				return Usagef("--cluster (or $ATRIUM_CLUSTER) is required: the cluster's name in the portal")
			case o.Token == "":
				return Usagef("--token (or $ATRIUM_AGENT_TOKEN) is required: a token scoped agent:work:%s", o.Cluster)
			}
			o.Log = NewLogger(cmd.ErrOrStderr(), false)
			o.Version = Version()
			return runner.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Portal, "portal", os.Getenv("ATRIUM_PORTAL"), "URL of the portal ($ATRIUM_PORTAL)")
	f.StringVar(&o.Token, "token", "", "API token scoped agent:work:CLUSTER (default $ATRIUM_AGENT_TOKEN)")
	f.StringVar(&o.Cluster, "cluster", os.Getenv("ATRIUM_CLUSTER"), "the cluster's name in the portal ($ATRIUM_CLUSTER)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: the pod's service account)")
	f.StringVar(&o.Context, "context", "", "context of the kubeconfig (default: its current context)")
	f.StringVar(&o.KeyFile, "key-file", "",
		"file of the agent's key pair (default outside a cluster: ~/.local/state/atrium/agent-CLUSTER.key)")
	f.StringVar(&o.KeySecret, "key-secret", "",
		"NAMESPACE/NAME of a Secret holding the agent's key pair (default in a cluster: its namespace/atrium-agent-key)")
	f.StringVar(&o.ClusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain, for Services' URLs")
	return cmd
}
