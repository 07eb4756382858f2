package cli

import (
	"testing"

	"github.com/sphera/atrium/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server that the migrate tests started.
func TestMain(m *testing.M) { pgtest.Main(m) }
