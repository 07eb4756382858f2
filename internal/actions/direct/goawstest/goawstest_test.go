//go:build integration

package goawstest_test

import (
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/sphera/atrium/internal/actions/direct/goawstest"
)

// goaws's own command listens on every interface; the one bin/ builds must answer on 127.0.0.1 alone. 127.0.0.2
// is another address of the loopback interface on Linux: a server bound to 0.0.0.0 answers there too, one bound
// to 127.0.0.1 refuses — so the check sends nothing off the machine.
func TestListensOnLoopbackOnly(t *testing.T) {
	s := goawstest.Start(t, "eu-west-1")
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("URL %s, want host 127.0.0.1", s.URL)
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", u.Port()), 2*time.Second)
	if err != nil {
		t.Fatalf("goaws does not answer on %s: %v", s.URL, err)
	}
	_ = c.Close()
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.2", u.Port()), 2*time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("goaws accepted a connection on 127.0.0.2:%s: it listens beyond 127.0.0.1", u.Port())
	}
}
