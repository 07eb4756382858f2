// Package goawstest runs goaws, an SQS and SNS emulator, for tests: one process per region on a free port of
// 127.0.0.1, built from the Go module proxy by the module in bin/ — kept apart so that goaws's dependencies never
// enter Atrium's go.mod — into the user's cache directory (outside the repository) when missing.
//
// bin/ builds goaws's own command with one change: it listens on 127.0.0.1 only, where goaws's cmd listens on
// every interface. goaws answers errors with the old query-protocol codes
// (AWS.SimpleQueueService.NonExistentQueue), so code under test matches on smithy.APIError.ErrorCode() with both
// spellings.
package goawstest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sphera/atrium/internal/testbin"
)

// Version of goaws that the tests run (bin/go.mod pins it).
const Version = "v0.5.4"

// AccountID of the emulated account.
const AccountID = "100010001000"

var (
	installOnce sync.Once
	installPath string
	installErr  error
)

// Install returns the goaws binary, building it from bin/ into the user's cache when this build is not there yet
// (seconds; see package testbin). Concurrent test binaries wait for one build.
func Install() (string, error) {
	installOnce.Do(func() {
		mod, err := testbin.ModuleNextTo("bin")
		if err != nil {
			installErr = err
			return
		}
		p := testbin.Program{Name: "goaws", Module: mod, Files: []string{"go.mod", "go.sum", "goaws/main.go"}, Pkg: "./goaws"}
		installPath, installErr = p.Binary()
	})
	return installPath, installErr
}

// Server is one goaws process, emulating one region.
type Server struct {
	URL    string // http://127.0.0.1:port
	Region string
	cmd    *exec.Cmd
	log    string
}

// Start builds goaws if needed and starts it for region; the process is stopped when the test ends. A test that
// needs goaws fails when it cannot be built: the tests using it build with the integration tag, which `task test`
// and CI set, and must never pass by being skipped there.
func Start(t testing.TB, region string) *Server {
	t.Helper()
	bin, err := Install()
	if err != nil {
		t.Fatalf("goaws %s is not built and could not be built (it is built from the Go module proxy): %v", Version, err)
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf(`Test:
  Host: 127.0.0.1
  Port: %d
  Region: %s
  AccountId: "%s"
  LogToFile: false
  EnableDuplicates: false
  QueueAttributeDefaults:
    VisibilityTimeout: 30
    ReceiveMessageWaitTimeSeconds: 0
    MaximumMessageSize: 262144
  Queues: []
  Topics: []
`, port, region, AccountID)
	cfgPath := filepath.Join(dir, "goaws.yaml")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "goaws.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgPath, "-loglevel", "warn", "Test")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start goaws: %v", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Region: region, cmd: cmd, log: logPath}
	t.Cleanup(func() {
		// Kill fails only if goaws exited already, and Wait then reports how it ended: either way it is gone, and
		// the log below tells why if the test failed. The log file is only read after this, by path.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("goaws %s log:\n%.4000s", region, b)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("goaws did not become ready on %s: %v\n%s", s.URL, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// Credentials are the static fake credentials the emulator accepts (it checks none).
var Credentials = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

// AWSConfig is an SDK configuration for the emulator's region with fake credentials.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{Region: s.Region, Credentials: Credentials}
}

// SQS is an SQS client of the emulator.
func (s *Server) SQS() *sqs.Client {
	return sqs.NewFromConfig(s.AWSConfig(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// SNS is an SNS client of the emulator.
func (s *Server) SNS() *sns.Client {
	return sns.NewFromConfig(s.AWSConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(s.URL) })
}
