// Package diff compares an object as declared (config: a gitops manifest) with the object as it is live, as Argo
// CD's diff does: it normalises both first, so that what controllers and the API server add is not drift — status,
// managed fields and other server-set metadata, fields the API server defaults, spec.replicas when a
// HorizontalPodAutoscaler owns it, the order of lists whose items have names (containers, env, ports, volumes),
// quantities written differently ("1" and "1000m" CPU), and any path a per-kind ignore rule names. Fields the
// declaration does not set are not compared (another manager owns them); a list item the declaration does not have
// is (a sidecar someone added), unless a rule ignores it.
//
// Objects are unstructured (map[string]any, as YAML or JSON decode them). The functions are pure: the drift engine
// calls them for every declared workload of every cluster on each change, and benchmarks measure them.
package diff

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Options tune one comparison.
type Options struct {
	// Ignore are the paths not compared (the rules of the object's kind; see Rules.For).
	Ignore []Path
	// ReplicasOwned: a HorizontalPodAutoscaler targets the object, so spec.replicas is its, not the declaration's.
	ReplicasOwned bool
	// Only, when set, limits the comparison to these paths: the live object is a projection holding no other
	// fields (the Kubernetes collector keeps a few hundred bytes per workload), so a declared field outside them
	// is not missing live, it is unknown.
	Only []Path
}

// Field is one difference: where, what is declared and what is live, each rendered for a person ("(absent)" when
// a side has no value there). DesiredValue and LiveValue are the values themselves (nil when absent), for a fix
// that writes one into the other.
type Field struct {
	Path         string `json:"path"`
	Desired      string `json:"desired"`
	Live         string `json:"live"`
	DesiredValue any    `json:"-"`
	LiveValue    any    `json:"-"`
	At           Path   `json:"-"`
}

// String is "spec.maxReplicas 10 → 25".
func (f Field) String() string { return f.Path + " " + f.Desired + " → " + f.Live }

// Absent renders a value a side does not have.
const Absent = "(absent)"

// Diff lists the differences between config and live that survive normalisation, ordered by path; none means
// live is as declared.
func Diff(config, live map[string]any, o Options) []Field {
	c, l := Normalize(config, o), Normalize(live, o)
	DropDefaults(kindOf(config, live), c, l)
	RemoveUndeclared(c, l)
	var out []Field
	compare(make(Path, 0, 16), c, l, &out)
	return out
}

func kindOf(objs ...map[string]any) string {
	for _, o := range objs {
		if k, ok := o["kind"].(string); ok && k != "" {
			return k
		}
	}
	return ""
}

// serverFields are metadata the API server or controllers set: never declared, never drift.
var serverFields = []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
	"selfLink", "ownerReferences", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds"}

// serverAnnotations are annotations tools and controllers write.
var serverAnnotations = []string{"kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision",
	"autoscaling.alpha.kubernetes.io/conditions", "autoscaling.alpha.kubernetes.io/current-metrics"}

// Normalize returns a copy of obj without what controllers own (status, server-set metadata), with values in one
// form (numbers as float64, quantities canonical), and without the paths o ignores; spec.replicas goes when o says
// an autoscaler owns it; with o.Only, only those paths remain (and only they are copied: a projection of a large
// object costs what it keeps).
func Normalize(obj map[string]any, o Options) map[string]any {
	if len(o.Only) > 0 {
		out := Project(obj, o.Only)
		if o.ReplicasOwned {
			Remove(out, Path{{Key: "spec"}, {Key: "replicas"}})
		}
		for _, p := range o.Ignore {
			Remove(out, p)
		}
		return out
	}
	out, _ := canonical(make(Path, 0, 16), obj).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	delete(out, "status")
	if md, ok := out["metadata"].(map[string]any); ok {
		for _, f := range serverFields {
			delete(md, f)
		}
		if an, ok := md["annotations"].(map[string]any); ok {
			for _, a := range serverAnnotations {
				delete(an, a)
			}
			if len(an) == 0 {
				delete(md, "annotations")
			}
		}
	}
	if o.ReplicasOwned {
		Remove(out, Path{{Key: "spec"}, {Key: "replicas"}})
	}
	for _, p := range o.Ignore {
		Remove(out, p)
	}
	if len(o.Only) > 0 {
		out = Project(out, o.Only)
	}
	return out
}

// canonical deep-copies v with numbers as float64 and resource quantities (under resources.limits and
// resources.requests) in their canonical form.
func canonical(path Path, v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = canonical(path.with(Seg{Key: k}), e)
		}
		return m
	case map[any]any: // YAML decoders that keep keys untyped
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks := fmt.Sprint(k)
			m[ks] = canonical(path.with(Seg{Key: ks}), e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = canonical(path.with(Seg{Item: true, Index: i}), e)
		}
		return l
	}
	if isQuantity(path) {
		if q, err := resource.ParseQuantity(scalarString(v)); err == nil {
			return q.String()
		}
	}
	if f, ok := number(v); ok {
		return f
	}
	return v
}

// isQuantity: a value of resources.limits.X or resources.requests.X.
func isQuantity(p Path) bool {
	n := len(p)
	return n >= 3 && p[n-3].Key == "resources" && (p[n-2].Key == "limits" || p[n-2].Key == "requests")
}

func scalarString(v any) string {
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// Remove deletes what pattern p matches in obj (every match of its wildcards).
func Remove(obj map[string]any, p Path) {
	if len(p) == 0 {
		return
	}
	remove(obj, p)
}

func remove(v any, p Path) any {
	s := p[0]
	last := len(p) == 1
	switch x := v.(type) {
	case map[string]any:
		if s.Item && s.Name == "" {
			return x
		}
		for k, e := range x {
			if !s.matches(Seg{Key: k}) && !(s.Name != "" && s.Key == k) {
				continue
			}
			if last {
				delete(x, k)
			} else {
				x[k] = remove(e, p[1:])
			}
		}
		return x
	case []any:
		out := x[:0]
		keyed := isKeyed(x)
		for i, e := range x {
			c := itemSeg(e, i, keyed)
			if !s.matches(c) {
				out = append(out, e)
				continue
			}
			if last {
				continue
			}
			out = append(out, remove(e, p[1:]))
		}
		return out
	}
	return v
}

// identity are the paths every projection keeps.
var identity = []Path{{{Key: "kind"}}, {{Key: "apiVersion"}}, {{Key: "metadata"}, {Key: "name"}},
	{{Key: "metadata"}, {Key: "namespace"}}}

// Project is a copy of obj holding only what the patterns reach (and the kind, apiVersion and identity of the
// object), values in canonical form.
func Project(obj map[string]any, only []Path) map[string]any {
	keep := append(append(make([]Path, 0, len(identity)+len(only)), identity...), only...)
	out, _ := project(make(Path, 0, 16), obj, keep).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

func project(path Path, v any, keep []Path) any {
	for _, p := range keep {
		if p.Matches(path) {
			return canonical(path, v) // the whole subtree is kept
		}
	}
	switch x := v.(type) {
	case map[string]any:
		var m map[string]any // made at its first key: most subtrees keep nothing
		for k, e := range x {
			cp := path.with(Seg{Key: k})
			if !leadsToAny(keep, cp) {
				continue
			}
			if r := project(cp, e, keep); r != nil {
				if m == nil {
					m = make(map[string]any, 4)
				}
				m[k] = r
			}
		}
		if m == nil {
			return nil
		}
		return m
	case []any:
		keyed := isKeyed(x)
		var l []any
		for i, e := range x {
			cp := path.with(itemSeg(e, i, keyed))
			if !leadsToAny(keep, cp) {
				continue
			}
			if r := project(cp, e, keep); r != nil {
				if m, ok := r.(map[string]any); ok && keyed {
					// An item keeps its name: it is how the list is compared.
					m["name"] = cp[len(cp)-1].Name
				}
				l = append(l, r)
			}
		}
		if len(l) == 0 {
			return nil
		}
		return l
	}
	return nil // a leaf no pattern keeps
}

func leadsToAny(ps []Path, c Path) bool {
	for _, p := range ps {
		if p.leadsTo(c) {
			return true
		}
	}
	return false
}

// isKeyed reports whether every item of l is a map with a string "name": such a list is compared by name, in any
// order (containers, env, ports, volumes, volumeMounts).
func isKeyed(l []any) bool {
	if len(l) == 0 {
		return false
	}
	seen := map[string]bool{}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		n, ok := m["name"].(string)
		if !ok || n == "" || seen[n] {
			return false
		}
		seen[n] = true
	}
	return true
}

func itemSeg(e any, i int, keyed bool) Seg {
	if keyed {
		return Seg{Item: true, Name: e.(map[string]any)["name"].(string)}
	}
	return Seg{Item: true, Index: i}
}

// RemoveUndeclared drops from live the map fields config does not have, recursively (list items matched by name,
// or by position in lists of equal length): what the declaration does not set is another manager's.
func RemoveUndeclared(config, live map[string]any) {
	removeUndeclared(config, live)
}

func removeUndeclared(c, l any) any {
	switch cv := c.(type) {
	case map[string]any:
		lv, ok := l.(map[string]any)
		if !ok {
			return l
		}
		for k, e := range lv {
			ce, ok := cv[k]
			if !ok {
				delete(lv, k)
				continue
			}
			lv[k] = removeUndeclared(ce, e)
		}
		return lv
	case []any:
		lv, ok := l.([]any)
		if !ok {
			return l
		}
		if isKeyed(cv) && isKeyed(lv) {
			byName := map[string]any{}
			for _, e := range cv {
				byName[e.(map[string]any)["name"].(string)] = e
			}
			for i, e := range lv {
				if ce, ok := byName[e.(map[string]any)["name"].(string)]; ok {
					lv[i] = removeUndeclared(ce, e)
				}
			}
			return lv
		}
		if len(cv) == len(lv) {
			for i := range lv {
				lv[i] = removeUndeclared(cv[i], lv[i])
			}
		}
		return lv
	}
	return l
}

// compare appends the leaf differences of c and l under path.
func compare(path Path, c, l any, out *[]Field) {
	cm, cIsMap := c.(map[string]any)
	lm, lIsMap := l.(map[string]any)
	if cIsMap && lIsMap {
		keys := make([]string, 0, len(cm)+len(lm))
		for k := range cm {
			keys = append(keys, k)
		}
		for k := range lm {
			if _, ok := cm[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			compare(path.with(Seg{Key: k}), cm[k], lm[k], out)
		}
		return
	}
	cl, cIsList := c.([]any)
	ll, lIsList := l.([]any)
	if cIsList && lIsList {
		if isKeyed(cl) && isKeyed(ll) {
			cb, lb := map[string]any{}, map[string]any{}
			var names []string
			for _, e := range cl {
				n := e.(map[string]any)["name"].(string)
				cb[n] = e
				names = append(names, n)
			}
			for _, e := range ll {
				n := e.(map[string]any)["name"].(string)
				lb[n] = e
				if _, ok := cb[n]; !ok {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			for _, n := range names {
				compare(path.with(Seg{Item: true, Name: n}), cb[n], lb[n], out)
			}
			return
		}
		if len(cl) == len(ll) {
			for i := range cl {
				compare(path.with(Seg{Item: true, Index: i}), cl[i], ll[i], out)
			}
			return
		}
	}
	if equal(c, l) {
		return
	}
	*out = append(*out, Field{Path: path.String(), Desired: Render(c), Live: Render(l), DesiredValue: c, LiveValue: l,
		At: path.Clone()})
}

func equal(a, b any) bool {
	fa, aNum := number(a)
	fb, bNum := number(b)
	if aNum && bNum {
		return fa == fb || math.Abs(fa-fb) < 1e-9
	}
	return reflect.DeepEqual(a, b)
}

// Render writes a value for a person: scalars as they are, maps and lists as compact JSON (at most 200
// characters), Absent for none.
func Render(v any) string {
	switch x := v.(type) {
	case nil:
		return Absent
	case string:
		if x == "" {
			return `""`
		}
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// Get returns the value at the concrete path p of obj, and whether there is one.
func Get(obj map[string]any, p Path) (any, bool) {
	var v any = obj
	for _, s := range p {
		switch x := v.(type) {
		case map[string]any:
			if s.Item {
				return nil, false
			}
			e, ok := x[s.Key]
			if !ok {
				return nil, false
			}
			v = e
		case []any:
			if !s.Item {
				return nil, false
			}
			found := false
			keyed := isKeyed(x)
			for i, e := range x {
				if itemSeg(e, i, keyed) == (Seg{Item: true, Name: s.Name, Index: s.Index}) ||
					(s.Name != "" && keyed && itemSeg(e, i, keyed).Name == s.Name) {
					v, found = e, true
					break
				}
			}
			if !found {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return v, true
}
