// Package cli holds what the command lines of atrium and atrium-server share: running a command tree
// (github.com/spf13/cobra) with Atrium's exit codes and one-line errors, the log of a command, the build's version,
// and the portal's `serve` command.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sphera/atrium/backend/api"
)

// Exit codes of every Atrium command.
const (
	ExitOK    = 0
	ExitError = 1 // the command ran and failed
	ExitUsage = 2 // the command line is wrong: unknown command or flag, wrong arguments
)

// UsageError is a mistake in the command line. Run exits with ExitUsage on it and points at the command's help.
type UsageError struct {
	Err     error
	Command string // the command's path ("atrium services"), for the hint; "" for the root
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError; commands return it from RunE for wrong combinations of flags or arguments.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// NoArgs is an Args validator for commands that take no positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &UsageError{Err: fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0]),
			Command: cmd.CommandPath()}
	}
	return nil
}

// ExactArgs is an Args validator for commands that take exactly n positional arguments, named in usage
// ("NAME" or "SOURCE TARGET").
func ExactArgs(n int, usage string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &UsageError{Err: fmt.Errorf("usage: %s %s", cmd.CommandPath(), usage), Command: cmd.CommandPath()}
		}
		return nil
	}
}

// Main runs root with the process's arguments until SIGINT or SIGTERM and returns the exit code. It also records
// the build's version (Version) as api.Version, which /healthz reports.
func Main(root *cobra.Command, args []string) int {
	api.Version = Version()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, root, args)
}

// Run executes root with args (without the program's name) and returns the exit code: ExitOK, ExitError, or
// ExitUsage for a wrong command line. Every error is written to root's error stream as one line, "NAME: message",
// NAME being root's name; usage errors add where to read the command's help, and an unknown command the closest
// known ones. Flags may come before or after positional arguments; a long flag written with one dash (-addr, as
// Go's flag package accepted) is read as --addr.
//
// Commands report failures by returning errors from RunE (not by printing them), and should use RunE, PreRunE or
// PersistentPreRunE rather than the variants without E: an error raised before any of these ran — a bad flag,
// wrong arguments, a missing required flag — is a usage error.
func Run(ctx context.Context, root *cobra.Command, args []string) int {
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: err, Command: c.CommandPath()}
	})
	if root.Version != "" {
		root.SetVersionTemplate(root.Name() + " {{.Version}}\n")
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	started := false
	markStarted(root, &started)

	args = longFlagsWithOneDash(root, args)
	if len(args) == 0 || !strings.HasPrefix(args[0], "__complete") { // cobra's hidden completion command
		c, rest, err := root.Find(args)
		if err == nil {
			args = longFlagsWithOneDash(c, args)
			c, rest, _ = root.Find(args)
		}
		if name := firstPositional(c, rest); name != "" && c.HasAvailableSubCommands() && (err != nil || !c.Runnable()) {
			return fail(root, unknownCommand(c, name))
		}
	}
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	if !errors.As(err, &ue) && !started {
		ue = &UsageError{Err: err}
		err = ue
	}
	if ue != nil && ue.Command == "" && c != nil {
		ue.Command = c.CommandPath()
	}
	return fail(root, err)
}

// fail prints err as one line and returns its exit code.
func fail(root *cobra.Command, err error) int {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	code := ExitError
	var ue *UsageError
	if errors.As(err, &ue) {
		code = ExitUsage
		if ue.Command != "" {
			msg += " (see '" + ue.Command + " --help')"
		}
	}
	// Standard error is where a failure would be reported: if it cannot be written, the exit code still is.
	_, _ = fmt.Fprintf(root.ErrOrStderr(), "%s: %s\n", root.Name(), msg)
	return code
}

// unknownCommand is the error for a subcommand c does not have, naming the closest ones it has.
func unknownCommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if c.HasParent() {
		msg += fmt.Sprintf(" for %q", c.CommandPath())
	}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += " — did you mean " + quotedList(s) + "?"
	}
	return &UsageError{Err: errors.New(msg), Command: c.CommandPath()}
}

// quotedList writes names as `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// markStarted wraps the run hooks with errors of every command so that *started tells whether the command line
// was accepted: cobra calls them only after flags, arguments and required flags checked out.
func markStarted(c *cobra.Command, started *bool) {
	wrap := func(f func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
		if f == nil {
			return nil
		}
		return func(cmd *cobra.Command, args []string) error {
			*started = true
			return f(cmd, args)
		}
	}
	c.PersistentPreRunE, c.PreRunE, c.RunE = wrap(c.PersistentPreRunE), wrap(c.PreRunE), wrap(c.RunE)
	for _, sub := range c.Commands() {
		markStarted(sub, started)
	}
}

// lookup finds a flag c would accept by its long name: its own, or a persistent one of c or its parents.
func lookup(c *cobra.Command, name string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags(), c.InheritedFlags()} {
		if f := fs.Lookup(name); f != nil {
			return f
		}
	}
	return nil
}

// longFlagsWithOneDash rewrites -name and -name=value to --name and --name=value where name is a long flag c
// accepts (and, one letter long, no shorthand), so command lines written for Go's flag package keep working.
func longFlagsWithOneDash(c *cobra.Command, args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if lookup(c, name) != nil && (len(name) > 1 || shorthand(c, name) == nil) {
			out[i] = "-" + a
		}
	}
	return out
}

// shorthand finds a flag c would accept by its one-letter shorthand.
func shorthand(c *cobra.Command, letter string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags(), c.InheritedFlags()} {
		if f := fs.ShorthandLookup(letter); f != nil {
			return f
		}
	}
	return nil
}

// firstPositional is the first argument of args that is neither a flag of c nor a flag's value.
func firstPositional(c *cobra.Command, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1]
			}
			return ""
		case strings.HasPrefix(a, "--"):
			if f := lookup(c, a[2:]); !strings.Contains(a, "=") && (f == nil || f.NoOptDefVal == "") {
				i++ // --flag value
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if len(a) == 2 {
				if f := shorthand(c, a[1:]); f == nil || f.NoOptDefVal == "" {
					i++ // -f value
				}
			}
		default:
			return a
		}
	}
	return ""
}
