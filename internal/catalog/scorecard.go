package catalog

import "time"

// Levels a service reaches on its scorecard, lowest first. LevelNone: not even the lowest.
const (
	LevelNone   = "none"
	LevelBronze = "bronze"
	LevelSilver = "silver"
	LevelGold   = "gold"
)

// Levels lists the levels rules may name, lowest first.
var Levels = []string{LevelBronze, LevelSilver, LevelGold}

// LevelRank orders levels: none 0, bronze 1, silver 2, gold 3; -1 for anything else.
func LevelRank(level string) int {
	switch level {
	case LevelNone:
		return 0
	case LevelBronze:
		return 1
	case LevelSilver:
		return 2
	case LevelGold:
		return 3
	}
	return -1
}

// Outcomes of one rule on one service.
const (
	RulePassed  = "passed"
	RuleFailed  = "failed"
	RuleUnknown = "unknown" // the rule could not be evaluated on this service (an error, a fact not collected)
)

// Scorecard is how ready one service is: the outcome of every rule, the score and level they make, and the
// history of the score. Scorecards are findings as data (DESIGN.md decision 8): computed on the portal from data
// already synced, stored, carried to desktops by the change feed, and read by the deploy gate.
type Scorecard struct {
	Service string `json:"service"`
	Owner   string `json:"owner"`
	// Score is the weight of the passed rules over the weight of the rules passed or failed, 0–100 (rules unknown
	// for the service count neither way; with none known the score is 100).
	Score int `json:"score"`
	// Level is the highest level all of whose rules (and those of the levels below) passed or are unknown.
	Level string `json:"level"`
	// Threshold is the score the service must reach; Below says it does not.
	Threshold float64      `json:"threshold"`
	Below     bool         `json:"below"`
	Results   []RuleResult `json:"results"`
	// Next says what the service needs for the level above its own; nil at the top.
	Next *NextLevel `json:"next,omitempty"`
	// Previous is the level before the last change of level ("" when it never changed); ChangedAt is when the
	// score or level last changed.
	Previous  string    `json:"previous,omitempty"`
	ChangedAt time.Time `json:"changed_at"`
	// Rules is the version of the rule set that computed the card.
	RulesVersion string `json:"rules_version"`
	// History is the score at the end of each day it changed, oldest first, over the last 12 weeks (with the last
	// point before them, so that the line starts at its left edge).
	History []ScorePoint `json:"history"`
}

// RuleResult is one rule's outcome on one service; Message says why it failed (or why it is unknown).
type RuleResult struct {
	Rule    string `json:"rule"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// NextLevel is the level above a service's and the rules it still fails (or cannot be told to pass) for it.
type NextLevel struct {
	Level string   `json:"level"`
	Rules []string `json:"rules"`
}

// ScorePoint is a service's (or a team's) score on one day (YYYY-MM-DD, UTC).
type ScorePoint struct {
	Day   string `json:"day"`
	Score int    `json:"score"`
	Level string `json:"level,omitempty"`
}

// ScoreRule describes one rule of the rule set, for people: what it checks, at which level, how much it weighs,
// and how to fix a failure. Expression and MessageExpression are its CEL source.
type ScoreRule struct {
	Name              string `json:"name"`
	Title             string `json:"title"`
	Description       string `json:"description"`
	Remediation       string `json:"remediation"`
	Level             string `json:"level"`
	Weight            int    `json:"weight"`
	Expression        string `json:"expression"`
	MessageExpression string `json:"message_expression,omitempty"`
	BuiltIn           bool   `json:"built_in"`
}

// ScoreRules is the rule set in force: its rules, the threshold services must reach, and its version (a hash of
// everything that decides a score, so that a change of rules rescores every service).
type ScoreRules struct {
	Version   string  `json:"version"`
	Threshold float64 `json:"threshold"`
	// ThresholdExpression, when set, is the CEL expression that gives each service its own threshold.
	ThresholdExpression string      `json:"threshold_expression,omitempty"`
	Levels              []string    `json:"levels"`
	Rules               []ScoreRule `json:"rules"`
	// GatedEnvironments are the environments whose deploys the gate refuses below the threshold.
	GatedEnvironments []string `json:"gated_environments"`
}
