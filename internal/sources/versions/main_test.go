package versions_test

import (
	"testing"

	"github.com/sphera/atrium/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server that tests on that engine started (storetest, ATRIUM_TEST_ENGINE).
func TestMain(m *testing.M) { pgtest.Main(m) }
