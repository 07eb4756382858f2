package problem_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sphera/atrium/internal/problem"
)

func TestProblems(t *testing.T) {
	warning := problem.Problem{Severity: problem.Warning, Summary: "go.mod skipped", Detail: "too large"}
	for _, tc := range []struct {
		name string
		ps   problem.Problems
		err  string // "" when Err is nil
	}{
		{"none", nil, ""},
		{"warnings refuse nothing", problem.Problems{warning}, ""},
		{"errors, with and without a path", problem.Problems{problem.At("", "invalid JSON"), warning,
			problem.Atf("params.name", "at most %d characters", 80)},
			"invalid JSON; go.mod skipped: too large; params.name: at most 80 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ps.Err()
			if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
				t.Fatalf("Err() = %v, want %q", err, tc.err)
			}
			if err == nil {
				return
			}
			// Wrapped with what was refused, the list is still found.
			var got problem.Problems
			if !errors.As(fmt.Errorf("invalid request: %w", err), &got) || len(got) != len(tc.ps) {
				t.Errorf("errors.As: %v", got)
			}
		})
	}
}

func TestAccumulateAndMove(t *testing.T) {
	var ps problem.Problems
	ps.Add("/state", "must be %q or %q", "ENABLED", "DISABLED")
	ps.Append(problem.At("", "missing \"variants\""))
	under := ps.Under("/flag")
	if under[0].Path != "/flag/state" || under[1].Path != "/flag" || ps[0].Path != "/state" {
		t.Errorf("Under: %+v (from %+v)", under, ps)
	}
	if !ps.HasErrors() || ps[0].Severity != problem.Error {
		t.Errorf("Add makes errors: %+v", ps)
	}
}
