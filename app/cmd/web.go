package cmd

import (
	"github.com/spf13/cobra"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/backend/cli"
)

func (a *atrium) webCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "web",
		Short: "Serve the UI to a browser on 127.0.0.1 (prints the URL to open)",
		Long: `Serve the desktop's UI to a browser, on a loopback address only. The printed URL carries a token for this
launch; the page keeps it and sends it as a header (see README.md, "atrium web safety").`,
		Example: `  atrium web
  atrium web --addr 127.0.0.1:0 --portal https://atrium.example.com`,
		GroupID: groupApp,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := app.LoopbackOnly(addr); err != nil {
				return cli.Usagef("%v", err)
			}
			rt, err := a.open(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			return rt.ServeWeb(cmd.Context(), addr, a.ui, printURL(cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:7788", "loopback address to listen on (port 0 picks a free one)")
	return cmd
}
