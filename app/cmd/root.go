// Package cmd is the atrium command line: one command tree (github.com/spf13/cobra) whose root opens the desktop
// window. Each group of commands has its file — window.go (the root's own run), web.go, serve.go, catalog.go —
// and a new command is a function returning a *cobra.Command, added in New with its group. What atrium shares with
// atrium-server (exit codes, one-line errors, logging, the version, `serve` itself) is in backend/cli.
//
// Conventions: commands return errors from RunE (never print them or exit); wrong command lines are
// cli.Usagef / cli.NoArgs / cli.ExactArgs errors (exit 2); output goes to cmd.OutOrStdout(), warnings to
// cmd.ErrOrStderr(); --json, where a command has it, prints what the API answers. Commands that only read open the
// runtime with (*atrium).reader: no INFO logs and no action worker.
package cmd

import (
	"context"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/backend/cli"
)

// Groups of commands in `atrium --help`.
const (
	groupApp     = "app"
	groupCatalog = "catalog"
	groupPortal  = "portal"
	groupGolden  = "golden"
)

// Main runs atrium with args (without the program's name) and returns the exit code (see backend/cli).
func Main(args []string, ui fs.FS) int {
	return cli.Main(New(ui), args)
}

// atrium holds what the commands share: the built UI and the persistent flags, which say which runtime to open.
type atrium struct {
	ui                  fs.FS
	data, portal, token string
}

// New builds the command tree; ui is the built UI (frontend.Dist()) for the window and `atrium web`.
func New(ui fs.FS) *cobra.Command {
	a := &atrium{ui: ui}
	root := a.windowCommand()
	root.Version = cli.Version()
	root.SuggestionsMinimumDistance = 2
	root.AddGroup(&cobra.Group{ID: groupApp, Title: "The app:"},
		&cobra.Group{ID: groupCatalog, Title: "The catalog (from the local replica; --json for JSON):"},
		&cobra.Group{ID: groupGolden, Title: "The golden path (new services):"},
		&cobra.Group{ID: groupPortal, Title: "Running a portal:"})

	pf := root.PersistentFlags()
	pf.StringVar(&a.data, "data", app.DefaultDataDir(),
		"directory of the replica, settings and (local mode) the portal database ($ATRIUM_DATA)")
	pf.StringVar(&a.portal, "portal", os.Getenv("ATRIUM_PORTAL"),
		"URL of a team portal, saved for next time (default: the saved setting, else local mode; $ATRIUM_PORTAL)")
	pf.StringVar(&a.token, "token", "",
		"portal API token, stored for next time (default: $ATRIUM_PORTAL_TOKEN, else the stored one)")

	root.AddCommand(a.webCommand(), a.servicesCommand(), a.serviceCommand(), a.scoreCommand(), a.gateCommand(),
		serveCommand(), agentCommand(), migrateCommand(), versionCommand(), a.templatesCommand(), a.createCommand(),
		a.secretsCommand(), a.fleetCommand(), a.kpiCommand(), a.driftCommand())
	return root
}

// tokenOrEnv is --token, else $ATRIUM_PORTAL_TOKEN (read here, so that no help text ever shows it).
func (a *atrium) tokenOrEnv() string {
	if a.token != "" {
		return a.token
	}
	return os.Getenv("ATRIUM_PORTAL_TOKEN")
}

// open opens the runtime for a command that keeps running (the window, atrium web): it logs from INFO up, and
// serves Go's profiles on $ATRIUM_PPROF when set (startProfiler).
func (a *atrium) open(cmd *cobra.Command) (*app.Runtime, error) {
	log := cli.NewLogger(cmd.ErrOrStderr(), false)
	if err := startProfiler(cmd.Context(), log); err != nil {
		return nil, err
	}
	return app.Open(cmd.Context(), a.data, a.portal, a.tokenOrEnv(), log)
}

// openReadOnly opens the runtime for a command that answers and exits: warnings only, no action worker.
func (a *atrium) openReadOnly(ctx context.Context, log *slog.Logger) (*app.Runtime, error) {
	return app.OpenReadOnly(ctx, a.data, a.portal, a.tokenOrEnv(), log)
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version (as --version does)",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write([]byte(cmd.Root().Name() + " " + cmd.Root().Version + "\n"))
			return err
		},
	}
}
