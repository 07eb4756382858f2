package cli

import (
	"flag"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/backend/server"
)

// ServeCommand is `atrium serve` — and, named atrium-server, the whole of the server-only binary: the portal API
// server. Its flags, and the environment variables behind their defaults, are server.Config's.
func ServeCommand() *cobra.Command {
	var cfg server.Config
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the portal API server",
		Long: `Run the portal API server: the catalog, its collectors (GitHub, Kubernetes), self-service actions,
feature flags (OFREP) and the change feed desktops sync from. Every flag has an environment variable; the rest of
the configuration is one YAML file (--config). See README.md, "Running a portal".`,
		Example: `  ATRIUM_ADMIN_TOKEN=atr_choose_a_long_secret atrium serve --addr 0.0.0.0:8080 --data /var/lib/atrium
  atrium serve --config atrium.yaml --kube-clusters clusters.yaml --trusted-proxies 10.0.0.0/8
  ATRIUM_DATABASE_URL=postgres://atrium:PASSWORD@db.internal:5432/atrium atrium serve --addr 0.0.0.0:8080`,
		Args: NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = NewLogger(cmd.ErrOrStderr(), false)
			if err := cfg.FromEnv(); err != nil {
				return err
			}
			return server.Serve(cmd.Context(), cfg, nil)
		},
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	cmd.Flags().AddGoFlagSet(fs)
	return cmd
}
