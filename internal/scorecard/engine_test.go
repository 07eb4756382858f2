package scorecard_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scorecard"
)

func ready() catalog.Service {
	return catalog.Service{Name: "payments-api", Owner: "payments", Lifecycle: "production", Type: "service",
		Repository: catalog.Repository{URL: "https://github.com/sphera/payments-api", DefaultBranch: "main",
			Facts: &catalog.RepoFacts{Readme: "README.md", CodeOwners: ".github/CODEOWNERS",
				Workflows:        []string{".github/workflows/ci.yml"},
				BranchProtection: &catalog.BranchProtection{Enabled: true, RequiredReviews: 1}}},
		Dependencies: []catalog.Dependency{
			{Ecosystem: "go", Name: "google.golang.org/grpc", Version: "v1.60.0", Latest: "v1.60.2"},
			{Ecosystem: "go", Name: "github.com/other/lib", Version: "v1.0.0", Latest: "v3.0.0"},
		},
		Deployments: []catalog.Deployment{
			{Cluster: "prod-eu", Region: "eu-west-1", Environment: "production"},
			{Cluster: "prod-us", Region: "us-east-1", Environment: "production"},
		},
	}
}

var platform = &scorecard.Platform{Regions: map[string][]string{"production": {"eu-west-1", "us-east-1"},
	"staging": {"eu-west-1"}}}

func engine(t *testing.T, cfg scorecard.Config) *scorecard.Engine {
	t.Helper()
	e, err := scorecard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func results(c catalog.Scorecard) map[string]catalog.RuleResult {
	m := map[string]catalog.RuleResult{}
	for _, r := range c.Results {
		m[r.Rule] = r
	}
	return m
}

func TestBuiltInRules(t *testing.T) {
	e := engine(t, scorecard.Config{CorePackages: []scorecard.CorePackage{{Name: "google.golang.org/grpc", AllowedLag: "minor"}}})
	p := &scorecard.Platform{Regions: platform.Regions, CorePackages: e.CorePackages()}
	for _, tc := range []struct {
		name    string
		change  func(s *catalog.Service)
		status  map[string]string // rule → status; unlisted rules pass
		message map[string]string // rule → a part of its message
		level   string
		score   int
	}{
		{name: "ready", change: func(*catalog.Service) {}, level: "gold", score: 100},
		{name: "core package a minor behind is allowed", change: func(s *catalog.Service) {
			s.Dependencies[0].Latest = "v1.62.0"
		}, level: "gold", score: 100},
		{name: "core package a major behind", change: func(s *catalog.Service) {
			s.Dependencies[0].Latest = "v2.1.0"
		}, status: map[string]string{"core-packages-current": "failed"},
			message: map[string]string{"core-packages-current": "google.golang.org/grpc v1.60.0 → v2.1.0 (major version behind)"},
			level:   "bronze", score: 76},
		{name: "missing files", change: func(s *catalog.Service) {
			s.Repository.Facts.Readme, s.Repository.Facts.CodeOwners, s.Repository.Facts.Workflows = "", "", nil
			s.Repository.Path = "services/pay"
		}, status: map[string]string{"repo-readme": "failed", "repo-codeowners": "failed", "repo-ci-workflow": "failed"},
			message: map[string]string{"repo-readme": "no README in services/pay/ or the repository's root",
				"repo-codeowners": "no CODEOWNERS", "repo-ci-workflow": ".github/workflows"},
			level: "none", score: 61},
		{name: "unprotected branch", change: func(s *catalog.Service) {
			s.Repository.Facts.BranchProtection = &catalog.BranchProtection{}
		}, status: map[string]string{"repo-branch-protection": "failed"},
			message: map[string]string{"repo-branch-protection": "branch main is not protected"}, level: "bronze", score: 84},
		{name: "protection unknown", change: func(s *catalog.Service) {
			s.Repository.Facts.BranchProtection = nil
		}, status: map[string]string{"repo-branch-protection": "unknown"},
			message: map[string]string{"repo-branch-protection": "not collected"}, level: "gold", score: 100},
		{name: "no repository facts at all", change: func(s *catalog.Service) {
			s.Repository.Facts = nil
		}, status: map[string]string{"repo-readme": "unknown", "repo-codeowners": "unknown", "repo-ci-workflow": "unknown",
			"repo-branch-protection": "unknown"}, level: "gold", score: 100},
		{name: "missing a production region", change: func(s *catalog.Service) {
			s.Deployments = s.Deployments[:1]
		}, status: map[string]string{"production-regions": "failed"},
			message: map[string]string{"production-regions": "not running in production in us-east-1"},
			level:   "silver", score: 76},
		{name: "experimental services need no region", change: func(s *catalog.Service) {
			s.Lifecycle, s.Deployments = "experimental", nil
		}, level: "gold", score: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ready()
			tc.change(&s)
			c := e.Score(&s, p)
			got := results(c)
			for _, r := range scorecard.BuiltIns() {
				want := tc.status[r.Name]
				if want == "" {
					want = catalog.RulePassed
				}
				if got[r.Name].Status != want {
					t.Errorf("%s: %s (%s), want %s", r.Name, got[r.Name].Status, got[r.Name].Message, want)
				}
				if m := tc.message[r.Name]; m != "" && !strings.Contains(got[r.Name].Message, m) {
					t.Errorf("%s: message %q, want it to contain %q", r.Name, got[r.Name].Message, m)
				}
			}
			if c.Level != tc.level || c.Score != tc.score {
				t.Errorf("level %s score %d, want %s %d", c.Level, c.Score, tc.level, tc.score)
			}
			if c.Below != (float64(c.Score) < 70) {
				t.Errorf("below = %v at %d", c.Below, c.Score)
			}
		})
	}
}

func TestNextLevel(t *testing.T) {
	e := engine(t, scorecard.Config{})
	s := ready()
	s.Repository.Facts.CodeOwners = ""
	s.Repository.Facts.Workflows = nil
	s.Deployments = s.Deployments[:1]
	c := e.Score(&s, platform)
	if c.Level != "none" || c.Next == nil || c.Next.Level != "bronze" || strings.Join(c.Next.Rules, ",") != "repo-codeowners" {
		t.Fatalf("level %s, next %+v", c.Level, c.Next)
	}
	s.Repository.Facts.CodeOwners = "CODEOWNERS"
	c = e.Score(&s, platform)
	if c.Level != "bronze" || c.Next.Level != "silver" || strings.Join(c.Next.Rules, ",") != "repo-ci-workflow" {
		t.Fatalf("level %s, next %+v", c.Level, c.Next)
	}
	s = ready()
	if c = e.Score(&s, platform); c.Level != "gold" || c.Next != nil {
		t.Fatalf("level %s, next %+v", c.Level, c.Next)
	}
}

func TestRulesRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule scorecard.RuleConfig
		want []string // parts of the problems, in order
		path string
	}{
		{"unknown field", scorecard.RuleConfig{Name: "typo", Level: "bronze", Weight: 1,
			Expression: `service.ownr != ""`}, []string{`rule "typo": line 1, column 8`, "undefined field 'ownr'"},
			"scorecards.rules[0].expression"},
		{"syntax error on line 2", scorecard.RuleConfig{Name: "broken", Level: "bronze", Weight: 1,
			Expression: "service.owner != \"\" &&\n  service.(lifecycle"}, []string{`rule "broken": line 2, column`},
			"scorecards.rules[0].expression"},
		{"not a boolean", scorecard.RuleConfig{Name: "count", Level: "bronze", Weight: 1,
			Expression: `size(service.dependencies)`}, []string{`rule "count": the expression returns int, not bool`},
			"scorecards.rules[0].expression"},
		{"message not a string", scorecard.RuleConfig{Name: "msg", Level: "bronze", Weight: 1,
			Expression: `true`, Message: `1 + 2`}, []string{`rule "msg": the expression returns int, not string`},
			"scorecards.rules[0].message"},
		{"bad level", scorecard.RuleConfig{Name: "lvl", Level: "platinum", Weight: 1, Expression: `true`},
			[]string{`level "platinum" is not one of bronze, silver, gold`}, "scorecards.rules[0].level"},
		{"bad weight", scorecard.RuleConfig{Name: "w", Level: "gold", Weight: 0, Expression: `true`},
			[]string{`weight 0 is not between 1 and 100`}, "scorecards.rules[0].weight"},
		{"taken name", scorecard.RuleConfig{Name: "repo-readme", Level: "gold", Weight: 1, Expression: `true`},
			[]string{`rule "repo-readme" is defined twice`}, "scorecards.rules[0].name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scorecard.New(scorecard.Config{Rules: []scorecard.RuleConfig{tc.rule}})
			var ps problem.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("err = %v, want problems", err)
			}
			msg := ps[0].Summary
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("problem %q does not contain %q", msg, w)
				}
			}
			if ps[0].Path != tc.path {
				t.Errorf("path %q, want %q", ps[0].Path, tc.path)
			}
		})
	}
}

func TestRuntimeErrorIsUnknownForThatServiceOnly(t *testing.T) {
	e := engine(t, scorecard.Config{Rules: []scorecard.RuleConfig{
		{Name: "in-qa", Level: "gold", Weight: 5, Expression: `service.regions["qa"].size() > 0`},
		{Name: "divides", Level: "bronze", Weight: 1, Expression: `100 / size(service.deployments) > 10`},
	}})
	s := ready()
	c := e.Score(&s, platform)
	r := results(c)
	if r["in-qa"].Status != catalog.RuleUnknown || !strings.Contains(r["in-qa"].Message, "no such key") {
		t.Errorf("in-qa: %+v", r["in-qa"])
	}
	if r["divides"].Status != catalog.RulePassed || r["repo-readme"].Status != catalog.RulePassed {
		t.Errorf("other rules: %+v", c.Results)
	}
	s.Deployments = nil
	s.Lifecycle = "experimental"
	c = e.Score(&s, platform)
	if r := results(c); r["divides"].Status != catalog.RuleUnknown || !strings.Contains(r["divides"].Message, "division by zero") {
		t.Errorf("divides on a service without deployments: %+v", r["divides"])
	}
	if c.Score != 100 || c.Level != "gold" {
		t.Errorf("unknown rules count neither way: score %d level %s", c.Score, c.Level)
	}
}

func TestThresholdExpression(t *testing.T) {
	e := engine(t, scorecard.Config{ThresholdExpression: `service.lifecycle == "experimental" ? 40 : 90`})
	s := ready()
	s.Repository.Facts.BranchProtection.Enabled = false // 84
	if c := e.Score(&s, platform); c.Threshold != 90 || !c.Below {
		t.Errorf("production: threshold %v below %v", c.Threshold, c.Below)
	}
	s.Lifecycle = "experimental"
	if c := e.Score(&s, platform); c.Threshold != 40 || c.Below {
		t.Errorf("experimental: threshold %v below %v", c.Threshold, c.Below)
	}
	if _, err := scorecard.New(scorecard.Config{ThresholdExpression: `"high"`}); err == nil ||
		!strings.Contains(err.Error(), "returns string, not int or double") {
		t.Errorf("a string threshold: %v", err)
	}
}

func TestTryRule(t *testing.T) {
	e := engine(t, scorecard.Config{})
	r, err := e.Compile(catalog.ScoreRule{Name: "two-regions", Level: "silver", Weight: 1,
		Expression:        `size(service.regions["production"]) >= 2`,
		MessageExpression: `"runs in " + service.regions["production"].join(", ")`})
	if err != nil {
		t.Fatal(err)
	}
	s := ready()
	s.Deployments = s.Deployments[:1]
	res := e.Try(r, &s, platform)
	if res.Status != catalog.RuleFailed || res.Message != "runs in eu-west-1" {
		t.Errorf("%+v", res)
	}
	_, err = e.Compile(catalog.ScoreRule{Name: "bad", Level: "silver", Weight: 1, Expression: `service.nope`})
	var ps problem.Problems
	if !errors.As(err, &ps) || ps[0].Path != "rule.expression" || !strings.Contains(ps[0].Summary, "line 1, column 8") {
		t.Errorf("%v", err)
	}
}
