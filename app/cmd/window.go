package cmd

import (
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/app"
)

// windowCommand is the root, `atrium`: with no command it opens the desktop window, and serves the UI to a browser
// instead where no window can open (no display, or a build without the window).
func (a *atrium) windowCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "atrium",
		Short: "Atrium, the developer portal",
		Long: `Atrium is the developer portal: the service catalog, self-service actions and feature flags.

With no command, atrium opens the desktop window — in local mode (an in-process portal on a demo catalog) unless
a team portal is set with --portal or in Settings. Where no window can open, it serves the same UI to a browser
on 127.0.0.1 and prints the URL.`,
		Example: `  atrium                                   # the desktop window
  atrium web                               # the same UI in a browser
  atrium services --q pay                  # search the catalog
  atrium service payments-api --json       # one service, as JSON
  source <(atrium completion bash)         # tab completion, service names included`,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			rt, err := a.open(cmd)
			if err != nil {
				return err
			}
			defer closeAfter(rt, &err)
			err = rt.RunDesktop(cmd.Context(), a.ui)
			if !errors.Is(err, app.ErrNoDesktop) {
				return err
			}
			if app.HasDisplay() {
				notice(cmd.ErrOrStderr(), "atrium: this binary was built without the desktop window "+
					"(go build -tags desktop,production,webkit2_41); serving the UI to a browser instead.\n")
			} else {
				notice(cmd.ErrOrStderr(), "atrium: no display (DISPLAY/WAYLAND_DISPLAY unset); serving the UI to a browser instead.\n")
			}
			return rt.ServeWeb(cmd.Context(), addr, a.ui, printURL(cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "where to serve the UI when no window can be opened (loopback)")
	return cmd
}

// printURL tells the user where `atrium web` (or the window's fallback) serves the UI.
func printURL(w io.Writer) func(url string) {
	return func(url string) {
		// Printing the URL is best effort, like a notice: the UI is served either way.
		notice(w, "Atrium is running at %s\n(open that URL in a browser; press Ctrl+C to stop)\n", url)
	}
}
