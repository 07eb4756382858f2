// Command atrium-server runs the portal API alone: no UI, no cgo, no GTK — the build for servers and containers.
// It takes the same flags and environment as `atrium serve`; `atrium-server agent` is `atrium agent`.
package main

import (
	"os"
	"strings"

	"github.com/sphera/atrium/backend/cli"
)

func main() {
	root := cli.ServeCommand()
	root.Use = "atrium-server"
	root.Example = strings.ReplaceAll(root.Example, "atrium serve", "atrium-server")
	root.Version = cli.Version()
	root.AddCommand(cli.AgentCommand()) // the agent runs from the same cgo-free image
	root.AddCommand(cli.MigrateCommand())
	os.Exit(cli.Main(root, os.Args[1:]))
}
