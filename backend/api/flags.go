package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
)

// DefaultEnvironments are the flag environments of a portal that configures none.
var DefaultEnvironments = []string{"dev", "staging", "production"}

// DefaultStaleAfter is how long a fully rolled-out or disabled flag stays unchanged before it counts as stale.
const DefaultStaleAfter = 30 * 24 * time.Hour

// maxFlagFile bounds import bodies.
const maxFlagFile = 8 << 20

// Flags serves feature flags: the management API under /api/v1/flags, the raw flag sets for in-process
// providers, and OFREP evaluation under /ofrep/v1.
type Flags struct {
	Store        *flagstore.Store
	Log          *slog.Logger
	Gate         flags.ChangeGate // nil: changes apply at once
	Audit        flags.Auditor    // nil: logged
	Environments []string         // nil: DefaultEnvironments
	StaleAfter   time.Duration    // 0: DefaultStaleAfter
	Now          func() time.Time // nil: time.Now
	// Approvers are the roles one of which approves a change in an environment (the gate's configuration), for the
	// UI to say before saving that a change will wait; environments absent apply changes at once.
	Approvers map[string][]string

	once  sync.Once
	cache map[string]*atomic.Pointer[compiledSet]
}

// compiledSet is an environment's flag set compiled for evaluation, with what it was loaded from.
type compiledSet struct {
	set     *flags.Set
	etag    string
	gen     uint64
	checked time.Time
}

func (f *Flags) init() {
	f.once.Do(func() {
		if f.Log == nil {
			f.Log = slog.Default()
		}
		if len(f.Environments) == 0 {
			f.Environments = DefaultEnvironments
		}
		if f.StaleAfter == 0 {
			f.StaleAfter = DefaultStaleAfter
		}
		if f.Gate == nil {
			f.Gate = flags.ApplyNow{Store: f.Store}
		}
		if f.Audit == nil {
			f.Audit = flags.LogAuditor{Log: f.Log}
		}
		f.cache = map[string]*atomic.Pointer[compiledSet]{}
		for _, env := range f.Environments {
			f.cache[env] = &atomic.Pointer[compiledSet]{}
		}
	})
}

func (f *Flags) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Routes are the flag endpoints.
func (f *Flags) Routes() []Route {
	f.init()
	return []Route{
		{"GET /api/v1/flags", policy.FlagsRead, f.list},
		{"GET /api/v1/flags/environments", policy.FlagsRead, f.environments},
		{"POST /api/v1/flags/import", policy.FlagsImport, f.importSet},
		{"GET /api/v1/flags/export", policy.FlagsRead, f.export},
		{"GET /api/v1/flags/definitions", policy.FlagsEvaluate, f.definitions},
		{"GET /api/v1/flags/{environment}/{key}", policy.FlagsRead, f.get},
		{"PUT /api/v1/flags/{environment}/{key}", policy.FlagsWrite, f.put},
		{"DELETE /api/v1/flags/{environment}/{key}", policy.FlagsWrite, f.remove},
		{"GET /api/v1/flags/{environment}/{key}/history", policy.FlagsRead, f.history},
		{"POST /ofrep/v1/evaluate/flags/{key}", policy.FlagsEvaluate, f.ofrepSingle},
		{"POST /ofrep/v1/evaluate/flags", policy.FlagsEvaluate, f.ofrepBulk},
	}
}

func (f *Flags) known(env string) bool { return slices.Contains(f.Environments, env) }

// queryEnvironment reads the required environment query parameter.
func (f *Flags) queryEnvironment(r *http.Request) (string, error) {
	env := r.URL.Query().Get("environment")
	if env == "" {
		return "", BadRequest("missing environment", problem.At("environment", "required: one of "+strings.Join(f.Environments, ", ")))
	}
	if !f.known(env) {
		return "", BadRequest("unknown environment", problem.Atf("environment", "%q is not one of %s", env, strings.Join(f.Environments, ", ")))
	}
	return env, nil
}

func (f *Flags) pathEnvironment(r *http.Request) (string, error) {
	env := r.PathValue("environment")
	if !f.known(env) {
		return "", Errorf(http.StatusNotFound, "not_found", "no flag environment %q (environments: %s)", env,
			strings.Join(f.Environments, ", "))
	}
	return env, nil
}

// readEnvironment is the environment a read names (by path or query), once the caller may read flags there.
func (f *Flags) readEnvironment(r *http.Request, from func(*http.Request) (string, error)) (string, error) {
	env, err := from(r)
	if err != nil {
		return "", err
	}
	return env, AuthorizeIn(r, policy.FlagsRead, "", env)
}

// readable reports whether the caller may read the flags of env: listings leave out the others.
func readable(r *http.Request, env string) bool {
	return AuthorizeIn(r, policy.FlagsRead, "", env) == nil
}

// ---- reading ----

func (f *Flags) row(rec flagstore.Record, evaluators map[string]json.RawMessage) FlagRow {
	fl := rec.Flag()
	if fl == nil {
		fl = &flags.Flag{}
	}
	s := flags.Summarize(fl, evaluators)
	row := FlagRow{Key: rec.Key, Environment: rec.Environment, Team: rec.Team, Owner: rec.Owner, State: fl.State,
		Type: s.Type, Variants: s.Variants, Default: s.Default, Rollout: s.Rollout, Reachable: s.Reachable,
		Version: rec.Version, UpdatedAt: rec.UpdatedAt, UpdatedBy: rec.UpdatedBy}
	unchanged := f.now().Sub(rec.UpdatedAt)
	days := int(f.StaleAfter / (24 * time.Hour))
	switch {
	case unchanged < f.StaleAfter:
	case fl.State == flags.StateDisabled:
		row.Stale, row.StaleReason = true, fmt.Sprintf("disabled and unchanged for more than %d days", days)
	case s.FullyRolledOut():
		served := "the code default"
		if len(s.Reachable) == 1 {
			served = fmt.Sprintf("%q", s.Reachable[0])
		}
		row.Stale, row.StaleReason = true, fmt.Sprintf("always serves %s and unchanged for more than %d days", served, days)
	}
	return row
}

func (f *Flags) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var problems problem.Problems
	for k := range q {
		if k != "environment" && k != "team" && k != "stale" {
			problems = append(problems, problem.At(k, "unknown parameter (use environment, team, stale)"))
		}
	}
	env, team := q.Get("environment"), q.Get("team")
	if env != "" && !f.known(env) {
		problems = append(problems, problem.Atf("environment", "%q is not one of %s", env,
			strings.Join(f.Environments, ", ")))
	}
	stale := q.Get("stale")
	if stale != "" && stale != "true" && stale != "false" {
		problems = append(problems, problem.At("stale", "must be true or false"))
	}
	if len(problems) > 0 {
		WriteError(w, r, f.Log, BadRequest("invalid query parameters", problems...))
		return
	}
	if env != "" {
		if err := AuthorizeIn(r, policy.FlagsRead, "", env); err != nil {
			WriteError(w, r, f.Log, err)
			return
		}
	}
	recs, err := f.Store.List(r.Context(), flagstore.Filter{Environment: env, Team: team})
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	evaluators := map[string]map[string]json.RawMessage{}
	items := []FlagRow{}
	for _, rec := range recs {
		if !f.known(rec.Environment) || !readable(r, rec.Environment) {
			continue
		}
		ev, ok := evaluators[rec.Environment]
		if !ok {
			set, err := f.Store.Load(r.Context(), rec.Environment)
			if err != nil {
				WriteError(w, r, f.Log, err)
				return
			}
			ev = set.File.Evaluators
			evaluators[rec.Environment] = ev
		}
		row := f.row(rec, ev)
		if stale != "" && row.Stale != (stale == "true") {
			continue
		}
		items = append(items, row)
	}
	approvers := map[string][]string{}
	for _, env := range f.Environments {
		if roles := f.Approvers[env]; len(roles) > 0 {
			approvers[env] = roles
		}
	}
	WriteJSON(w, http.StatusOK, FlagList{Items: items, Environments: f.Environments,
		StaleAfterDays: int(f.StaleAfter / (24 * time.Hour)), Approvers: approvers})
}

func (f *Flags) environments(w http.ResponseWriter, r *http.Request) {
	out := []FlagEnvironment{}
	for _, env := range f.Environments {
		if !readable(r, env) {
			continue
		}
		set, err := f.Store.Load(r.Context(), env)
		if err != nil {
			WriteError(w, r, f.Log, err)
			return
		}
		approvers := f.Approvers[env]
		if approvers == nil {
			approvers = []string{}
		}
		out = append(out, FlagEnvironment{Name: env, ETag: set.ETag, Flags: len(set.File.Flags), Approvers: approvers})
	}
	WriteJSON(w, http.StatusOK, Items[FlagEnvironment]{out})
}

func (f *Flags) detail(r *http.Request, env, key string) (FlagDetail, error) {
	rec, err := f.Store.Get(r.Context(), env, key)
	if err != nil {
		return FlagDetail{}, err
	}
	set, err := f.Store.Load(r.Context(), env)
	if err != nil {
		return FlagDetail{}, err
	}
	return FlagDetail{FlagRow: f.row(rec, set.File.Evaluators), Definition: rec.Definition, CreatedAt: rec.CreatedAt}, nil
}

func (f *Flags) get(w http.ResponseWriter, r *http.Request) {
	env, err := f.readEnvironment(r, f.pathEnvironment)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	d, err := f.detail(r, env, r.PathValue("key"))
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, d)
}

func (f *Flags) history(w http.ResponseWriter, r *http.Request) {
	env, err := f.readEnvironment(r, f.pathEnvironment)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	entries, err := f.Store.History(r.Context(), env, r.PathValue("key"), 500)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	if len(entries) == 0 {
		WriteError(w, r, f.Log, fmt.Errorf("%w: no flag %q in %s, now or before", flagstore.ErrNotFound, r.PathValue("key"), env))
		return
	}
	items := make([]FlagHistoryEntry, len(entries))
	for i, e := range entries {
		items[i] = FlagHistoryEntry{Entry: e, Diff: flags.Diff(e.Before, e.After)}
	}
	WriteJSON(w, http.StatusOK, Items[FlagHistoryEntry]{items})
}

func (f *Flags) export(w http.ResponseWriter, r *http.Request) {
	env, err := f.readEnvironment(r, f.queryEnvironment)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	f.writeSet(w, r, env, false)
}

// writeSet answers with an environment's flagd file, its ETag, and 304 when the caller has it already.
func (f *Flags) writeSet(w http.ResponseWriter, r *http.Request, env string, conditional bool) {
	set, err := f.Store.Load(r.Context(), env)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	w.Header().Set("ETag", set.ETag)
	if conditional && etagMatches(r.Header.Get("If-None-Match"), set.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b, err := set.File.Marshal()
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if !conditional {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="flags-%s.json"`, env))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// etagMatches implements If-None-Match: a list of (possibly weak) tags, or *.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

func (f *Flags) definitions(w http.ResponseWriter, r *http.Request) {
	env, err := f.evalEnvironment(r)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	f.writeSet(w, r, env, true)
}

// evalEnvironment decides which environment an evaluating caller means: the environment query parameter, or the
// one environment its token is scoped to (flags:evaluate:ENV). A scoped token may use only its environments.
func (f *Flags) evalEnvironment(r *http.Request) (string, error) {
	pr, _ := auth.FromContext(r.Context())
	env := r.URL.Query().Get("environment")
	if env == "" {
		var scoped []string
		for _, s := range pr.Scopes {
			if e, ok := strings.CutPrefix(s, string(policy.FlagsEvaluate)+":"); ok && f.known(e) {
				scoped = append(scoped, e)
			}
		}
		if len(scoped) != 1 {
			return "", BadRequest("missing environment", problem.At("environment", "required unless the token is scoped to one environment (flags:evaluate:ENV); one of "+strings.Join(f.Environments, ", ")))
		}
		env = scoped[0]
	}
	if !f.known(env) {
		return "", BadRequest("unknown environment", problem.Atf("environment", "%q is not one of %s", env, strings.Join(f.Environments, ", ")))
	}
	return env, AuthorizeIn(r, policy.FlagsEvaluate, "", env)
}

// ---- writing ----

// authorizeTeam checks a team-scoped flag write in env; a flag without a team may be written by those who may
// import there.
func authorizeTeam(r *http.Request, team, env string) error {
	if team == "" {
		if err := AuthorizeIn(r, policy.FlagsImport, "", env); err != nil {
			return Errorf(http.StatusForbidden, "forbidden", "this flag has no team; only administrators may change it")
		}
		return nil
	}
	return AuthorizeIn(r, policy.FlagsWrite, team, env)
}

func actor(r *http.Request) string {
	pr, _ := auth.FromContext(r.Context())
	return pr.Subject
}

func (f *Flags) put(w http.ResponseWriter, r *http.Request) {
	env, err := f.pathEnvironment(r)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	key := r.PathValue("key")
	var body FlagPut
	if err := DecodeJSON(w, r, 1<<20, &body); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	var problems problem.Problems
	if !flags.ValidKey(key) {
		problems.Add("key", "flag keys use letters, digits, and _ . : - (at most 128 characters), starting with a "+
			"letter or digit")
	}
	if strings.TrimSpace(body.Team) == "" {
		problems.Add("team", "required: the team that owns the flag")
	}
	var fl *flags.Flag
	if len(body.Flag) == 0 || string(body.Flag) == "null" {
		problems.Add("/flag", "required: the flag's flagd definition")
	} else if fl, err = flags.ParseFlag(body.Flag); err != nil {
		var ps problem.Problems
		if !errors.As(err, &ps) {
			ps = problem.Problems{problem.At("", err.Error())}
		}
		problems.Append(ps.Under("/flag")...)
	}
	if problems.HasErrors() {
		WriteError(w, r, f.Log, fmt.Errorf("invalid flag; nothing was stored: %w", problems))
		return
	}
	// The caller needs the right on the flag's current team and on the team it will have.
	var before json.RawMessage
	old, err := f.Store.Get(r.Context(), env, key)
	switch {
	case err == nil:
		if err := authorizeTeam(r, old.Team, env); err != nil {
			f.refuse(w, r, flags.Change{Action: flags.ActionPut, Environment: env, Key: key, Team: old.Team}, err)
			return
		}
		before = old.Definition
	case !errors.Is(err, flagstore.ErrNotFound):
		WriteError(w, r, f.Log, err)
		return
	}
	if err := authorizeTeam(r, body.Team, env); err != nil {
		f.refuse(w, r, flags.Change{Action: flags.ActionPut, Environment: env, Key: key, Team: body.Team}, err)
		return
	}
	c := flags.Change{Action: flags.ActionPut, Environment: env, Key: key, Team: body.Team, Owner: body.Owner,
		Flag: fl, IfVersion: body.Version, Actor: actor(r), Comment: body.Comment,
		// If-None-Match: * is HTTP's "create, don't replace".
		CreateOnly: strings.TrimSpace(r.Header.Get("If-None-Match")) == "*"}
	if ps := flags.ValidateFlagIn(key, fl, f.flagSet(r, env)); len(ps) > 0 {
		f.audit(r, c, "rejected", "invalid definition", before, nil)
		WriteError(w, r, f.Log, flags.Invalid(ps.Under("/flag")))
		return
	}
	f.submit(w, r, c, before, fl.Canonical())
}

// flagSet is the environment's flag set a written flag joins (nil when it cannot be read: the store checks again).
func (f *Flags) flagSet(r *http.Request, env string) *flags.File {
	set, err := f.Store.Load(r.Context(), env)
	if err != nil {
		return nil
	}
	return set.File
}

func (f *Flags) remove(w http.ResponseWriter, r *http.Request) {
	env, err := f.pathEnvironment(r)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	key := r.PathValue("key")
	old, err := f.Store.Get(r.Context(), env, key)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	if err := authorizeTeam(r, old.Team, env); err != nil {
		f.refuse(w, r, flags.Change{Action: flags.ActionDelete, Environment: env, Key: key, Team: old.Team}, err)
		return
	}
	c := flags.Change{Action: flags.ActionDelete, Environment: env, Key: key, Team: old.Team, Actor: actor(r),
		Comment: r.URL.Query().Get("comment")}
	f.submit(w, r, c, old.Definition, nil)
}

// submit passes a change through the gate, audits the outcome and answers: 200 with the flag when applied, 202
// with the request when it awaits approval.
func (f *Flags) submit(w http.ResponseWriter, r *http.Request, c flags.Change, before, after json.RawMessage) {
	applied, pending, err := f.Gate.Submit(r.Context(), c)
	switch {
	case err != nil:
		outcome := "failed"
		var ps problem.Problems
		if errors.As(err, &ps) || errors.Is(err, flagstore.ErrConflict) || errors.Is(err, flagstore.ErrNotFound) {
			outcome = "rejected"
		}
		f.audit(r, c, outcome, err.Error(), before, after)
		WriteError(w, r, f.Log, err)
		return
	case pending != nil:
		f.audit(r, c, "pending", pending.Message, before, after)
		WriteJSON(w, http.StatusAccepted, PendingChange{pending})
		return
	case !applied:
		f.audit(r, c, "rejected", "the change gate neither applied nor queued the change", before, after)
		WriteError(w, r, f.Log, Errorf(http.StatusConflict, "conflict", "the change was not applied"))
		return
	}
	f.audit(r, c, "applied", "", before, after)
	switch c.Action {
	case flags.ActionDelete:
		w.WriteHeader(http.StatusNoContent)
	case flags.ActionImport:
		set, err := f.Store.Load(r.Context(), c.Environment)
		if err != nil {
			WriteError(w, r, f.Log, err)
			return
		}
		WriteJSON(w, http.StatusOK, FlagImportResult{Environment: c.Environment, ETag: set.ETag,
			Flags: len(set.File.Flags)})
	default:
		d, err := f.detail(r, c.Environment, c.Key)
		if err != nil {
			WriteError(w, r, f.Log, err)
			return
		}
		WriteJSON(w, http.StatusOK, d)
	}
}

// refuse answers a flag write the caller may not make (err, a 403) and audits the refusal, as refused approvals
// are: who tried to change which flag where, and why not.
func (f *Flags) refuse(w http.ResponseWriter, r *http.Request, c flags.Change, err error) {
	c.Actor = actor(r)
	f.audit(r, c, "rejected", "forbidden: "+errorMessage(err), nil, nil)
	WriteError(w, r, f.Log, err)
}

func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Refused is the portal's hook for requests refused at the route (Portal.Refused): a flag write by a caller with
// no role that writes (or imports) flags at all is audited like one refused in the handler.
func (f *Flags) Refused(r *http.Request, pattern string, p auth.Principal, reason string) {
	f.init()
	c := flags.Change{Actor: p.Subject}
	switch pattern {
	case "PUT /api/v1/flags/{environment}/{key}", "DELETE /api/v1/flags/{environment}/{key}":
		c.Action = flags.ActionPut
		if r.Method == http.MethodDelete {
			c.Action = flags.ActionDelete
		}
		c.Environment, c.Key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/api/v1/flags/"), "/")
	case "POST /api/v1/flags/import":
		c.Action, c.Environment = flags.ActionImport, r.URL.Query().Get("environment")
	default:
		return
	}
	c.Environment, c.Key = clip(c.Environment), clip(c.Key) // what was asked for, not necessarily a flag
	f.audit(r, c, "rejected", "forbidden: "+reason, nil, nil)
}

func (f *Flags) audit(r *http.Request, c flags.Change, outcome, detail string, before, after json.RawMessage) {
	f.Audit.Record(r.Context(), flags.AuditEntry{Actor: c.Actor, Action: "flag." + c.Action,
		Environment: c.Environment, Key: c.Key, Team: c.Team, Outcome: outcome, Detail: detail, Before: before,
		After: after})
}

func (f *Flags) importSet(w http.ResponseWriter, r *http.Request) {
	env, err := f.queryEnvironment(r)
	if err == nil {
		err = AuthorizeIn(r, policy.FlagsImport, "", env)
	}
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFlagFile))
	if err != nil {
		WriteError(w, r, f.Log, Errorf(http.StatusRequestEntityTooLarge, "too_large",
			"a flag-definition file may be at most %d bytes", maxFlagFile))
		return
	}
	c := flags.Change{Action: flags.ActionImport, Environment: env, Team: r.URL.Query().Get("team"),
		Actor: actor(r), Comment: r.URL.Query().Get("comment")}
	file, ps := flags.ValidateJSON(body)
	if len(ps) > 0 {
		f.audit(r, c, "rejected", fmt.Sprintf("%d problem(s) in the file", len(ps)), nil, nil)
		WriteError(w, r, f.Log, flags.Invalid(ps))
		return
	}
	c.File = file
	f.submit(w, r, c, nil, nil)
}
