// Package pgtest runs a real PostgreSQL server for tests: initdb into a temporary directory (as a non-root user when
// the tests run as root, since PostgreSQL refuses to run as root), postgres on a free port of 127.0.0.1 with its
// socket in that directory, once per test binary. Each test gets a database of its own, owned by a role that is
// not a superuser, as a managed PostgreSQL service would give a portal.
//
// A package using it calls Main from its TestMain, so the server is stopped and its directory removed when the
// tests end. The server starts on the first call of NewDatabase; tests that never ask pay nothing.
//
// The binaries come from Debian's postgresql package (PATH, then /usr/lib/postgresql/*/bin). Where they are
// missing the tests that need them are skipped with a message saying so — unless ATRIUM_TEST_POSTGRES=require, as
// CI sets it (its deps script installs the package), where they fail instead.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv names the variable that turns a missing PostgreSQL into a failure instead of a skip.
const RequireEnv = "ATRIUM_TEST_POSTGRES"

// AppRole is the role owning the test databases: it may create what a portal creates in its own database (tables,
// the trusted extension unaccent) and nothing more.
const AppRole = "portal"

// Server is a PostgreSQL server in a temporary directory.
type Server struct {
	Dir  string // holds data/, the socket and server.log
	Port int
	bin  string
	cred *syscall.Credential // the user the server runs as when the tests run as root

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exits
	n    int           // databases created
}

// Binaries returns the directory of initdb and postgres, or an error saying they are not installed.
func Binaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			if target, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Dir(target), nil
			}
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL is not installed (no initdb and postgres in PATH or /usr/lib/postgresql/*/bin): " +
		"install Debian's postgresql package (bash build/scripts/deps.sh test as root does)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start runs initdb into a new temporary directory and starts postgres on a free loopback port.
func Start() (*Server, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "atrium-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin}
	if err := s.init(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if s.Port, err = freePort(); err != nil {
			break
		}
		if err = s.Start(); err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// init runs initdb as a user PostgreSQL accepts.
func (s *Server) init() error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			if u, err = user.Lookup("nobody"); err != nil {
				return fmt.Errorf("running as root and neither user postgres nor nobody exists to run PostgreSQL as: %w", err)
			}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(s.Dir, uid, gid); err != nil {
			return err
		}
	}
	args := []string{"-D", filepath.Join(s.Dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync",
		"--encoding=UTF8"}
	out, err := s.command("initdb", append(args, "--locale=C.UTF-8")...).CombinedOutput()
	if err != nil {
		// A system without the C.UTF-8 locale: the C locale (ASCII case folding) is all the tests need.
		_ = os.RemoveAll(filepath.Join(s.Dir, "data"))
		if out2, err2 := s.command("initdb", append(args, "--no-locale")...).CombinedOutput(); err2 != nil {
			return fmt.Errorf("initdb: %w\n%s\n%s", err2, out, out2)
		}
	}
	return nil
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	return cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close() //nolint:errcheck // only its port number was wanted
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts (or, after Stop, restarts) the server on its port and waits until it accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("pgtest: server already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return err
	}
	defer logf.Close() //nolint:errcheck // the child holds its own descriptor
	cmd := s.command("postgres", "-D", filepath.Join(s.Dir, "data"), "-p", strconv.Itoa(s.Port), "-k", s.Dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=400", "-c", "dynamic_shared_memory_type=mmap",
		"-c", "shared_buffers=32MB", "-c", "log_min_messages=warning")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.URL("postgres", "postgres"))
		if err == nil {
			_ = c.Close(ctx)
			cancel()
			break
		}
		cancel()
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
			return fmt.Errorf("postgres exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("postgres did not accept connections within a minute: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.cmd, s.done = cmd, done
	return nil
}

// Pid is the server's process id (the postmaster's), 0 while it is stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop shuts the server down (fast shutdown: open sessions are ended) and waits for it to exit.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
	return nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	return errors.Join(s.Stop(), os.RemoveAll(s.Dir))
}

// URL is the connection URL of database db as role.
func (s *Server) URL(role, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, s.Port, db)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// CreateDatabase creates an empty database owned by AppRole, named after hint, and returns its URL as AppRole.
func (s *Server) CreateDatabase(ctx context.Context, hint string) (string, error) {
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("t%d_%s", s.n, unsafeName.ReplaceAllString(strings.ToLower(hint), "_"))
	s.mu.Unlock()
	if len(name) > 60 {
		name = name[:60]
	}
	c, err := pgx.Connect(ctx, s.URL("postgres", "postgres"))
	if err != nil {
		return "", err
	}
	defer c.Close(ctx) //nolint:errcheck // an administrative connection; nothing to flush
	// Roles are per server: the first database creates it, later ones find it.
	if _, err := c.Exec(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+AppRole+`') THEN CREATE ROLE `+AppRole+` LOGIN; END IF;
		END $$`); err != nil {
		return "", fmt.Errorf("create role %s: %w", AppRole, err)
	}
	if _, err := c.Exec(ctx, `CREATE DATABASE `+name+` OWNER `+AppRole+` TEMPLATE template0`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.URL(AppRole, name), nil
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Main runs the package's tests, stops the shared server if a test started it, and exits.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain with cleanup of its own: it returns the exit code instead of exiting.
func Run(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop PostgreSQL:", err)
		}
	}
	return code
}

// Shared returns the test binary's server, starting it on first use. Without PostgreSQL installed it skips t (fails
// it with ATRIUM_TEST_POSTGRES=require).
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Start() })
	if shared.err != nil {
		if os.Getenv(RequireEnv) == "require" {
			t.Fatalf("PostgreSQL is required (%s=require): %v", RequireEnv, shared.err)
		}
		t.Skipf("skipped: needs PostgreSQL: %v", shared.err)
	}
	return shared.srv
}

// NewDatabase returns the URL of a new empty database on the shared server (see Shared).
func NewDatabase(t testing.TB) string {
	t.Helper()
	srv := Shared(t)
	url, err := srv.CreateDatabase(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return url
}
