package gitops

import (
	"fmt"
	"regexp"
	"strings"
)

// Layout is where a repository keeps the files of a place: a directory template whose segments are literal or a
// placeholder ({environment}, {region}, {cluster}, {service}, {namespace}) standing for one path segment, e.g.
// "clusters/{cluster}" or "envs/{environment}/{region}/{service}". Every file below a matching directory belongs
// to the place the placeholders name.
type Layout struct {
	segs []string
}

var placeholder = regexp.MustCompile(`^\{(environment|region|cluster|service|namespace)\}$`)

// ParseLayout reads a layout template.
func ParseLayout(t string) (Layout, error) {
	t = strings.Trim(t, "/")
	if t == "" {
		return Layout{}, nil // the whole repository, one place
	}
	segs := strings.Split(t, "/")
	for _, s := range segs {
		switch {
		case s == "" || s == "." || s == "..":
			return Layout{}, fmt.Errorf("layout %q: empty, . or .. segment", t)
		case strings.ContainsAny(s, "{}") && !placeholder.MatchString(s):
			return Layout{}, fmt.Errorf("layout %q: %q is not one of {environment}, {region}, {cluster}, {service}, {namespace}", t, s)
		}
	}
	return Layout{segs: segs}, nil
}

// Prefix is the literal directory before the first placeholder: only files under it can match.
func (l Layout) Prefix() string {
	var lit []string
	for _, s := range l.segs {
		if strings.HasPrefix(s, "{") {
			break
		}
		lit = append(lit, s)
	}
	if len(lit) == 0 {
		return ""
	}
	return strings.Join(lit, "/") + "/"
}

// Match says whether the file at p lies under the layout, and what its placeholders stand for.
func (l Layout) Match(p string) (map[string]string, bool) {
	parts := strings.Split(p, "/")
	if len(parts) <= len(l.segs) { // the file itself must be below the directory
		return nil, false
	}
	vars := map[string]string{}
	for i, s := range l.segs {
		if strings.HasPrefix(s, "{") {
			vars[strings.Trim(s, "{}")] = parts[i]
			continue
		}
		if parts[i] != s {
			return nil, false
		}
	}
	return vars, true
}

// Dir is the directory of the layout for vars (the gitops path the fix of a missing copy writes to).
func (l Layout) Dir(vars map[string]string) string {
	out := make([]string, len(l.segs))
	for i, s := range l.segs {
		if strings.HasPrefix(s, "{") {
			out[i] = vars[strings.Trim(s, "{}")]
		} else {
			out[i] = s
		}
	}
	return strings.Join(out, "/")
}
