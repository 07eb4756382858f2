package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// params reads query parameters, collecting every problem so that one 400 names them all.
type params struct {
	v        url.Values
	problems problem.Problems
}

func newParams(v url.Values) *params { return &params{v: v} }

func (p *params) problem(field, format string, args ...any) {
	p.problems = append(p.problems, problem.Atf(field, format, args...))
}

// only reports parameters outside known; the local API's per-launch token may ride along on any call.
func (p *params) only(known ...string) {
	for k := range p.v {
		ok := k == "token"
		for _, x := range known {
			ok = ok || k == x
		}
		if !ok {
			p.problem(k, "unknown parameter")
		}
	}
}

// text reads a string of at most maxLen bytes.
func (p *params) text(name string, maxLen int) string {
	s := p.v.Get(name)
	if len(s) > maxLen {
		p.problem(name, "at most %d characters", maxLen)
	}
	return s
}

// list reads a comma-separated list (blank items dropped) of at most store.MaxListValues values.
func (p *params) list(name string) []string {
	var out []string
	for _, s := range strings.Split(p.v.Get(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) > store.MaxListValues {
		p.problem(name, "at most %d comma-separated values (%d given)", store.MaxListValues, len(out))
		return nil
	}
	return out
}

// oneOf reads a value that must be a key of allowed ("" when absent).
func (p *params) oneOf(name string, allowed map[string]string, say string) string {
	s := p.v.Get(name)
	if s == "" {
		return ""
	}
	if _, ok := allowed[s]; !ok {
		p.problem(name, "must be one of %s", say)
	}
	return s
}

// csv reads format=json|csv.
func (p *params) csv() bool {
	switch p.v.Get("format") {
	case "", "json":
		return false
	case "csv":
		return true
	}
	p.problem("format", "must be json or csv")
	return false
}

// intIn reads an integer from lo to hi, def when absent.
func (p *params) intIn(name string, lo, hi, def int, unit string) int {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		if unit != "" {
			unit = " (" + unit + ")"
		}
		p.problem(name, "must be an integer from %d to %d%s", lo, hi, unit)
		return def
	}
	return n
}

// page reads limit (1–1000, def when absent) and offset (≥ 0).
func (p *params) page(def int) (limit, offset int) {
	limit = p.intIn("limit", 1, 1000, def, "")
	if s := p.v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			p.problem("offset", "must be a non-negative integer")
		} else {
			offset = n
		}
	}
	return limit, offset
}

// desc reads order=asc|desc.
func (p *params) desc() bool {
	switch p.v.Get("order") {
	case "", "asc":
		return false
	case "desc":
		return true
	}
	p.problem("order", "must be asc or desc")
	return false
}

// boolean reads name=true|false (false when absent).
func (p *params) boolean(name string) bool {
	switch p.v.Get(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	p.problem(name, "must be true or false")
	return false
}

// err is the 400 naming every problem, or nil.
func (p *params) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return BadRequest("invalid query parameters", p.problems...)
}
