package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/store"
)

// Scorecards serves the stored scorecards: the list, teams' standings, trends and one service's card. They read the
// store only, so a desktop's replica answers them too, offline.
type Scorecards struct {
	DB  *store.DB
	Log *slog.Logger
	// Now is "today" for history and trends; nil: time.Now.
	Now func() time.Time
}

// ReadRoutes are the scorecard endpoints a replica can answer.
func (s *Scorecards) ReadRoutes() []Route {
	return []Route{
		{"GET /api/v1/scorecards", policy.CatalogRead, s.list},
		{"GET /api/v1/scorecards/teams", policy.CatalogRead, s.teams},
		{"GET /api/v1/scorecards/trend", policy.CatalogRead, s.trend},
		{"GET /api/v1/services/{name}/scorecard", policy.CatalogRead, s.service},
	}
}

func (s *Scorecards) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

var scorecardLevels = map[string]string{catalog.LevelNone: "", catalog.LevelBronze: "", catalog.LevelSilver: "",
	catalog.LevelGold: ""}

func (s *Scorecards) list(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("team", "level", "below", "q", "sort", "order", "limit", "offset")
	q := store.ScorecardQuery{Teams: p.list("team"), Levels: p.list("level"), Q: p.text("q", 100),
		Sort: p.oneOf("sort", store.ScorecardSortColumns, "score, name, owner, changed_at"), Desc: p.desc()}
	for _, l := range q.Levels {
		if _, ok := scorecardLevels[l]; !ok {
			p.problem("level", "%q is not one of none, bronze, silver, gold", l)
		}
	}
	if r.URL.Query().Has("below") {
		b := p.boolean("below")
		q.Below = &b
	}
	q.Limit, q.Offset = p.page(200)
	if err := p.err(); err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	page, err := s.DB.ListScorecards(r.Context(), q)
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	rules, ok, err := s.DB.ScoreRules(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	body := ScorecardList{Items: page.Items, Total: page.Total}
	if ok {
		body.Rules = &rules
	}
	WriteJSON(w, http.StatusOK, body)
}

func (s *Scorecards) teams(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("team")
	teams := p.list("team")
	if err := p.err(); err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	t, err := s.DB.ScorecardTeams(r.Context(), teams)
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, Items[store.TeamScore]{t})
}

func (s *Scorecards) trend(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("service", "team")
	svc, team := p.text("service", 100), p.text("team", 100)
	if svc != "" && team != "" {
		p.problem("team", "give a service or a team, not both")
	}
	if err := p.err(); err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	tr, err := s.DB.ScoreTrend(r.Context(), svc, team, s.now())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, tr)
}

func (s *Scorecards) service(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	card, err := s.DB.GetScorecard(r.Context(), name, s.now())
	if errors.Is(err, catalog.ErrNotFound) {
		if _, serr := s.DB.GetService(r.Context(), name); errors.Is(serr, catalog.ErrNotFound) {
			err = Errorf(http.StatusNotFound, "not_found", "no service named %q", name)
		} else {
			err = Errorf(http.StatusNotFound, "not_scored", "service %q has no scorecard yet: scorecards may be "+
				"switched off on the portal, or the service was added a moment ago", name)
		}
	}
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	rules, _, err := s.DB.ScoreRules(r.Context())
	if err != nil {
		WriteError(w, r, s.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, ServiceScorecardView(card, rules))
}

// ServiceScorecardView joins a card's outcomes with the rules' descriptions and remediations.
func ServiceScorecardView(card catalog.Scorecard, rules catalog.ScoreRules) ServiceScorecard {
	byName := map[string]catalog.ScoreRule{}
	for _, r := range rules.Rules {
		byName[r.Name] = r
	}
	out := ServiceScorecard{Scorecard: card, Rules: make([]ScorecardRuleResult, len(card.Results))}
	if out.History == nil {
		out.History = []catalog.ScorePoint{}
	}
	for i, res := range card.Results {
		rule, ok := byName[res.Rule]
		if !ok {
			rule = catalog.ScoreRule{Name: res.Rule, Title: res.Rule}
		}
		out.Rules[i] = ScorecardRuleResult{ScoreRule: rule, Status: res.Status, Message: res.Message}
	}
	return out
}

// Gates answers the deploy gate for CI and Kubernetes, tries rules, and keeps admins' exceptions. Portal only.
type Gates struct {
	DB     *store.DB
	Engine *scorecard.Engine // nil: scorecards off
	Gate   *scorecard.Gate
	Log    *slog.Logger
	Now    func() time.Time
}

// Routes are the gate's endpoints.
func (g *Gates) Routes() []Route {
	return []Route{
		{"GET /api/v1/gates/deploy", policy.GatesCheck, g.deploy},
		{"GET /api/v1/gates/exceptions", policy.GatesCheck, g.exceptions},
		{"POST /api/v1/gates/exceptions", policy.GatesExcept, g.grant},
		{"DELETE /api/v1/gates/exceptions/{id}", policy.GatesExcept, g.revoke},
		{"POST /api/v1/scorecards/rules:test", policy.ScorecardsTest, g.tryRule},
		{"POST /api/v1/admission/deployments/{cluster}", policy.GatesCheck, g.admission},
	}
}

func (g *Gates) deploy(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("service", "environment")
	svc, env := p.text("service", 100), p.text("environment", 128)
	if svc == "" {
		p.problem("service", "name the service to deploy")
	}
	if env == "" {
		p.problem("environment", "name the environment to deploy to (e.g. production)")
	}
	if err := p.err(); err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	d, err := g.Gate.Decide(r.Context(), svc, env)
	if errors.Is(err, catalog.ErrNotFound) {
		err = Errorf(http.StatusNotFound, "not_found", "no service named %q", svc)
	}
	if err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, d)
}

func (g *Gates) exceptions(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("service", "all")
	svc, all := p.text("service", 100), p.boolean("all")
	if err := p.err(); err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	list, err := g.Gate.Exceptions.List(r.Context(), svc, all)
	if err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, Items[scorecard.Exception]{list})
}

func (g *Gates) grant(w http.ResponseWriter, r *http.Request) {
	var req scorecard.ExceptionRequest
	if err := DecodeJSON(w, r, 16<<10, &req); err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	pr, _ := auth.FromContext(r.Context())
	ex, err := g.Gate.Exceptions.Grant(r.Context(), req, pr.Subject)
	if err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	WriteJSON(w, http.StatusCreated, ex)
}

func (g *Gates) revoke(w http.ResponseWriter, r *http.Request) {
	pr, _ := auth.FromContext(r.Context())
	ex, err := g.Gate.Exceptions.Revoke(r.Context(), r.PathValue("id"), pr.Subject)
	if errors.Is(err, scorecard.ErrNotFound) {
		err = Errorf(http.StatusNotFound, "not_found", "no gate exception %q", r.PathValue("id"))
	}
	if err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, ex)
}

func (g *Gates) tryRule(w http.ResponseWriter, r *http.Request) {
	var req RuleTest
	if err := DecodeJSON(w, r, 64<<10, &req); err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	if g.Engine == nil {
		WriteError(w, r, g.Log, Errorf(http.StatusConflict, "scorecards_off",
			"scorecards are switched off on this portal (scorecards.off in its configuration)"))
		return
	}
	var ps problem.Problems
	s, err := g.DB.GetService(r.Context(), req.Service)
	switch {
	case req.Service == "":
		ps.Add("service", "name the service to try the rule on")
	case errors.Is(err, catalog.ErrNotFound):
		ps.Add("service", "no service named %q", req.Service)
	case err != nil:
		WriteError(w, r, g.Log, err)
		return
	}
	if req.Rule.Level == "" {
		req.Rule.Level = catalog.LevelBronze
	}
	if req.Rule.Weight == 0 {
		req.Rule.Weight = 1
	}
	if req.Rule.Name == "" {
		req.Rule.Name = "draft"
	}
	rule, err := g.Engine.Compile(req.Rule.Rule())
	var rps problem.Problems
	if errors.As(err, &rps) {
		ps.Append(rps...)
	} else if err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	if err := ps.Err(); err != nil {
		WriteError(w, r, g.Log, BadRequest("the rule cannot be tried", ps...))
		return
	}
	plat, err := scorecard.PlatformOf(r.Context(), g.DB, g.Engine)
	if err != nil {
		WriteError(w, r, g.Log, err)
		return
	}
	res := g.Engine.Try(rule, &s, plat)
	WriteJSON(w, http.StatusOK, RuleTestResult{Result: res,
		Document: catalog.NewDocument(s, plat.Environments()), Platform: *plat})
}
