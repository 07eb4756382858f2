// Package scorecard scores how ready each service is: rules are CEL expressions over the service's document
// (catalog.Document), compiled and type-checked when the configuration loads, evaluated on data already synced,
// and turned into a score, a level and findings a person can act on (catalog.Scorecard). The same package answers
// the deploy gate: is this service's score high enough to deploy to this environment, or does an exception hold?
//
// A rule is a boolean CEL expression (as Kubernetes' ValidatingAdmissionPolicy validations are) with an optional
// message expression saying why it failed. A rule that fails to compile, or does not return a boolean, refuses the
// whole configuration with its name and position; a rule that errors at run time on one service is unknown for
// that service alone.
package scorecard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// Platform is what rules know of the platform beside the service: the variable `platform` in CEL.
type Platform struct {
	// Regions are the regions each environment has clusters in (from the cluster registry; with none registered,
	// the regions the catalog's deployments run in).
	Regions map[string][]string `json:"regions"`
	// CorePackages are the packages every service must keep current: name → the greatest lag allowed
	// (catalog.LagNone .. catalog.LagMajor), compared with a dependency's lag.
	CorePackages map[string]int `json:"core_packages"`
}

// Environments lists the environments of p, sorted.
func (p *Platform) Environments() []string {
	envs := make([]string, 0, len(p.Regions))
	for e := range p.Regions {
		envs = append(envs, e)
	}
	slices.Sort(envs)
	return envs
}

// docSchema is the CEL view of the document and the platform.
var docSchema = func() *schema {
	s, err := newSchema(reflect.TypeFor[catalog.Document](), reflect.TypeFor[Platform]())
	if err != nil {
		panic(err) // the types are this package's and catalog's: a test catches it
	}
	return s
}()

// Engine holds a compiled rule set. It is immutable and safe for concurrent use.
type Engine struct {
	env       *cel.Env
	rules     []*Rule
	threshold float64
	thrProg   cel.Program // nil: the fixed threshold
	gated     []string
	core      map[string]int
	maxExcept int // days
	info      catalog.ScoreRules
}

// Rule is a compiled rule.
type Rule struct {
	catalog.ScoreRule
	prog cel.Program
	msg  cel.Program // nil: no message expression
}

// newEnv is the CEL environment rules are checked and run in: `service` (catalog.Document) and `platform`
// (Platform), with field names as in their JSON, and CEL's string, list and set extensions.
func newEnv() (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	return cel.NewEnv(
		cel.CustomTypeProvider(&provider{Registry: reg, s: docSchema}),
		cel.Variable("service", cel.ObjectType("catalog.Document")),
		cel.Variable("platform", cel.ObjectType("scorecard.Platform")),
		ext.Strings(), ext.Lists(), ext.Sets(),
		cel.OptionalTypes(),
	)
}

// compileExpr parses and type-checks src, which must yield want. Problems name the rule, the line and column.
func compileExpr(env *cel.Env, path, rule, src string, want ...*types.Type) (cel.Program, problem.Problems) {
	if strings.TrimSpace(src) == "" {
		return nil, problem.Problems{problem.Atf(path, "rule %q: the expression is empty", rule)}
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var ps problem.Problems
		for _, e := range iss.Errors() {
			loc := e.Location
			ps.Append(problem.Problem{Severity: problem.Error, Path: path,
				Summary: fmt.Sprintf("rule %q: line %d, column %d: %s", rule, loc.Line(), loc.Column()+1, e.Message),
				Detail:  snippet(src, loc.Line(), loc.Column())})
		}
		return nil, ps
	}
	out := ast.OutputType()
	ok := false
	for _, w := range want {
		if out.IsExactType(w) {
			ok = true
		}
	}
	if !ok {
		names := make([]string, len(want))
		for i, w := range want {
			names[i] = w.String()
		}
		return nil, problem.Problems{problem.Atf(path, "rule %q: the expression returns %s, not %s", rule, out,
			strings.Join(names, " or "))}
	}
	if opt, err := cel.NewStaticOptimizer(cel.NewConstantFoldingOptimizer()); err == nil {
		if folded, iss := opt.Optimize(env, ast); iss == nil || iss.Err() == nil {
			ast = folded
		}
	}
	prog, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, problem.Problems{problem.Atf(path, "rule %q: %v", rule, err)}
	}
	return prog, nil
}

// snippet is the line of src at line with a caret under column, as CEL prints its errors.
func snippet(src string, line, column int) string {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	l := lines[line-1]
	return l + "\n" + strings.Repeat(" ", max(column, 0)) + "^"
}

// New compiles cfg (already checked for its shape by Config.Check). Every problem of every rule is reported
// together.
func New(cfg Config) (*Engine, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("scorecard: CEL environment: %w", err)
	}
	e := &Engine{env: env, threshold: cfg.threshold(), gated: cfg.gated(), core: map[string]int{},
		maxExcept: cfg.Gate.MaxExceptionDays}
	if e.maxExcept <= 0 {
		e.maxExcept = 30
	}
	var ps problem.Problems
	ps.Append(cfg.Check()...)
	for _, cp := range cfg.CorePackages {
		e.core[cp.Name] = lagOf(cp.AllowedLag)
	}
	var defs []catalog.ScoreRule
	if !cfg.NoBuiltIns {
		for _, r := range BuiltIns() {
			if !slices.Contains(cfg.Disable, r.Name) {
				defs = append(defs, r)
			}
		}
	}
	for _, r := range cfg.Rules {
		defs = append(defs, r.rule())
	}
	for i, r := range defs {
		path := fmt.Sprintf("scorecards.rules[%d]", i-builtInCount(cfg))
		if r.BuiltIn {
			path = "scorecards (built-in rule " + r.Name + ")"
		}
		cr, rps := e.compile(r, path)
		ps.Append(rps...)
		if cr != nil {
			e.rules = append(e.rules, cr)
		}
	}
	if src := cfg.ThresholdExpression; src != "" {
		prog, tps := compileExpr(env, "scorecards.threshold_expression", "threshold", src, types.IntType, types.DoubleType)
		ps.Append(tps...)
		e.thrProg = prog
	}
	if err := ps.Err(); err != nil {
		return nil, fmt.Errorf("scorecard rules: %w", err)
	}
	e.info = catalog.ScoreRules{Threshold: e.threshold, ThresholdExpression: cfg.ThresholdExpression,
		Levels: catalog.Levels, Rules: make([]catalog.ScoreRule, len(e.rules)), GatedEnvironments: e.gated}
	for i, r := range e.rules {
		e.info.Rules[i] = r.ScoreRule
	}
	core, _ := json.Marshal(e.core) // map keys are sorted
	sum := sha256.New()
	b, _ := json.Marshal(e.info)
	sum.Write(b)
	sum.Write(core)
	e.info.Version = hex.EncodeToString(sum.Sum(nil))[:16]
	return e, nil
}

func builtInCount(cfg Config) int {
	if cfg.NoBuiltIns {
		return 0
	}
	n := 0
	for _, r := range BuiltIns() {
		if !slices.Contains(cfg.Disable, r.Name) {
			n++
		}
	}
	return n
}

// compile checks one rule: its fields, then its expressions.
func (e *Engine) compile(r catalog.ScoreRule, path string) (*Rule, problem.Problems) {
	var ps problem.Problems
	if !catalog.ValidName(r.Name) {
		ps.Add(path+".name", "rule name %q: use lowercase letters, digits and dashes", r.Name)
	}
	if catalog.LevelRank(r.Level) < 1 {
		ps.Add(path+".level", "rule %q: level %q is not one of %s", r.Name, r.Level, strings.Join(catalog.Levels, ", "))
	}
	if r.Weight < 1 || r.Weight > 100 {
		ps.Add(path+".weight", "rule %q: weight %d is not between 1 and 100", r.Name, r.Weight)
	}
	prog, eps := compileExpr(e.env, path+".expression", r.Name, r.Expression, types.BoolType)
	ps.Append(eps...)
	var msg cel.Program
	if r.MessageExpression != "" {
		var mps problem.Problems
		msg, mps = compileExpr(e.env, path+".message", r.Name, r.MessageExpression, types.StringType)
		ps.Append(mps...)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	if r.Title == "" {
		r.Title = r.Name
	}
	return &Rule{ScoreRule: r, prog: prog, msg: msg}, nil
}

// Compile checks a rule that is not (yet) in the rule set, for trying it out; problems are at "rule.*".
func (e *Engine) Compile(r catalog.ScoreRule) (*Rule, error) {
	cr, ps := e.compile(r, "rule")
	if err := ps.Err(); err != nil {
		return nil, fmt.Errorf("rule %q does not compile: %w", r.Name, err)
	}
	return cr, nil
}

// Info is the rule set, for people and for the feed.
func (e *Engine) Info() catalog.ScoreRules { return e.info }

// Rules are the compiled rules in order.
func (e *Engine) Rules() []*Rule { return e.rules }

// Gated reports whether deploys to env are gated.
func (e *Engine) Gated(env string) bool { return slices.Contains(e.gated, env) }

// MaxExceptionDays is the longest exception an admin may grant.
func (e *Engine) MaxExceptionDays() int { return e.maxExcept }

// CorePackages are the configured core packages (name → allowed lag rank).
func (e *Engine) CorePackages() map[string]int { return e.core }

// Eval runs r on a service: passed, failed (with why), or unknown (with the error) — never a panic or an error
// for the caller.
func (r *Rule) Eval(act map[string]any) catalog.RuleResult {
	res := catalog.RuleResult{Rule: r.Name}
	out, _, err := r.prog.Eval(act)
	if err != nil {
		res.Status, res.Message = catalog.RuleUnknown, "could not be evaluated for this service: "+err.Error()
		return res
	}
	if b, ok := out.Value().(bool); !ok {
		res.Status, res.Message = catalog.RuleUnknown, fmt.Sprintf("returned %v, not a boolean", out.Type())
		return res
	} else if b {
		res.Status = catalog.RulePassed
		return res
	}
	res.Status = catalog.RuleFailed
	res.Message = r.Description
	if r.msg != nil {
		if m, _, err := r.msg.Eval(act); err == nil {
			if s, ok := m.Value().(string); ok && s != "" {
				res.Message = s
			}
		}
	}
	return res
}

// Activation is what rules read for one service: the document and the platform, converted to CEL once.
func Activation(doc *catalog.Document, p *Platform) map[string]any {
	return map[string]any{"service": docValue(doc), "platform": PlatformValue(p)}
}

func docValue(doc *catalog.Document) ref.Val {
	return docSchema.value(reflect.ValueOf(doc), true)
}

// PlatformValue is p converted to CEL; convert once per scoring pass and share it (Engine.ScoreWith).
func PlatformValue(p *Platform) ref.Val {
	return docSchema.value(reflect.ValueOf(p), false)
}

// Score evaluates every rule on one service and makes its scorecard (without history or change times, which the
// Scorer adds).
func (e *Engine) Score(s *catalog.Service, p *Platform) catalog.Scorecard {
	return e.ScoreWith(s, p, PlatformValue(p))
}

// ScoreWith is Score with the platform already converted (PlatformValue), for scoring many services.
func (e *Engine) ScoreWith(s *catalog.Service, p *Platform, pv ref.Val) catalog.Scorecard {
	doc := catalog.NewDocument(*s, p.Environments())
	act := map[string]any{"service": docValue(&doc), "platform": pv}
	card := catalog.Scorecard{Service: s.Name, Owner: s.Owner, RulesVersion: e.info.Version,
		Results: make([]catalog.RuleResult, len(e.rules))}
	for i, r := range e.rules {
		card.Results[i] = r.Eval(act)
	}
	card.Threshold = e.threshold
	if e.thrProg != nil {
		if v, _, err := e.thrProg.Eval(act); err == nil {
			switch n := v.Value().(type) {
			case int64:
				card.Threshold = float64(n)
			case float64:
				card.Threshold = n
			}
		}
	}
	e.grade(&card)
	return card
}

// grade sets the score, level, whether it is below the threshold, and what the next level needs.
func (e *Engine) grade(card *catalog.Scorecard) {
	passed, known := 0, 0
	failedAt := map[int]bool{} // level ranks with a failed rule
	for i, res := range card.Results {
		r := e.rules[i]
		switch res.Status {
		case catalog.RulePassed:
			passed += r.Weight
			known += r.Weight
		case catalog.RuleFailed:
			known += r.Weight
			failedAt[catalog.LevelRank(r.Level)] = true
		}
	}
	card.Score = 100
	if known > 0 {
		card.Score = int(math.Floor(float64(passed) * 100 / float64(known)))
	}
	card.Level = catalog.LevelNone
	for rank, l := range catalog.Levels {
		if failedAt[rank+1] {
			break
		}
		card.Level = l
	}
	card.Below = float64(card.Score) < card.Threshold
	card.Next = nil
	if next := catalog.LevelRank(card.Level) + 1; next <= len(catalog.Levels) {
		nl := &catalog.NextLevel{Level: catalog.Levels[next-1], Rules: []string{}}
		for i, res := range card.Results {
			if res.Status == catalog.RuleFailed && catalog.LevelRank(e.rules[i].Level) <= next {
				nl.Rules = append(nl.Rules, res.Rule)
			}
		}
		card.Next = nl
	}
}

func lagOf(s string) int {
	switch s {
	case "none":
		return catalog.LagNone
	case "patch":
		return catalog.LagPatch
	case "", "minor":
		return catalog.LagMinor
	case "major":
		return catalog.LagMajor
	}
	return -1
}

// ScoreEach calls fn(i) for i in [0, n) on up to workers goroutines.
func ScoreEach(n, workers int, fn func(i int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Try runs one rule, compiled with Compile, on one service.
func (e *Engine) Try(r *Rule, s *catalog.Service, p *Platform) catalog.RuleResult {
	doc := catalog.NewDocument(*s, p.Environments())
	return r.Eval(map[string]any{"service": docValue(&doc), "platform": PlatformValue(p)})
}
