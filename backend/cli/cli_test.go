package cli

import (
	"bytes"
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// tree is a small command tree shaped like atrium's: a runnable root with persistent and local flags, and
// commands with positional arguments, flags and failures.
func tree(got *[]string) *cobra.Command {
	root := &cobra.Command{Use: "atrium", Version: "v1.2.3",
		RunE: func(*cobra.Command, []string) error { *got = append(*got, "root"); return nil }}
	root.PersistentFlags().String("data", "", "")
	root.Flags().String("addr", "", "")
	show := &cobra.Command{Use: "service NAME", Args: ExactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, _ := cmd.Flags().GetBool("json")
			q, _ := cmd.Flags().GetString("q")
			d, _ := cmd.Flags().GetString("data")
			*got = append(*got, "service "+args[0]+" json="+map[bool]string{true: "yes", false: "no"}[j]+" q="+q+" data="+d)
			if args[0] == "missing" {
				return errors.New("no service named \"missing\"\n(and a second line)")
			}
			if args[0] == "both" {
				return Usagef("--json and --q together make no sense")
			}
			return nil
		}}
	show.Flags().Bool("json", false, "")
	show.Flags().String("q", "", "")
	required := &cobra.Command{Use: "grant", Args: NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	required.Flags().String("role", "", "")
	_ = required.MarkFlagRequired("role") // fails only for an unknown flag; the "missing required flag" case checks it
	root.AddCommand(show, required, &cobra.Command{Use: "services", Args: NoArgs,
		RunE: func(*cobra.Command, []string) error { *got = append(*got, "services"); return nil }})
	return root
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		ran    string // what the command saw; "" when nothing ran
		stderr string // a substring of the one line on standard error; "" for none at all
		stdout string
	}{
		{"root", nil, ExitOK, "root", "", ""},
		{"flags after the argument", []string{"service", "pay", "--json", "--data", "d"}, ExitOK, "service pay json=yes q= data=d", "", ""},
		{"persistent flag before the command", []string{"--data", "d", "service", "--q=x", "pay"}, ExitOK, "service pay json=no q=x data=d", "", ""},
		{"Go-style single-dash long flags", []string{"-data", "d", "service", "pay", "-json", "-q=x"}, ExitOK, "service pay json=yes q=x data=d", "", ""},
		{"single dash after --", []string{"service", "--", "-json"}, ExitOK, "service -json json=no q= data=", "", ""},
		{"version flag", []string{"--version"}, ExitOK, "", "", "atrium v1.2.3\n"},
		{"help lists commands", []string{"--help"}, ExitOK, "", "", "services"},
		{"unknown command", []string{"servics"}, ExitUsage, "",
			`atrium: unknown command "servics" — did you mean "service" or "services"? (see 'atrium --help')`, ""},
		{"unknown command with flags", []string{"--data", "d", "sevrice", "--json"}, ExitUsage, "", `did you mean "service"?`, ""},
		{"unknown command, nothing close", []string{"frobnicate"}, ExitUsage, "", `atrium: unknown command "frobnicate" (see 'atrium --help')`, ""},
		{"unknown flag", []string{"service", "pay", "--bogus"}, ExitUsage, "", "atrium: unknown flag: --bogus (see 'atrium service --help')", ""},
		{"flag of another command", []string{"services", "--json"}, ExitUsage, "", "unknown flag: --json", ""},
		{"missing argument", []string{"service"}, ExitUsage, "", "atrium: usage: atrium service NAME (see 'atrium service --help')", ""},
		{"extra argument", []string{"services", "x"}, ExitUsage, "", `atrium services takes no arguments, got "x"`, ""},
		{"missing required flag", []string{"grant"}, ExitUsage, "", `required flag(s) "role" not set`, ""},
		{"failure is one line", []string{"service", "missing"}, ExitError, "service missing json=no q= data=",
			`atrium: no service named "missing" (and a second line)`, ""},
		{"usage error from the command", []string{"service", "both"}, ExitUsage, "service both json=no q= data=",
			"atrium: --json and --q together make no sense (see 'atrium service --help')", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			root := tree(&ran)
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errb)
			code := Run(context.Background(), root, tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errb.String())
			}
			if got := strings.Join(ran, "; "); got != tc.ran && !(tc.ran == "" && got == "") {
				t.Errorf("ran %q, want %q", got, tc.ran)
			}
			switch {
			case tc.stderr == "" && errb.Len() > 0:
				t.Errorf("stderr %q, want none", errb.String())
			case tc.stderr != "":
				if !strings.Contains(errb.String(), tc.stderr) || strings.Count(errb.String(), "\n") != 1 {
					t.Errorf("stderr %q, want one line with %q", errb.String(), tc.stderr)
				}
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Errorf("stdout %q, want %q in it", out.String(), tc.stdout)
			}
		})
	}
}

// TestServeCommand: atrium-server's command line — its flags, their checks, and its exit codes.
func TestServeCommand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{"help names the documented flags", []string{"--help"}, ExitOK, "",
			"--addr --config --data --demo --flag-environments --flag-stale-days --kube-clusters --trusted-proxies"},
		{"version", []string{"--version"}, ExitOK, "", "atrium-server v9.9.9\n"},
		{"bad value of a checked flag", []string{"--demo", "maybe"}, ExitError, `--demo must be auto, on or off, not "maybe"`, ""},
		{"bad value, Go-style flag", []string{"-demo=maybe"}, ExitError, `--demo must be auto, on or off, not "maybe"`, ""},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/8,nonsense"}, ExitUsage, `trusted proxy "nonsense"`, ""},
		{"no arguments", []string{"now"}, ExitUsage, `atrium-server takes no arguments, got "now"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := ServeCommand()
			root.Use, root.Version = "atrium-server", "v9.9.9"
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errb)
			code := Run(context.Background(), root, tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errb.String())
			}
			if tc.stderr == "" && errb.Len() > 0 || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q, want %q", errb.String(), tc.stderr)
			}
			if tc.stderr != "" && (!strings.HasPrefix(errb.String(), "atrium-server: ") || strings.Count(errb.String(), "\n") != 1) {
				t.Errorf("stderr %q is not one line \"atrium-server: ...\"", errb.String())
			}
			for _, w := range strings.Fields(tc.stdout) {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestVersionOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install of a tag", debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"local build with VCS stamps", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}}, "dev+0123456789ab"},
		{"uncommitted changes", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "dev+0123456789ab-dirty"},
		{"nothing recorded", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionOf(&tc.bi); got != tc.want {
				t.Errorf("versionOf = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAgentCommand: `atrium agent` names what it is missing before it dials anything, and never echoes a token.
func TestAgentCommand(t *testing.T) {
	t.Setenv("ATRIUM_PORTAL", "")
	t.Setenv("ATRIUM_CLUSTER", "")
	t.Setenv("ATRIUM_AGENT_TOKEN", "")
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no portal", []string{"--cluster", "dev", "--token", "atr_secret"}, "--portal (or $ATRIUM_PORTAL) is required"},
		{"no cluster", []string{"--portal", "http://127.0.0.1:1", "--token", "atr_secret"}, "--cluster (or $ATRIUM_CLUSTER) is required"},
		{"no token", []string{"--portal", "http://127.0.0.1:1", "--cluster", "dev"}, "a token scoped agent:work:dev"},
		{"arguments", []string{"now"}, "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := &cobra.Command{Use: "atrium"}
			root.AddCommand(AgentCommand())
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errb)
			if code := Run(context.Background(), root, append([]string{"agent"}, tc.args...)); code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitUsage, errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) || strings.Contains(errb.String(), "atr_secret") {
				t.Errorf("stderr %q, want %q and no token", errb.String(), tc.stderr)
			}
		})
	}
}
