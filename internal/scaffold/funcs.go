package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"text/template"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Funcs are the functions a skeleton may call, besides text/template's builtins. They are pure: none reads the
// environment, a file or the network, so a template renders the same bytes wherever it runs. docs/templates.md
// lists them; the Backstage filters Atrium understands are translated to them.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"lower":      strings.ToLower,
		"upper":      strings.ToUpper,
		"title":      titleCase,
		"capitalize": capitalize,
		"kebab":      func(s string) string { return strings.Join(words(s), "-") },
		"snake":      func(s string) string { return strings.Join(words(s), "_") },
		"camel":      camel,
		"pascal":     pascal,
		"trim":       strings.TrimSpace,
		"replace":    func(from, to, s string) string { return strings.ReplaceAll(s, from, to) },
		"quote":      func(v any) string { return fmt.Sprintf("%q", fmt.Sprint(v)) },
		"default":    defaultValue,
		"join":       join,
		"indent":     indent,
		"toJson":     toJSON,
		"toYaml":     toYAML,
		"gha":        func(expr string) string { return "${{ " + expr + " }}" },
		// Backstage's filters.
		"parseRepoUrl": parseRepoURL,
		"projectSlug": func(repoURL string) (string, error) {
			m, err := parseRepoURL(repoURL)
			if err != nil {
				return "", err
			}
			return m["owner"] + "/" + m["repo"], nil
		},
		"pick": func(key string, m map[string]string) string { return m[key] },
	}
}

// words splits an identifier into lowercase words at dashes, underscores, spaces, dots and case changes:
// "OrdersAPI v2" → [orders api v2].
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && len(cur) > 0 && (unicode.IsLower(cur[len(cur)-1]) ||
			i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(cur[len(cur)-1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(strings.ToLower(s))
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// titleCase upper-cases the first letter of every space-separated word and leaves the rest: "orders api" →
// "Orders Api".
func titleCase(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		f[i] = string(r)
	}
	return strings.Join(f, " ")
}

func pascal(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		b.WriteString(capitalize(w))
	}
	return b.String()
}

func camel(s string) string {
	ws := words(s)
	if len(ws) == 0 {
		return ""
	}
	return ws[0] + pascal(strings.Join(ws[1:], " "))
}

// defaultValue is def when v is empty (nil, false, zero, "" or an empty list or map), else v:
// {{ default "8080" .port }}.
func defaultValue(def, v any) any {
	if v == nil {
		return def
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		if rv.Len() == 0 {
			return def
		}
	case reflect.Bool:
		if !rv.Bool() {
			return def
		}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
		if rv.IsZero() {
			return def
		}
	}
	return v
}

// join joins the elements of a list with sep: {{ join ", " .environments }}.
func join(sep string, list any) (string, error) {
	if list == nil {
		return "", nil
	}
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return "", fmt.Errorf("join: %T is not a list", list)
	}
	parts := make([]string, rv.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(rv.Index(i).Interface())
	}
	return strings.Join(parts, sep), nil
}

// indent puts n spaces before every non-empty line of s.
func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// toJSON is v as compact JSON, without HTML escaping: valid in JSON, YAML and most languages' string syntax.
func toJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("toJson: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// toYAML is v as YAML, without the trailing newline; combine with indent to nest it.
func toYAML(v any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toYaml: %w", err)
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// parseRepoURL reads Backstage's repository reference, "github.com?owner=sphera&repo=orders".
func parseRepoURL(s string) (map[string]string, error) {
	host, query, ok := strings.Cut(s, "?")
	q, err := url.ParseQuery(query)
	if !ok || err != nil || host == "" || q.Get("owner") == "" || q.Get("repo") == "" {
		return nil, fmt.Errorf("parseRepoUrl: %q is not HOST?owner=OWNER&repo=REPO", s)
	}
	return map[string]string{"host": host, "owner": q.Get("owner"), "repo": q.Get("repo")}, nil
}
