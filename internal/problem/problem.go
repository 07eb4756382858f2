// Package problem is what Atrium reports when something needs a person's attention: a descriptor that does not
// parse, a dependency far behind, a flag definition whose default names no variant, a request field out of range.
// Problems accumulate, as terraform's tfdiags do: a check reports everything it finds rather than stopping at the
// first, and each problem says how serious it is, what is wrong, and where.
//
// One type serves them all; what differs is how they travel. A service's findings are stored and served as
// Problems (their JSON is the finding of the OpenAPI file). Problems that refuse an input are an error
// (Problems.Err), wrapped with what was refused ("invalid action request: nothing was stored: %w"); the API
// answers them 400 with one {"field", "problem"} per problem, in one place (backend/api/errors.go).
package problem

import (
	"fmt"
	"strings"
)

// Severity says how serious a problem is, from least to most.
type Severity string

// Severities.
const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error" // the input is refused, or (a finding) something is broken
)

// Problem is one thing a person can act on.
type Problem struct {
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	// Source says who found it: "descriptor", "github", a collector. Problems of an input leave it empty.
	Source string `json:"source"`
	// Path says where: a request field ("environment", "params.name", "grants[0].role") or a JSON Pointer into a
	// document ("/flags/checkout/defaultVariant"); "" for the input as a whole.
	Path string `json:"path,omitempty"`
}

// At is an error at path.
func At(path, summary string) Problem { return Problem{Severity: Error, Summary: summary, Path: path} }

// Atf is an error at path with a formatted summary.
func Atf(path, format string, args ...any) Problem { return At(path, fmt.Sprintf(format, args...)) }

// String is "path: summary", "summary" without a path, with the detail after a colon when there is one.
func (p Problem) String() string {
	s := p.Summary
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if p.Path == "" {
		return s
	}
	return p.Path + ": " + s
}

// Problems is a list of problems. As an error it reads as all of them; Err turns a list into an error only when it
// holds one.
type Problems []Problem

// Append adds problems to the list.
func (ps *Problems) Append(more ...Problem) { *ps = append(*ps, more...) }

// Add appends an error at path with a formatted summary.
func (ps *Problems) Add(path, format string, args ...any) { ps.Append(Atf(path, format, args...)) }

// HasErrors reports whether any problem is an error.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Err is the list as an error when it holds an error, else nil: warnings alone refuse nothing.
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return ps
}

// Error lists every problem, "; "-separated.
func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// Under is the list with prefix put before every path: problems of a flag definition at "/state" are at
// "/flag/state" of the request that carried it.
func (ps Problems) Under(prefix string) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		p.Path = prefix + p.Path
		out[i] = p
	}
	return out
}
