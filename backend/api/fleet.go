package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// Fleet serves the fleet configuration admins push to every desktop install, the installs' reports, usage events
// and the adoption KPI (docs/fleet.md).
type Fleet struct {
	DB *store.DB
	// Signer signs every configuration pushed; its public key travels in every change-feed batch.
	Signer    *fleet.Signer
	Installs  *fleet.Registry
	Usage     *fleet.Usage
	Directory *fleet.Directory
	KPI       *fleet.KPI
	Audit     audit.Log
	Log       *slog.Logger
}

// NewFleet is a Fleet on db with the given signer and usage retention in days (0: the default).
func NewFleet(db *store.DB, signer *fleet.Signer, retentionDays int, log *slog.Logger) *Fleet {
	return &Fleet{DB: db, Signer: signer, Installs: &fleet.Registry{DB: db.SQL(), Now: db.Now},
		Usage:     &fleet.Usage{DB: db.SQL(), Retention: retentionDays, Now: db.Now},
		Directory: &fleet.Directory{DB: db.SQL(), Now: db.Now}, KPI: &fleet.KPI{DB: db.SQL(), Now: db.Now},
		Audit: audit.Log{DB: db.SQL()}, Log: log}
}

// Routes are the fleet's and the KPI's endpoints.
func (f *Fleet) Routes() []Route {
	return []Route{
		{"GET /api/v1/fleet/config", policy.FleetManage, f.getConfig},
		{"POST /api/v1/fleet/config", policy.FleetManage, f.push},
		{"POST /api/v1/fleet/preview", policy.FleetManage, f.preview},
		{"GET /api/v1/fleet/history", policy.FleetManage, f.history},
		{"GET /api/v1/fleet/history/{version}", policy.FleetManage, f.version},
		{"POST /api/v1/fleet/rollback", policy.FleetManage, f.rollback},
		{"GET /api/v1/fleet/installs", policy.FleetManage, f.installs},
		{"GET /api/v1/fleet/key", Authenticated, f.key},
		{"POST /api/v1/usage/batch", policy.UsageWrite, f.usage},
		{"GET /api/v1/kpi/adoption", policy.UsageRead, f.adoption},
		{"GET /api/v1/kpi/developers", policy.UsageRead, f.developers},
		{"PUT /api/v1/kpi/developers", policy.FleetManage, f.putDevelopers},
	}
}

// Headers an install reports itself with on every change-feed request (docs/fleet.md).
const (
	HeaderInstall       = "X-Atrium-Install"
	HeaderAppVersion    = "X-Atrium-App-Version"
	HeaderOS            = "X-Atrium-Os"
	HeaderTeam          = "X-Atrium-Team"
	HeaderConfigVersion = "X-Atrium-Config-Version"
	HeaderConfigError   = "X-Atrium-Config-Error"
)

// Report records what an install says of itself on a change-feed request, when the request carries an install id
// and its caller may send usage (people's tokens; a CI token reading the feed is no install). Nothing here can
// fail the feed request: bad values are dropped.
func (f *Fleet) Report(r *http.Request) {
	id := r.Header.Get(HeaderInstall)
	if id == "" || f == nil || f.Installs == nil {
		return
	}
	p, ok := auth.FromContext(r.Context())
	if !ok || !policy.Decide(p, policy.UsageWrite, "").Allow {
		return
	}
	v, _ := strconv.ParseInt(r.Header.Get(HeaderConfigVersion), 10, 64)
	f.Installs.Report(fleet.Report{ID: id, User: p.Subject, Team: r.Header.Get(HeaderTeam), OS: r.Header.Get(HeaderOS),
		AppVersion: r.Header.Get(HeaderAppVersion), ConfigVersion: v, ConfigError: r.Header.Get(HeaderConfigError)})
}

// PublicKey is the signing key installs pin ("" without a signer).
func (f *Fleet) PublicKey() string {
	if f == nil || f.Signer == nil {
		return ""
	}
	return f.Signer.PublicKey()
}

// latest is the configuration in force, parsed, and its version (0 and an empty document when none).
func (f *Fleet) latest(ctx context.Context) (fleet.Document, catalog.FleetConfig, error) {
	c, ok, err := f.DB.LatestFleetConfig(ctx)
	if err != nil || !ok {
		return fleet.Document{Schema: fleet.Schema}, c, err
	}
	doc, ps := fleet.Parse(c.Content, fleet.Options{})
	if len(ps) > 0 {
		return doc, c, fmt.Errorf("stored fleet configuration version %d does not parse: %w", c.Version, ps)
	}
	return doc, c, nil
}

func (f *Fleet) view(c catalog.FleetConfig) FleetVersion {
	v := FleetVersion{Version: c.Version, CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy, Note: c.Note,
		RollbackOf: c.RollbackOf, KeyID: c.KeyID, Config: json.RawMessage(`{"schema":1,"settings":{}}`)}
	if len(c.Content) > 0 {
		v.Config = json.RawMessage(c.Content)
	}
	return v
}

func (f *Fleet) getConfig(w http.ResponseWriter, r *http.Request) {
	_, c, err := f.latest(r.Context())
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, f.view(c))
}

// maxPushBody bounds a push: a configuration of fleet.MaxBytes and some room for its note and whitespace.
const maxPushBody = 4 * fleet.MaxBytes

// parse checks a configuration from a request against the schema and the catalog's teams; its problems are at
// /config/... of the request.
func (f *Fleet) parse(ctx context.Context, raw json.RawMessage) (fleet.Document, error) {
	if len(raw) == 0 {
		return fleet.Document{}, fmt.Errorf("invalid fleet configuration: nothing was pushed: %w",
			problem.Problems{problem.At("/config", "required")})
	}
	teams, err := f.DB.Teams(ctx)
	if err != nil {
		return fleet.Document{}, err
	}
	known := map[string]bool{}
	for _, t := range teams {
		known[t.Name] = true
	}
	doc, ps := fleet.Parse(raw, fleet.Options{Team: func(n string) bool { return known[n] }})
	if len(ps) > 0 {
		return doc, fmt.Errorf("invalid fleet configuration: nothing was pushed: %w", ps.Under("/config"))
	}
	return doc, nil
}

func (f *Fleet) push(w http.ResponseWriter, r *http.Request) {
	var in FleetPush
	if err := DecodeJSON(w, r, maxPushBody, &in); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	if len(in.Note) > 500 {
		WriteError(w, r, f.Log, BadRequest("invalid push", problem.At("note", "at most 500 characters")))
		return
	}
	doc, err := f.parse(r.Context(), in.Config)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	base := int64(-1)
	if in.BaseVersion != nil {
		base = *in.BaseVersion
	}
	c, err := f.store(r, doc.Canonical(), base, in.Note, 0)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusCreated, f.view(c))
}

// store signs and stores content as the next version, in the change feed, and audits it.
func (f *Fleet) store(r *http.Request, content []byte, base int64, note string, rollbackOf int64) (catalog.FleetConfig, error) {
	p, _ := auth.FromContext(r.Context())
	c, err := f.DB.PushFleetConfig(r.Context(), base, func(version int64) (catalog.FleetConfig, error) {
		c := f.Signer.Sign(version, content)
		c.CreatedAt, c.CreatedBy, c.Note, c.RollbackOf = f.DB.Now(), p.Subject, note, rollbackOf
		return c, nil
	})
	if errors.Is(err, store.ErrFleetConflict) {
		return c, Errorf(http.StatusConflict, "conflict", "%v: preview again and push on the newest version", err)
	}
	if err != nil {
		return c, err
	}
	action, detail := "fleet.pushed", map[string]any{"version": c.Version, "key_id": c.KeyID, "note": note}
	if rollbackOf > 0 {
		action, detail["rollback_of"] = "fleet.rolled_back", rollbackOf
	}
	if err := f.Audit.Record(r.Context(), audit.Event{Actor: p.Subject, Action: action,
		Resource: "fleet/" + strconv.FormatInt(c.Version, 10), Outcome: "success", Detail: detail}); err != nil {
		// The version is stored and on its way to every install; the audit gap is the operator's to see.
		f.Log.Error("audit fleet push", "version", c.Version, "err", err)
	}
	f.Log.Info("fleet configuration pushed", "version", c.Version, "by", p.Subject, "rollback_of", rollbackOf)
	return c, nil
}

func (f *Fleet) preview(w http.ResponseWriter, r *http.Request) {
	var in FleetPush
	if err := DecodeJSON(w, r, maxPushBody, &in); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	next, err := f.parse(r.Context(), in.Config)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	cur, c, err := f.latest(r.Context())
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	list, err := f.Installs.List(r.Context(), fleet.InstallQuery{}, cur, c.Version)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, FleetPreview{Preview: fleet.BuildPreview(next, cur, c.Version, list.Items),
		Config: json.RawMessage(next.Canonical())})
}

func (f *Fleet) history(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("limit", "before")
	limit := p.intIn("limit", 1, 200, 50, "")
	before := p.intIn("before", 0, 1<<31-1, 0, "")
	if err := p.err(); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	cs, err := f.DB.FleetHistory(r.Context(), int64(before), limit)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	out := Items[FleetVersion]{Items: make([]FleetVersion, len(cs))}
	for i, c := range cs {
		out.Items[i] = f.view(c)
	}
	WriteJSON(w, http.StatusOK, out)
}

func (f *Fleet) find(ctx context.Context, s string) (catalog.FleetConfig, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return catalog.FleetConfig{}, BadRequest("invalid version", problem.At("version", "must be a version number (1, 2, ...)"))
	}
	c, err := f.DB.FleetConfig(ctx, v)
	if errors.Is(err, store.ErrNoFleetConfig) {
		return c, Errorf(http.StatusNotFound, "not_found", "no fleet configuration version %d", v)
	}
	return c, err
}

func (f *Fleet) version(w http.ResponseWriter, r *http.Request) {
	c, err := f.find(r.Context(), r.PathValue("version"))
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, f.view(c))
}

func (f *Fleet) rollback(w http.ResponseWriter, r *http.Request) {
	var in FleetRollback
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	if len(in.Note) > 500 {
		WriteError(w, r, f.Log, BadRequest("invalid rollback", problem.At("note", "at most 500 characters")))
		return
	}
	old, err := f.find(r.Context(), strconv.FormatInt(in.Version, 10))
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	// The old content is checked again: teams named then may be gone from the catalog now.
	doc, err := f.parse(r.Context(), old.Content)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	note := in.Note
	if note == "" {
		note = fmt.Sprintf("rollback to version %d", old.Version)
	}
	base := int64(-1)
	if in.BaseVersion != nil {
		base = *in.BaseVersion
	}
	c, err := f.store(r, doc.Canonical(), base, note, old.Version)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusCreated, f.view(c))
}

func (f *Fleet) installs(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("filter", "team")
	filters := map[string]string{}
	for _, fl := range fleet.Filters {
		filters[fl] = fl
	}
	q := fleet.InstallQuery{Filter: p.oneOf("filter", filters, strings.Join(fleet.Filters, ", ")), Team: p.text("team", 63)}
	if err := p.err(); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	doc, c, err := f.latest(r.Context())
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	list, err := f.Installs.List(r.Context(), q, doc, c.Version)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, list)
}

func (f *Fleet) key(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, FleetKey{Algorithm: "ed25519", PublicKey: f.Signer.PublicKey(), KeyID: f.Signer.KeyID()})
}

func (f *Fleet) usage(w http.ResponseWriter, r *http.Request) {
	var in UsageBatch
	if err := DecodeJSON(w, r, 256<<10, &in); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	stored, dropped, err := f.Usage.Record(r.Context(), p.Subject, in.Events)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, UsageAccepted{Stored: stored, Dropped: dropped})
}

func (f *Fleet) adoption(w http.ResponseWriter, r *http.Request) {
	p := newParams(r.URL.Query())
	p.only("weeks", "format", "table")
	weeks := p.intIn("weeks", 1, fleet.MaxWeeks, 26, "")
	asCSV := p.csv()
	table := p.oneOf("table", map[string]string{"weeks": "", "teams": "", "features": ""}, "weeks, teams, features")
	if err := p.err(); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	a, err := f.KPI.Adoption(r.Context(), weeks)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	if !asCSV {
		WriteJSON(w, http.StatusOK, a)
		return
	}
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	var rows [][]string
	switch table {
	case "", "weeks":
		table = "weeks"
		rows = append(rows, []string{"week", "end", "active", "developers", "percent"})
		for _, wk := range a.Weeks {
			rows = append(rows, []string{wk.Week, wk.End, strconv.Itoa(wk.Active), strconv.Itoa(wk.Developers), pct(wk.Percent)})
		}
	case "teams":
		rows = append(rows, []string{"team", "active", "developers", "percent"})
		for _, t := range a.Teams {
			rows = append(rows, []string{t.Team, strconv.Itoa(t.Active), strconv.Itoa(t.Developers), pct(t.Percent)})
		}
	case "features":
		rows = append(rows, []string{"feature", "active", "percent_of_active", "events"})
		for _, ft := range a.Features {
			rows = append(rows, []string{ft.Feature, strconv.Itoa(ft.Active), pct(ft.Percent), strconv.Itoa(ft.Events)})
		}
	}
	writeCSV(w, "adoption-"+table+"-"+a.AsOf+".csv", rows)
}

func (f *Fleet) developers(w http.ResponseWriter, r *http.Request) {
	list, err := f.Directory.List(r.Context())
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, list)
}

func (f *Fleet) putDevelopers(w http.ResponseWriter, r *http.Request) {
	var in DeveloperUpload
	if err := DecodeJSON(w, r, 32<<20, &in); err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	ch, err := f.Directory.Replace(r.Context(), fleet.SourceUploaded, in.Developers)
	if err != nil {
		WriteError(w, r, f.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	if err := f.Audit.Record(r.Context(), audit.Event{Actor: p.Subject, Action: "developers.replaced",
		Resource: "developers/" + fleet.SourceUploaded, Outcome: "success",
		Detail: map[string]any{"developers": ch.Developers, "added": ch.Added, "removed": ch.Removed}}); err != nil {
		f.Log.Error("audit developer upload", "err", err)
	}
	WriteJSON(w, http.StatusOK, ch)
}

// RunMaintenance flushes installs' reports every second and prunes usage past its retention daily, until ctx
// ends (then flushes once more).
func (f *Fleet) RunMaintenance(ctx context.Context) {
	prune := func() {
		if n, err := f.Usage.Prune(ctx); err != nil && ctx.Err() == nil {
			f.Log.Warn("prune usage events", "err", err)
		} else if n > 0 {
			f.Log.Info("usage events past their retention deleted", "rows", n)
		}
	}
	prune()
	flush, daily := time.NewTicker(time.Second), time.NewTicker(24*time.Hour)
	defer flush.Stop()
	defer daily.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := f.Installs.Flush(context.WithoutCancel(ctx)); err != nil {
				f.Log.Warn("record installs' last reports", "err", err)
			}
			return
		case <-flush.C:
			if err := f.Installs.Flush(ctx); err != nil && ctx.Err() == nil {
				f.Log.Warn("record installs' reports; retrying", "err", err)
			}
		case <-daily.C:
			prune()
		}
	}
}
