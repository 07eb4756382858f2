package cmd

import (
	"github.com/spf13/cobra"

	"github.com/sphera/atrium/backend/cli"
)

// serveCommand is atrium-server's command (backend/cli), under atrium. The desktop's --portal and --token mean
// nothing to a portal: it refuses them, and leaves them out of its help.
func serveCommand() *cobra.Command {
	cmd := cli.ServeCommand()
	cmd.GroupID = groupPortal
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		for _, name := range []string{"portal", "token"} {
			if cmd.Flags().Changed(name) {
				return cli.Usagef("--%s is the desktop's flag: `atrium serve` is the portal", name)
			}
		}
		return run(cmd, args)
	}
	cmd.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		pf := cmd.Root().PersistentFlags()
		for _, name := range []string{"portal", "token"} {
			if f := pf.Lookup(name); f != nil && !f.Hidden {
				f.Hidden = true
				defer func() { f.Hidden = false }() //nolint:gocritic // deferInLoop on purpose: shown again once the help is printed
			}
		}
		cmd.Root().HelpFunc()(cmd, args)
	})
	return cmd
}

// agentCommand is `atrium agent` (backend/cli), under atrium: it has --portal and --token of its own.
func agentCommand() *cobra.Command {
	cmd := cli.AgentCommand()
	cmd.GroupID = groupPortal
	return cmd
}

// migrateCommand is `atrium migrate` (backend/cli), under atrium: it moves a portal's SQLite database to PostgreSQL.
func migrateCommand() *cobra.Command {
	cmd := cli.MigrateCommand()
	cmd.GroupID = groupPortal
	return cmd
}
