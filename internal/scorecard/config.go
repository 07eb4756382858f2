package scorecard

import (
	"fmt"
	"slices"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// Config is the `scorecards` section of the portal's configuration file.
//
//	scorecards:
//	  threshold: 70                  # the score a service must reach (0–100); default 70
//	  threshold_expression: ""       # optional CEL giving each service its own (int or double)
//	  core_packages:                 # packages every service must keep current
//	    - name: google.golang.org/grpc
//	      allowed_lag: minor         # none, patch, minor (default) or major
//	  disable: [repo-readme]         # built-in rules to switch off
//	  rules:                         # rules of your own, after the built-in ones
//	    - name: has-runbook
//	      title: Runbook linked
//	      level: silver              # bronze, silver or gold
//	      weight: 2                  # 1–100
//	      expression: service.links.exists(l, l.title.lowerAscii().contains("runbook"))
//	      message: '"no link titled runbook among " + string(size(service.links)) + " links"'
//	      description: A runbook tells the on-call engineer what to do.
//	      remediation: Add a link titled "Runbook" to the service's atrium.yaml.
//	  gate:
//	    environments: [production]   # deploys gated below the threshold; default [production]
//	    max_exception_days: 30       # the longest exception an admin may grant
//	  webhook:
//	    url: ""                      # Slack-compatible incoming webhook; ATRIUM_SCORECARD_WEBHOOK_URL overrides
type Config struct {
	// Off switches scorecards off entirely (no scores, the gate allows everything).
	Off                 bool          `yaml:"off"`
	Threshold           *float64      `yaml:"threshold"`
	ThresholdExpression string        `yaml:"threshold_expression"`
	CorePackages        []CorePackage `yaml:"core_packages"`
	NoBuiltIns          bool          `yaml:"no_built_ins"`
	Disable             []string      `yaml:"disable"`
	Rules               []RuleConfig  `yaml:"rules"`
	Gate                GateConfig    `yaml:"gate"`
	Webhook             WebhookConfig `yaml:"webhook"`
}

// CorePackage is a package every service must keep current, and how far behind it may be.
type CorePackage struct {
	Name       string `yaml:"name"`
	AllowedLag string `yaml:"allowed_lag"`
}

// RuleConfig is a rule as written in the configuration.
type RuleConfig struct {
	Name        string `yaml:"name" json:"name"`
	Title       string `yaml:"title" json:"title,omitempty"`
	Level       string `yaml:"level" json:"level"`
	Weight      int    `yaml:"weight" json:"weight"`
	Expression  string `yaml:"expression" json:"expression"`
	Message     string `yaml:"message" json:"message,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
	Remediation string `yaml:"remediation" json:"remediation,omitempty"`
}

func (r RuleConfig) rule() catalog.ScoreRule {
	return catalog.ScoreRule{Name: r.Name, Title: r.Title, Level: r.Level, Weight: r.Weight, Expression: r.Expression,
		MessageExpression: r.Message, Description: r.Description, Remediation: r.Remediation}
}

// Rule is the rule as the rule set holds it.
func (r RuleConfig) Rule() catalog.ScoreRule { return r.rule() }

// GateConfig says which environments' deploys the gate guards.
type GateConfig struct {
	Environments     []string `yaml:"environments"`
	MaxExceptionDays int      `yaml:"max_exception_days"`
}

// WebhookConfig is where owners' warnings are posted (Slack-compatible JSON).
type WebhookConfig struct {
	URL string `yaml:"url"`
}

// DefaultThreshold is the score services must reach unless configured otherwise.
const DefaultThreshold = 70

func (c Config) threshold() float64 {
	if c.Threshold == nil {
		return DefaultThreshold
	}
	return *c.Threshold
}

func (c Config) gated() []string {
	if c.Gate.Environments == nil {
		return []string{"production"}
	}
	return c.Gate.Environments
}

// Check reports what is wrong with the configuration's shape (New compiles the expressions).
func (c Config) Check() problem.Problems {
	var ps problem.Problems
	if t := c.threshold(); t < 0 || t > 100 {
		ps.Add("scorecards.threshold", "threshold %v is not between 0 and 100", t)
	}
	for i, cp := range c.CorePackages {
		if cp.Name == "" {
			ps.Add(fmt.Sprintf("scorecards.core_packages[%d].name", i), "a core package needs a name")
		}
		if lagOf(cp.AllowedLag) < 0 {
			ps.Add(fmt.Sprintf("scorecards.core_packages[%d].allowed_lag", i),
				"allowed_lag %q is not none, patch, minor or major", cp.AllowedLag)
		}
	}
	names := map[string]bool{}
	for _, r := range BuiltIns() {
		names[r.Name] = true
	}
	for _, d := range c.Disable {
		if !names[d] {
			ps.Add("scorecards.disable", "%q is not a built-in rule (%s)", d, builtInNames())
		}
	}
	for i, r := range c.Rules {
		if names[r.Name] && !(slices.Contains(c.Disable, r.Name) || c.NoBuiltIns) {
			ps.Add(fmt.Sprintf("scorecards.rules[%d].name", i), "rule %q is defined twice", r.Name)
		}
		names[r.Name] = true
	}
	if c.Gate.MaxExceptionDays < 0 || c.Gate.MaxExceptionDays > 365 {
		ps.Add("scorecards.gate.max_exception_days", "max_exception_days %d is not between 1 and 365",
			c.Gate.MaxExceptionDays)
	}
	return ps
}

func builtInNames() string {
	var s string
	for i, r := range BuiltIns() {
		if i > 0 {
			s += ", "
		}
		s += r.Name
	}
	return s
}
