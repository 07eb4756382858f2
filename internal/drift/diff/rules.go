package diff

import (
	"fmt"
	"sort"
)

// IgnoreRule is one configurable rule: paths of objects of a kind ("*": every kind) that are never drift —
// fields a mutating webhook, an operator or a person is allowed to change.
//
//	drift:
//	  ignore:
//	    - kind: Deployment
//	      paths: ['spec.template.spec.containers[istio-proxy]', 'metadata.annotations["sidecar.istio.io/status"]']
//	    - kind: "*"
//	      paths: [metadata.labels.version]
type IgnoreRule struct {
	Kind  string   `yaml:"kind" json:"kind"`
	Paths []string `yaml:"paths" json:"paths"`
}

// Rules are compiled ignore rules by kind.
type Rules map[string][]Path

// CompileRules parses rules; a path that does not parse is an error naming its rule.
func CompileRules(rules []IgnoreRule) (Rules, error) {
	out := Rules{}
	for i, r := range rules {
		if r.Kind == "" {
			return nil, fmt.Errorf("ignore[%d]: kind is required (a kind, or \"*\" for every kind)", i)
		}
		if len(r.Paths) == 0 {
			return nil, fmt.Errorf("ignore[%d] (%s): paths: at least one", i, r.Kind)
		}
		for j, s := range r.Paths {
			p, err := ParsePath(s)
			if err != nil {
				return nil, fmt.Errorf("ignore[%d].paths[%d]: %w", i, j, err)
			}
			out[r.Kind] = append(out[r.Kind], p)
		}
	}
	return out, nil
}

// For is the paths ignored for objects of kind: its own rules and those of every kind.
func (r Rules) For(kind string) []Path {
	return append(append([]Path{}, r["*"]...), r[kind]...)
}

// defaults are fields the API server (or a controller) fills in with a value when the declaration leaves them out,
// by kind: a declaration that writes the default explicitly against a live view that leaves it out (a projection)
// is not drift.
var defaults = map[string][]struct {
	path  string
	value any
}{
	"Deployment": {
		{"spec.replicas", 1.0}, {"spec.revisionHistoryLimit", 10.0}, {"spec.progressDeadlineSeconds", 600.0},
		{"spec.minReadySeconds", 0.0}, {"spec.strategy.type", "RollingUpdate"},
		{"spec.strategy.rollingUpdate.maxSurge", "25%"}, {"spec.strategy.rollingUpdate.maxUnavailable", "25%"},
	},
	"StatefulSet": {
		{"spec.replicas", 1.0}, {"spec.revisionHistoryLimit", 10.0}, {"spec.podManagementPolicy", "OrderedReady"},
		{"spec.updateStrategy.type", "RollingUpdate"}, {"spec.minReadySeconds", 0.0},
	},
	"DaemonSet": {
		{"spec.revisionHistoryLimit", 10.0}, {"spec.updateStrategy.type", "RollingUpdate"}, {"spec.minReadySeconds", 0.0},
	},
	"HorizontalPodAutoscaler": {{"spec.minReplicas", 1.0}},
}

// podDefaults are a pod template's defaults, for every workload kind.
var podDefaults = []struct {
	path  string
	value any
}{
	{"spec.template.spec.restartPolicy", "Always"}, {"spec.template.spec.dnsPolicy", "ClusterFirst"},
	{"spec.template.spec.schedulerName", "default-scheduler"},
	{"spec.template.spec.terminationGracePeriodSeconds", 30.0},
	{"spec.template.spec.containers[*].terminationMessagePath", "/dev/termination-log"},
	{"spec.template.spec.containers[*].terminationMessagePolicy", "File"},
	{"spec.template.spec.containers[*].imagePullPolicy", "IfNotPresent"},
	{"spec.template.spec.containers[*].ports[*].protocol", "TCP"},
}

type defaultValue struct {
	path  Path
	value any
}

var compiledDefaults = func() map[string][]defaultValue {
	out := map[string][]defaultValue{}
	for kind, ds := range defaults {
		all := append([]struct {
			path  string
			value any
		}{}, ds...)
		if kind != "HorizontalPodAutoscaler" {
			all = append(all, podDefaults...)
		}
		for _, d := range all {
			p, err := ParsePath(d.path)
			if err != nil {
				panic(err) // constant
			}
			out[kind] = append(out[kind], defaultValue{p, d.value})
		}
	}
	return out
}()

// DropDefaults removes from config the fields it sets to the value the API server would default them to, where
// live has no value at all: the same state written two ways.
func DropDefaults(kind string, config, live map[string]any) {
	ds := compiledDefaults[kind]
	if len(ds) == 0 {
		return
	}
	var drop []Path
	walkLeaves(make(Path, 0, 16), config, func(p Path, v any) {
		for _, d := range ds {
			if len(d.path) == len(p) && d.path.Matches(p) && equal(v, d.value) {
				if _, ok := Get(live, p); !ok {
					drop = append(drop, p.Clone())
				}
			}
		}
	})
	sort.Slice(drop, func(i, j int) bool { return len(drop[i]) > len(drop[j]) })
	for _, p := range drop {
		Remove(config, exact(p))
		// A map left empty by the removal ("strategy: {type: RollingUpdate}") goes too.
		for i := len(p) - 1; i >= 1; i-- {
			if m, ok := Get(config, p[:i]); ok {
				if mm, isMap := m.(map[string]any); isMap && len(mm) == 0 {
					Remove(config, exact(p[:i]))
					continue
				}
			}
			break
		}
	}
}

// exact turns a concrete path into a pattern matching only it.
func exact(p Path) Path {
	out := make(Path, len(p))
	for i, s := range p {
		out[i] = s
		if s.Item && s.Name == "" {
			out[i].Index = s.Index
		}
	}
	return out
}

func walkLeaves(path Path, v any, fn func(Path, any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walkLeaves(path.with(Seg{Key: k}), e, fn)
		}
	case []any:
		keyed := isKeyed(x)
		for i, e := range x {
			walkLeaves(path.with(itemSeg(e, i, keyed)), e, fn)
		}
	default:
		fn(path, v)
	}
}
