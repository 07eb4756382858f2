package flags

import (
	"strings"
	"unsafe"

	"golang.org/x/mod/semver"
)

// semverOps are the operators of sem_ver, flagd's custom operation [version, operator, version]: comparisons, and
// ^ (same major) and ~ (same major and minor).
var semverOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "^": true, "~": true}

type semverNode struct {
	args   []node
	target string // normalised literal target, when the target is a literal
}

func (c *compiler) semver(args []any, path string, single bool) node {
	nodes := c.compileArgs(args, path, single)
	n := &semverNode{args: nodes}
	if len(args) != 3 {
		c.problem(path, "sem_ver takes exactly three arguments: [version, operator, version]")
		return n
	}
	if op, ok := args[1].(string); ok {
		if !semverOps[op] {
			c.problem(childIndex(path, 1), "unknown sem_ver operator %q (use =, !=, <, <=, >, >=, ^ or ~)", op)
		}
	} else if _, isExpr := args[1].(map[string]any); !isExpr {
		c.problem(childIndex(path, 1), "the sem_ver operator must be a string")
	}
	if l, ok := nodes[2].(lit); ok {
		if t, ok := normalizeVersion(l.v); ok {
			n.target = t
		} else {
			c.problem(childIndex(path, 2), "%q is not a semantic version", l.v.str())
		}
	}
	return n
}

// normalizeVersion prefixes "v" (golang.org/x/mod/semver wants it) and checks validity, as flagd does; numbers
// are read in their decimal form, so 1.1 compares as "1.1".
func normalizeVersion(v val) (string, bool) {
	return normalizeVersionBuf(v, nil)
}

// normalizeVersionBuf is normalizeVersion writing a needed "v" prefix into buf, so that evaluating a context
// version allocates nothing; the result is valid until buf is reused.
func normalizeVersionBuf(v val, buf []byte) (string, bool) {
	var s string
	switch v.k {
	case kStr:
		s = v.s
	case kNum:
		s = formatNum(v.n)
	default:
		return "", false
	}
	if !strings.HasPrefix(s, "v") {
		s = strings.TrimPrefix(s, "V")
		if buf != nil && len(s)+1 <= cap(buf) {
			buf = append(append(buf[:0], 'v'), s...)
			s = unsafe.String(&buf[0], len(buf))
		} else {
			s = "v" + s
		}
	}
	if !semver.IsValid(s) {
		return "", false
	}
	return s, true
}

func (n *semverNode) eval(s *state) val {
	if len(n.args) != 3 {
		return null
	}
	av, opv := n.args[0].eval(s), n.args[1].eval(s)
	var bv val
	if n.target == "" {
		bv = n.args[2].eval(s)
	}
	a, ok := normalizeVersionBuf(av, s.vbuf[0][:0])
	if !ok {
		return null
	}
	if opv.k != kStr || !semverOps[opv.s] {
		return null
	}
	b := n.target
	if b == "" {
		if b, ok = normalizeVersionBuf(bv, s.vbuf[1][:0]); !ok {
			return null
		}
	}
	switch opv.s {
	case "^":
		return vBool(semver.Compare(semver.Major(a), semver.Major(b)) == 0)
	case "~":
		return vBool(semver.Compare(semver.MajorMinor(a), semver.MajorMinor(b)) == 0)
	}
	c := semver.Compare(a, b)
	switch opv.s {
	case "=":
		return vBool(c == 0)
	case "!=":
		return vBool(c != 0)
	case "<":
		return vBool(c < 0)
	case "<=":
		return vBool(c <= 0)
	case ">":
		return vBool(c > 0)
	}
	return vBool(c >= 0)
}
