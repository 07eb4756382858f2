package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/internal/store"
)

// MigrateCommand is `atrium migrate --from FILE --to URL`: it moves a portal's SQLite database into a new PostgreSQL
// database, verifies the copy and can be run again to resume one that stopped (store.CopyToPostgres). It lives here
// so that the server-only binary has it too.
func MigrateCommand() *cobra.Command {
	var from, to string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Move a portal's SQLite database to PostgreSQL: verified, resumable",
		Long: `Copy every table of a portal's SQLite database (DATA/portal.db) into a new, empty PostgreSQL database,
then verify the copy: each table's row count, the change feed's position and its epoch. The epoch is kept, so that
desktops carry on from where they are instead of fetching the catalog again.

Stop the portal first: the source must not change while it is copied. Each table is copied in one transaction; if
the copy stops (an error, a lost connection, ^C), run the same command again and it resumes after the tables already
copied. A source that changed since the copy began, or a target that holds anything else, is refused. Then start the
portal (its replicas) with --database pointing at the target. See docs/operations.md.`,
		Example: `  ATRIUM_DATABASE_URL=postgres://atrium:PASSWORD@db.internal:5432/atrium atrium migrate --from /var/lib/atrium/portal.db
  atrium migrate --from portal.db --to postgres://atrium@127.0.0.1:5432/atrium --json`,
		Args: NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				to = os.Getenv("ATRIUM_DATABASE_URL")
			}
			switch {
			case from == "":
				return Usagef("--from is required: the portal's SQLite database, e.g. /var/lib/atrium/portal.db")
			case to == "":
				return Usagef("--to (or $ATRIUM_DATABASE_URL) is required: the PostgreSQL database to fill")
			case !store.IsPostgresURL(to):
				return Usagef("--to must be a PostgreSQL URL, postgres://USER@HOST:PORT/DB, not %q", store.RedactURL(to))
			}
			// Opening a missing file would create an empty database and copy nothing.
			if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s does not exist: --from names the portal's database, DATA/portal.db", from)
			}
			ctx := cmd.Context()
			src, err := store.Open(from)
			if err != nil {
				return err
			}
			defer src.Close() //nolint:errcheck // only read
			dst, err := store.OpenPostgres(ctx, to)
			if err != nil {
				return err
			}
			defer dst.Close() //nolint:errcheck // the copies committed or rolled back already
			out := cmd.OutOrStdout()
			var werr error // the first failed write of the progress lines
			progress := func(tc store.TableCopy) {
				if asJSON {
					return
				}
				verb := "copied"
				if !tc.Copied {
					verb = "already copied"
				}
				if _, err := fmt.Fprintf(out, "%-16s %-26s %8d rows\n", verb, tc.Table, tc.Target); err != nil && werr == nil {
					werr = err
				}
			}
			rep, err := store.CopyToPostgres(ctx, src, dst, store.CopyOptions{Progress: progress})
			if err != nil {
				return fmt.Errorf("migrate %s to %s: %w", from, dst.Path(), err)
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			var rows int64
			for _, tc := range rep.Tables {
				rows += tc.Target
			}
			_, err = fmt.Fprintf(out, "verified: %d tables, %d rows; the change feed is at %s.%d in both, so desktops "+
				"carry on from where they are.\nNext: start the portal with --database %s (or $ATRIUM_DATABASE_URL).\n",
				len(rep.Tables), rows, rep.Epoch, rep.FeedSeq, dst.Path())
			return errors.Join(werr, err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the portal's SQLite database (DATA/portal.db)")
	f.StringVar(&to, "to", "", "the PostgreSQL database to fill, postgres://USER@HOST:PORT/DB (default $ATRIUM_DATABASE_URL; "+
		"a password goes in the variable, PGPASSWORD or ~/.pgpass)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
