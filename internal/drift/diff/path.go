package diff

import (
	"fmt"
	"strconv"
	"strings"
)

// A Path names a field of an object: map keys, list items by name ([api]) or position ([0]).
//
//	spec.replicas
//	spec.template.spec.containers[api].image
//	metadata.labels["app.kubernetes.io/version"]
//
// In ignore rules and projections a segment may be "*" (any key) or "[*]" (any item).
type Path []Seg

// Seg is one step of a Path.
type Seg struct {
	Key   string // a map key; "" for a list item
	Name  string // a list item by its "name"
	Index int    // a list item by position, when Name is "" and Key is ""
	Item  bool   // a list item (by Name or Index)
	Any   bool   // a wildcard: any key ("*") or any item ("[*]")
}

func (s Seg) String() string {
	switch {
	case s.Item && s.Any:
		return "[*]"
	case s.Item && s.Name != "":
		if _, err := strconv.Atoi(s.Name); err != nil && s.Name != "*" && !strings.ContainsAny(s.Name, `[]"`) {
			return "[" + s.Name + "]"
		}
		return "[" + strconv.Quote(s.Name) + "]"
	case s.Item:
		return "[" + strconv.Itoa(s.Index) + "]"
	case s.Any:
		return "*"
	case plainKey(s.Key):
		return s.Key
	}
	return "[" + strconv.Quote(s.Key) + "]"
}

// plainKey reports whether a key can be written bare in a dotted path.
func plainKey(k string) bool {
	if k == "" || k == "*" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '/') {
			return false
		}
	}
	return !(k[0] >= '0' && k[0] <= '9')
}

// String writes the path as it is parsed: spec.template.spec.containers[api].image.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		str := s.String()
		if i > 0 && !strings.HasPrefix(str, "[") {
			b.WriteByte('.')
		}
		b.WriteString(str)
	}
	return b.String()
}

// with is p followed by s. It appends in place when p has room: callers walking a tree depth-first may reuse one
// buffer, and must clone (Clone) a path they keep.
func (p Path) with(s Seg) Path { return append(p, s) }

// Clone is a copy of p that shares nothing with it.
func (p Path) Clone() Path { return append(Path(nil), p...) }

// ParsePath reads a dotted path: keys separated by dots, list items in brackets — [name], [0], [*], or a quoted
// key or name (["app.kubernetes.io/name"]) — and "*" for any key.
func ParsePath(s string) (Path, error) {
	var p Path
	i := 0
	for i < len(s) {
		switch s[i] {
		case '.':
			if i == 0 || i == len(s)-1 || s[i+1] == '.' {
				return nil, fmt.Errorf("path %q: empty segment", s)
			}
			i++
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: [ without ]", s)
			}
			inner := s[i+1 : i+end]
			if strings.HasPrefix(inner, `"`) {
				// A quoted key may hold ']': find the closing quote first.
				q, err := strconv.QuotedPrefix(s[i+1:])
				if err != nil {
					return nil, fmt.Errorf("path %q: %w", s, err)
				}
				if !strings.HasPrefix(s[i+1+len(q):], "]") {
					return nil, fmt.Errorf("path %q: ] expected after %s", s, q)
				}
				v, _ := strconv.Unquote(q)
				// A quoted segment is a map key, and matches a list item of that name too: the path alone does
				// not say which the object holds there.
				p = append(p, Seg{Key: v, Name: v})
				i += 1 + len(q) + 1
				continue
			}
			switch inner {
			case "*":
				p = append(p, Seg{Item: true, Any: true})
			case "":
				return nil, fmt.Errorf("path %q: empty []", s)
			default:
				if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
					p = append(p, Seg{Item: true, Index: n})
				} else {
					p = append(p, Seg{Item: true, Name: inner})
				}
			}
			i += end + 1
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			k := s[i:j]
			if k == "*" {
				p = append(p, Seg{Any: true})
			} else {
				p = append(p, Seg{Key: k})
			}
			i = j
		}
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("path %q: empty", s)
	}
	return p, nil
}

// matches reports whether the concrete segment c (of an object) is matched by the pattern segment s.
func (s Seg) matches(c Seg) bool {
	if s.Any {
		return s.Item == c.Item
	}
	if c.Item {
		if s.Item {
			if c.Name != "" {
				return s.Name == c.Name
			}
			return s.Name == "" && s.Index == c.Index
		}
		return s.Name != "" && s.Name == c.Name // a quoted segment names an item too
	}
	return !s.Item && s.Key == c.Key
}

// Matches reports whether the concrete path c is pattern p or lies under it.
func (p Path) Matches(c Path) bool {
	if len(c) < len(p) {
		return false
	}
	for i, s := range p {
		if !s.matches(c[i]) {
			return false
		}
	}
	return true
}

// leadsTo reports whether the concrete path c is a prefix of something pattern p matches (c may contain it).
func (p Path) leadsTo(c Path) bool {
	n := min(len(c), len(p))
	for i := 0; i < n; i++ {
		if !p[i].matches(c[i]) {
			return false
		}
	}
	return true
}
