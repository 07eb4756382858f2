package cmd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sphera/atrium/backend/cli"
)

// atriumRunIn is atriumRun with stdin as standard input.
func atriumRunIn(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	root := New(ui)
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(stdin)
	code := cli.Run(context.Background(), root, args)
	return result{code, out.String(), errb.String()}
}

// uniqueValue is a value no file holds by chance.
func uniqueValue(t *testing.T, prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// forms are how a value could appear in a file: as it is, in base64 (a Kubernetes Secret's data, JSON of bytes)
// and in hex.
func forms(v string) [][]byte {
	return [][]byte{[]byte(v), []byte(base64.StdEncoding.EncodeToString([]byte(v))),
		[]byte(base64.RawURLEncoding.EncodeToString([]byte(v))), []byte(hex.EncodeToString([]byte(v)))}
}

// scanDir fails t for every file under dir that holds one of values in any form.
func scanDir(t *testing.T, dir string, values ...string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // SQLite removes its -shm and -wal files when the last connection closes: gone, it holds nothing
		}
		if err != nil {
			return err
		}
		files++
		for _, v := range values {
			for _, f := range forms(v) {
				if bytes.Contains(b, f) {
					t.Errorf("%s holds the value %q (as %q)", p, v, f)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSecretsContract is issue #11's contract, in local mode: `secrets set SERVICE NAME --env dev --stdin` reads the
// value from standard input and creates the secret for a demo service; `secrets ls --service SERVICE --json` lists
// it by name, with no value; afterwards no file under DIR, and nothing the commands printed, holds the value. Logs are
// at debug level throughout, so that no level hides one.
func TestSecretsContract(t *testing.T) {
	t.Setenv("ATRIUM_LOG", "debug")
	dir := t.TempDir()
	value := uniqueValue(t, "contract")
	var printed []result
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := atriumRunIn(t, strings.NewReader(stdin), append(args, "--data", dir)...)
		printed = append(printed, r)
		return r
	}

	r := run(value+"\n", "secrets", "set", "checkout-web", "db-password", "--env", "dev", "--stdin")
	if r.code != 0 || !strings.Contains(r.out, "done: checkout-web/db-password created in dev") {
		t.Fatalf("set: %+v", r)
	}
	r = run("", "secrets", "ls", "--service", "checkout-web", "--json")
	var list struct {
		Secrets []struct {
			ID, Name, Service, Team string
			Locations               []struct{ Environment, Region, Backend, Version string }
			Missing                 []struct{ Environment, Region string }
		}
	}
	if err := json.Unmarshal([]byte(r.out), &list); r.code != 0 || err != nil {
		t.Fatalf("ls --json: %+v %v", r, err)
	}
	if len(list.Secrets) != 1 || list.Secrets[0].Name != "db-password" || list.Secrets[0].Team != "payments" ||
		len(list.Secrets[0].Locations) != 2 || list.Secrets[0].Locations[0].Backend != "local" {
		t.Fatalf("ls --json lists %+v", list.Secrets)
	}
	// Required in production, where it is not: missing in both of production's regions.
	if m := list.Secrets[0].Missing; len(m) != 2 || m[0].Environment != "production" {
		t.Errorf("missing %+v", m)
	}
	if r := run("", "secrets", "ls"); r.code != 0 || !strings.Contains(r.out, "db-password") ||
		!strings.Contains(r.out, "dev/eu-west-1, dev/us-east-1") {
		t.Errorf("ls: %+v", r)
	}

	for _, p := range printed {
		for _, f := range forms(value) {
			if bytes.Contains([]byte(p.out+p.stderr), f) {
				t.Errorf("a command printed the value: %+v", p)
			}
		}
	}
	if n := scanDir(t, dir, value); n < 4 {
		t.Fatalf("scanned %d files: the portal's and the replica's databases, the vault and its key at least", n)
	}
	for _, f := range []string{"portal.db", "replica.db", "secrets-vault.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("expected %s to be scanned: %v", f, err)
		}
	}

	t.Run("reveal shows it once, where the conventions allow; rotate and rm", func(t *testing.T) {
		r := run("", "secrets", "reveal", "checkout-web", "db-password", "--env", "dev", "--region", "eu-west-1",
			"--reason", "contract test")
		if r.code != 0 || strings.TrimSpace(r.out) != value {
			t.Fatalf("reveal: %+v", r)
		}
		r = run("", "secrets", "reveal", "checkout-web", "db-password", "--env", "dev", "--reason", "x")
		if r.code != 1 || !strings.Contains(r.stderr, "region: required") {
			t.Errorf("reveal in two regions without --region: %+v", r)
		}
		r = run("", "secrets", "reveal", "checkout-web", "db-password", "--env", "dev", "--region", "eu-west-1")
		if r.code != 2 || !strings.Contains(r.stderr, "reason") {
			t.Errorf("reveal without a reason: %+v", r)
		}
		second := uniqueValue(t, "rotated")
		r = run(second, "secrets", "rotate", "checkout-web", "db-password", "--env", "dev", "--region", "us-east-1", "--stdin")
		if r.code != 0 || !strings.Contains(r.out, "rotated in dev") {
			t.Fatalf("rotate: %+v", r)
		}
		r = run("", "secrets", "reveal", "checkout-web", "db-password", "--env", "dev", "--region", "us-east-1",
			"--reason", "check the rotation")
		if r.code != 0 || strings.TrimSpace(r.out) != second {
			t.Fatalf("reveal after rotate: %+v", r)
		}
		r = run("", "secrets", "rm", "checkout-web", "db-password", "--env", "dev", "--region", "eu-west-1")
		if r.code != 0 || !strings.Contains(r.out, "deleted in dev") {
			t.Fatalf("rm: %+v", r)
		}
		r = run("", "secrets", "ls", "--service", "checkout-web", "--json")
		var after struct {
			Secrets []struct {
				Locations []struct{ Environment, Region string }
			}
		}
		if err := json.Unmarshal([]byte(r.out), &after); err != nil || len(after.Secrets) != 1 ||
			len(after.Secrets[0].Locations) != 1 || after.Secrets[0].Locations[0].Region != "us-east-1" {
			t.Errorf("after rm of eu-west-1: %s", r.out)
		}
		scanDir(t, dir, value, second)
	})

	t.Run("bad input: a clear error, nothing stored", func(t *testing.T) {
		big := strings.Repeat("x", 64<<10+1)
		for _, c := range []struct {
			name, stdin string
			args        []string
			code        int
			want        string
		}{
			{"empty value", "\n", []string{"checkout-web", "api-key", "--env", "dev", "--stdin"}, 1, "value: required"},
			{"oversized value", big, []string{"checkout-web", "api-key", "--env", "dev", "--stdin"}, 1, "the conventions allow at most 65536"},
			{"name breaking the convention", "v", []string{"checkout-web", "API_KEY", "--env", "dev", "--stdin"}, 1, "breaks the naming convention"},
			{"unknown environment", "v", []string{"checkout-web", "api-key", "--env", "qa", "--stdin"}, 1, `unknown environment "qa"`},
			{"a library deployed nowhere", "v", []string{"payments-sdk-js", "api-key", "--env", "staging", "--stdin"}, 1, "is not deployed in staging"},
			{"no such service", "v", []string{"no-such-service", "api-key", "--env", "dev", "--stdin"}, 1, `no service "no-such-service"`},
			{"a value as an argument", "", []string{"checkout-web", "api-key", "hunter2", "--env", "dev"}, 2, "SERVICE NAME"},
			{"no value source", "", []string{"checkout-web", "api-key", "--env", "dev"}, 2, "--stdin or --from-file"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := run(c.stdin, append([]string{"secrets", "set"}, c.args...)...)
				if r.code != c.code || !strings.Contains(r.stderr, c.want) {
					t.Errorf("got %d %q, want %d and %q", r.code, r.stderr, c.code, c.want)
				}
			})
		}
		r := run("", "secrets", "ls", "--service", "checkout-web", "--json")
		if strings.Contains(r.out, "api-key") {
			t.Errorf("a refused request stored something: %s", r.out)
		}
	})
}
