package scaffold

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

var rawEnd = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)

// The subset of Nunjucks (Backstage's template language) Atrium reads, translated to text/template so that one
// renderer serves both formats: ${{ expression }} with filters, {% if %}/{% elif %}/{% else %}/{% endif %},
// {% raw %}…{% endraw %} and {# comments #}. An expression is a path (values.name, values['name'],
// parameters.owner), a string, number or boolean, followed by filters. Line numbers are kept, so an error in a
// translated file names the line of the original. Anything else is refused with its file and line.

// nunjucksFilters maps a Nunjucks filter to the function of Funcs it becomes, and how many arguments it takes.
var nunjucksFilters = map[string]struct {
	fn   string
	args int
}{
	"lower": {"lower", 0}, "upper": {"upper", 0}, "capitalize": {"capitalize", 0}, "title": {"title", 0},
	"trim": {"trim", 0}, "dump": {"toJson", 0}, "replace": {"replace", 2}, "default": {"default", 1},
	"d": {"default", 1}, "join": {"join", 1}, "parseRepoUrl": {"parseRepoUrl", 0}, "projectSlug": {"projectSlug", 0},
	"pick": {"pick", 1}, "safe": {"", 0},
}

// nexpr is a parsed Nunjucks expression.
type nexpr struct {
	path    []string // values.a['b'] → [values a b]; nil for a literal
	lit     any
	filters []nfilter
}

type nfilter struct {
	name string
	args []any
}

// ncond is the condition of an if tag: [not] expr [(==|!=) literal].
type ncond struct {
	not bool
	e   nexpr
	op  string
	rhs any
}

type nparser struct {
	s   string
	pos int
}

func (p *nparser) ws() {
	for p.pos < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *nparser) peek(tok string) bool {
	p.ws()
	return strings.HasPrefix(p.s[p.pos:], tok)
}

func (p *nparser) eat(tok string) bool {
	if p.peek(tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *nparser) ident() string {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.pos > start && c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

// literal reads a string, number or boolean.
func (p *nparser) literal() (any, bool) {
	p.ws()
	if p.pos >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.pos]; {
	case c == '\'' || c == '"':
		var b strings.Builder
		for i := p.pos + 1; i < len(p.s); i++ {
			switch p.s[i] {
			case '\\':
				if i+1 < len(p.s) {
					i++
					b.WriteByte(p.s[i])
				}
			case c:
				p.pos = i + 1
				return b.String(), true
			default:
				b.WriteByte(p.s[i])
			}
		}
		return nil, false
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.pos++
		for p.pos < len(p.s) && (p.s[p.pos] >= '0' && p.s[p.pos] <= '9' || p.s[p.pos] == '.') {
			p.pos++
		}
		if n, err := strconv.ParseInt(p.s[start:p.pos], 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(p.s[start:p.pos], 64); err == nil {
			return f, true
		}
		p.pos = start
		return nil, false
	}
	save := p.pos
	switch p.ident() {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	p.pos = save
	return nil, false
}

func (p *nparser) expr() (nexpr, error) {
	var e nexpr
	if lit, ok := p.literal(); ok {
		e.lit = lit
	} else {
		id := p.ident()
		if id == "" {
			return e, fmt.Errorf("expected a value at %q", rest(p.s[p.pos:]))
		}
		e.path = []string{id}
		for {
			if p.eat(".") {
				seg := p.ident()
				if seg == "" {
					return e, fmt.Errorf("expected a name after '.' at %q", rest(p.s[p.pos:]))
				}
				e.path = append(e.path, seg)
			} else if p.eat("[") {
				key, ok := p.literal()
				if !ok || !p.eat("]") {
					return e, fmt.Errorf("only a string or number may go between [ and ], at %q", rest(p.s[p.pos:]))
				}
				e.path = append(e.path, fmt.Sprint(key))
			} else {
				break
			}
		}
	}
	for p.eat("|") {
		name := p.ident()
		f, ok := nunjucksFilters[name]
		if !ok {
			return e, fmt.Errorf("filter %q is not supported (supported: %s)", name, strings.Join(sortedKeys(nunjucksFilters), ", "))
		}
		call := nfilter{name: name}
		if p.eat("(") {
			for !p.eat(")") {
				lit, ok := p.literal()
				if !ok {
					return e, fmt.Errorf("filter %s: arguments must be strings, numbers or booleans, at %q", name, rest(p.s[p.pos:]))
				}
				call.args = append(call.args, lit)
				if !p.eat(",") && !p.peek(")") {
					return e, fmt.Errorf("filter %s: expected , or ) at %q", name, rest(p.s[p.pos:]))
				}
			}
		}
		if len(call.args) != f.args && !(name == "join" && len(call.args) == 0) {
			return e, fmt.Errorf("filter %s takes %d argument(s)", name, f.args)
		}
		if name == "join" && len(call.args) == 0 {
			call.args = []any{""}
		}
		e.filters = append(e.filters, call)
	}
	return e, nil
}

func rest(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// parseExpr parses a whole expression.
func parseExpr(s string) (nexpr, error) {
	p := &nparser{s: s}
	e, err := p.expr()
	if err != nil {
		return e, err
	}
	if p.ws(); p.pos != len(p.s) {
		return e, fmt.Errorf("unexpected %q (only paths, literals and filters are supported)", rest(p.s[p.pos:]))
	}
	return e, nil
}

func parseCond(s string) (ncond, error) {
	p := &nparser{s: s}
	var c ncond
	save := p.pos
	if p.ident() == "not" {
		c.not = true
	} else {
		p.pos = save
	}
	var err error
	if c.e, err = p.expr(); err != nil {
		return c, err
	}
	for _, op := range []string{"===", "!==", "==", "!="} {
		if p.eat(op) {
			c.op = op[:2]
			rhs, ok := p.literal()
			if !ok {
				return c, fmt.Errorf("compare with a string, number or boolean only")
			}
			c.rhs = rhs
			break
		}
	}
	if p.ws(); p.pos != len(p.s) {
		return c, fmt.Errorf("unexpected %q in a condition (supported: [not] value [== or != literal])", rest(p.s[p.pos:]))
	}
	return c, nil
}

// goLiteral is v as a text/template constant.
func goLiteral(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// translate turns e into a text/template pipeline over a data root holding root (Backstage skeletons see values).
func (e nexpr) translate(roots ...string) (string, error) {
	var b strings.Builder
	if e.path == nil {
		b.WriteString(goLiteral(e.lit))
	} else {
		ok := false
		for _, r := range roots {
			ok = ok || e.path[0] == r
		}
		if !ok {
			return "", fmt.Errorf("%s is not available here (skeleton files see %s, as in Backstage)", e.path[0], strings.Join(roots, ", "))
		}
		idents := true
		for _, s := range e.path {
			idents = idents && paramName(s)
		}
		if idents {
			b.WriteString("." + strings.Join(e.path, "."))
		} else {
			b.WriteString("(index .")
			for _, s := range e.path {
				b.WriteString(" " + strconv.Quote(s))
			}
			b.WriteString(")")
		}
	}
	for _, f := range e.filters {
		fn := nunjucksFilters[f.name].fn
		if fn == "" {
			continue
		}
		b.WriteString(" | " + fn)
		for _, a := range f.args {
			b.WriteString(" " + goLiteral(a))
		}
	}
	return b.String(), nil
}

func (c ncond) translate(roots ...string) (string, error) {
	x, err := c.e.translate(roots...)
	if err != nil {
		return "", err
	}
	if c.op != "" {
		fn := "eq"
		if c.op == "!=" {
			fn = "ne"
		}
		x = fmt.Sprintf("%s (%s) %s", fn, x, goLiteral(c.rhs))
	}
	if c.not {
		x = "not (" + x + ")"
	}
	return x, nil
}

// translateNunjucks turns a Backstage skeleton file (or file name) into text/template source. name is used in
// messages, "skeleton/README.md:12: ...".
func translateNunjucks(name, src string, roots ...string) (string, error) {
	var out strings.Builder
	line := func(pos int) int { return strings.Count(src[:pos], "\n") + 1 }
	fail := func(pos int, format string, args ...any) error {
		return fmt.Errorf("template: %s:%d: %s", name, line(pos), fmt.Sprintf(format, args...))
	}
	// literal writes text, escaping what text/template would read as an action.
	literal := func(s string) { out.WriteString(strings.ReplaceAll(s, "{{", `{{"{{"}}`)) }
	// action writes a text/template action, keeping the newlines of the original tag.
	action := func(trimL bool, body string, trimR bool, orig string) {
		out.WriteString("{{")
		if trimL {
			out.WriteString("- ")
		}
		out.WriteString(body)
		out.WriteString(strings.Repeat("\n", strings.Count(orig, "\n")))
		if trimR {
			out.WriteString(" -")
		}
		out.WriteString("}}")
	}
	type open struct{ pos int }
	var ifs []open
	i := 0
	for i < len(src) {
		j := indexAny(src[i:], "${{", "{{", "{%", "{#")
		if j < 0 {
			literal(src[i:])
			break
		}
		j += i
		switch {
		case strings.HasPrefix(src[j:], "${{"):
			literal(src[i:j])
			end := strings.Index(src[j+3:], "}}")
			if end < 0 {
				return "", fail(j, "${{ is not closed")
			}
			inner := src[j+3 : j+3+end]
			trimL, trimR := strings.HasPrefix(inner, "-"), strings.HasSuffix(inner, "-")
			e, err := parseExpr(strings.TrimSuffix(strings.TrimPrefix(inner, "-"), "-"))
			if err != nil {
				return "", fail(j, "%v", err)
			}
			x, err := e.translate(roots...)
			if err != nil {
				return "", fail(j, "%v", err)
			}
			action(trimL, x, trimR, inner)
			i = j + 3 + end + 2
		case strings.HasPrefix(src[j:], "{{"):
			// Backstage's variables start with ${{; a bare {{ is text (a GitHub Actions expression, a Helm chart).
			literal(src[i : j+2])
			i = j + 2
		case strings.HasPrefix(src[j:], "{#"):
			literal(src[i:j])
			end := strings.Index(src[j+2:], "#}")
			if end < 0 {
				return "", fail(j, "{# is not closed")
			}
			out.WriteString("{{/*" + strings.ReplaceAll(src[j+2:j+2+end], "*/", "* /") + "*/}}")
			i = j + 2 + end + 2
		default: // {%
			literal(src[i:j])
			end := strings.Index(src[j+2:], "%}")
			if end < 0 {
				return "", fail(j, "{%% is not closed")
			}
			inner := src[j+2 : j+2+end]
			trimL, trimR := strings.HasPrefix(inner, "-"), strings.HasSuffix(inner, "-")
			tag := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(inner, "-"), "-"))
			kw, arg, _ := strings.Cut(tag, " ")
			kw = strings.TrimSpace(kw)
			next := j + 2 + end + 2
			switch kw {
			case "raw":
				k := rawEnd.FindStringIndex(src[next:])
				if k == nil {
					return "", fail(j, "{%% raw %%} has no {%% endraw %%}")
				}
				literal(src[next : next+k[0]])
				next += k[1]
			case "if", "elif", "elseif":
				c, err := parseCond(arg)
				if err != nil {
					return "", fail(j, "%s: %v", kw, err)
				}
				x, err := c.translate(roots...)
				if err != nil {
					return "", fail(j, "%v", err)
				}
				if kw == "if" {
					ifs = append(ifs, open{j})
					action(trimL, "if "+x, trimR, inner)
				} else {
					if len(ifs) == 0 {
						return "", fail(j, "{%% %s %%} outside {%% if %%}", kw)
					}
					action(trimL, "else if "+x, trimR, inner)
				}
			case "else":
				if len(ifs) == 0 {
					return "", fail(j, "{%% else %%} outside {%% if %%}")
				}
				action(trimL, "else", trimR, inner)
			case "endif":
				if len(ifs) == 0 {
					return "", fail(j, "{%% endif %%} without {%% if %%}")
				}
				ifs = ifs[:len(ifs)-1]
				action(trimL, "end", trimR, inner)
			default:
				return "", fail(j, "{%% %s %%} is not supported (supported: if, elif, else, endif, raw)", kw)
			}
			i = next
		}
	}
	if len(ifs) > 0 {
		return "", fail(ifs[len(ifs)-1].pos, "{%% if %%} has no {%% endif %%}")
	}
	return out.String(), nil
}

// indexAny is the first index in s of any of the tokens, -1 for none.
func indexAny(s string, toks ...string) int {
	best := -1
	for _, t := range toks {
		if i := strings.Index(s, t); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// evalString evaluates a Backstage step input: a string that is one ${{ expression }} keeps the type of its value
// (a list stays a list), one with text around expressions is interpolated into a string; a string without any is
// itself. Lists and maps are evaluated element by element.
func evalInput(v any, ctx map[string]any) (any, error) {
	switch v := v.(type) {
	case string:
		return evalString(v, ctx)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = evalInput(e, ctx); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			var err error
			if out[k], err = evalInput(v[k], ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
		}
		return out, nil
	}
	return v, nil
}

func evalString(s string, ctx map[string]any) (any, error) {
	trim := strings.TrimSpace(s)
	if strings.HasPrefix(trim, "${{") && strings.HasSuffix(trim, "}}") && strings.Count(trim, "${{") == 1 {
		e, err := parseExpr(strings.TrimSpace(trim[3 : len(trim)-2]))
		if err != nil {
			return nil, err
		}
		return e.eval(ctx)
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("${{ is not closed")
		}
		e, err := parseExpr(s[i+3 : i+end])
		if err != nil {
			return nil, err
		}
		v, err := e.eval(ctx)
		if err != nil {
			return nil, err
		}
		b.WriteString(s[:i])
		b.WriteString(display(v))
		s = s[i+end+2:]
	}
}

// display prints a value as Nunjucks would: lists joined with commas, nothing for undefined.
func display(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = display(e)
		}
		return strings.Join(parts, ",")
	case map[string]any, map[string]string:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(v)
}

// eval computes e over ctx; a missing key is undefined (nil), as in Nunjucks.
func (e nexpr) eval(ctx map[string]any) (any, error) {
	v := e.lit
	if e.path != nil {
		var cur any = ctx
		for _, seg := range e.path {
			switch m := cur.(type) {
			case map[string]any:
				cur = m[seg]
			case map[string]string:
				cur = m[seg]
			default:
				cur = nil
			}
		}
		v = cur
	}
	funcs := Funcs()
	for _, f := range e.filters {
		name := nunjucksFilters[f.name].fn
		if name == "" {
			continue
		}
		fn := reflect.ValueOf(funcs[name])
		args := append(append([]any{}, f.args...), v)
		if fn.Type().NumIn() != len(args) {
			return nil, fmt.Errorf("filter %s: wrong number of arguments", f.name)
		}
		in := make([]reflect.Value, len(args))
		for i, a := range args {
			want := fn.Type().In(i)
			if a == nil {
				a = ""
			}
			av := reflect.ValueOf(a)
			if !av.Type().AssignableTo(want) {
				if av.Type().ConvertibleTo(want) && av.Kind() == want.Kind() {
					av = av.Convert(want)
				} else if want.Kind() == reflect.String {
					av = reflect.ValueOf(display(a))
				} else if want.Kind() == reflect.Int && av.CanInt() {
					av = reflect.ValueOf(int(av.Int()))
				} else {
					return nil, fmt.Errorf("filter %s: cannot take %T", f.name, a)
				}
			}
			in[i] = av
		}
		res := fn.Call(in)
		if len(res) == 2 && !res[1].IsNil() {
			return nil, res[1].Interface().(error)
		}
		v = res[0].Interface()
	}
	return v, nil
}
