package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sphera/atrium/app/replica"
	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/store"
)

// The desktop's side of the fleet configuration (docs/fleet.md): the install's id, the portal's pinned key and
// the last good configuration (per portal), the user's own preferences, and what they make of the install. The
// configuration arrives on the sync loop's change feed; the install reports itself on the same requests.

// Files of the fleet configuration in the data directory (all 0600).
const (
	installIDFile   = "install-id"
	fleetStateFile  = "fleet.json"
	preferencesFile = "preferences.json"
)

type fleetState struct {
	// Portals holds each portal's pinned key and last good configuration, by portal URL ("local" for local mode).
	Portals map[string]fleet.InstallState `json:"portals"`
}

// fleetAgent is one runtime's fleet configuration; it follows the runtime's connection (attach).
type fleetAgent struct {
	rt *Runtime
	id string

	mu        sync.Mutex
	state     fleetState
	origin    string
	inst      *fleet.Install
	loop      *replica.Loop
	prefs     fleet.Prefs
	grantTeam string
	rev       int64
}

// newFleetAgent reads the install's id (making one on first start), its fleet state and preferences. A state or
// preferences file that does not parse is reported and set aside (renamed .bad), not fatal: the install then
// starts as a new one and pins the portal's key again.
func newFleetAgent(rt *Runtime) (*fleetAgent, error) {
	id, err := installID(rt.DataDir)
	if err != nil {
		return nil, err
	}
	a := &fleetAgent{rt: rt, id: id, state: fleetState{Portals: map[string]fleet.InstallState{}}}
	if err := readJSON(filepath.Join(rt.DataDir, fleetStateFile), &a.state, rt); err != nil {
		return nil, err
	}
	if a.state.Portals == nil {
		a.state.Portals = map[string]fleet.InstallState{}
	}
	if err := readJSON(filepath.Join(rt.DataDir, preferencesFile), &a.prefs, rt); err != nil {
		return nil, err
	}
	if ps := fleet.CheckPrefs(a.prefs); len(ps) > 0 {
		rt.Log.Warn("preferences ignored: they do not validate", "file", preferencesFile, "problems", ps.Error())
		a.prefs = fleet.Prefs{}
	}
	a.inst = fleet.NewInstall(fleet.InstallState{})
	return a, nil
}

// installID is the install's id, stable per data directory.
func installID(dir string) (string, error) {
	path := filepath.Join(dir, installIDFile)
	b, err := os.ReadFile(path)
	if err == nil && fleet.ValidInstallID(strings.TrimSpace(string(b))) {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the install id: %w", err)
	}
	r := make([]byte, 12)
	if _, err := rand.Read(r); err != nil {
		return "", err
	}
	id := "ins_" + hex.EncodeToString(r)
	if err := writeFileAtomic(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("write the install id: %w", err)
	}
	return id, nil
}

func readJSON(path string, v any, rt *Runtime) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		bad := path + ".bad"
		rt.Log.Warn("file does not parse; set aside and started afresh", "file", path, "moved_to", bad, "err", err)
		if rerr := os.Rename(path, bad); rerr != nil {
			return fmt.Errorf("%s does not parse and cannot be set aside: %w", path, errors.Join(err, rerr))
		}
	}
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// attach follows a new connection: the state kept for origin's portal, the loop to tune, and (in the background)
// the user's team from their role on the portal.
func (a *fleetAgent) attach(origin string, loop *replica.Loop, c *client.Client) {
	a.mu.Lock()
	a.origin, a.loop, a.grantTeam = origin, loop, ""
	a.inst = fleet.NewInstall(a.state.Portals[origin])
	if st := a.inst.State(); st.Refused != nil && a.state.Portals[origin].Refused == nil {
		a.rt.Log.Warn("the saved fleet configuration does not verify; dropped", "portal", origin, "reason", st.Refused.Message)
	}
	a.rev++
	eff := a.effectiveLocked()
	a.mu.Unlock()
	a.tune(loop, eff)
	loop.Fleet = a
	if !a.rt.readOnly {
		go a.loadGrantTeam(origin, c)
	}
}

// loadGrantTeam asks the portal who the user is: the team of their first team-scoped role is the install's team
// when neither the configuration nor the user names one.
func (a *fleetAgent) loadGrantTeam(origin string, c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var me api.Caller
	if err := c.Do(ctx, http.MethodGet, "/api/v1/me", nil, nil, &me); err != nil {
		a.rt.Log.Debug("fleet: who am I", "err", err)
		return
	}
	team := ""
	for _, g := range me.Grants {
		if g.Team != "" && (g.Role == auth.RoleDeveloper || g.Role == auth.RoleTeamOwner) {
			team = g.Team
			break
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.origin == origin && a.grantTeam != team {
		a.grantTeam = team
		a.rev++
	}
}

// Header implements replica.FeedHook: what the install reports of itself.
func (a *fleetAgent) Header() http.Header {
	a.mu.Lock()
	eff := a.effectiveLocked()
	a.mu.Unlock()
	h := http.Header{}
	h.Set(api.HeaderInstall, a.id)
	h.Set(api.HeaderAppVersion, api.Version)
	h.Set(api.HeaderOS, runtime.GOOS+"/"+runtime.GOARCH)
	if eff.Team != "" {
		h.Set(api.HeaderTeam, eff.Team)
	}
	h.Set(api.HeaderConfigVersion, strconv.FormatInt(eff.Version, 10))
	if p := a.inst.Problem(); p != "" {
		h.Set(api.HeaderConfigError, p)
	}
	return h
}

// Receive implements replica.FeedHook: the portal's key and configuration, checked and applied (or refused) whole.
func (a *fleetAgent) Receive(_ context.Context, b store.Batch) {
	var cfg *store.Change
	for i := range b.Changes {
		if c := &b.Changes[i]; c.Kind == store.KindFleet && !c.Deleted && c.Fleet != nil {
			cfg = c
		}
	}
	a.mu.Lock()
	inst, origin, loop := a.inst, a.origin, a.loop
	a.mu.Unlock()
	var changed bool
	if cfg != nil {
		changed = inst.Offer(b.FleetKey, cfg.Fleet)
	} else {
		changed = inst.Offer(b.FleetKey, nil)
	}
	if !changed {
		return
	}
	st := inst.State()
	a.mu.Lock()
	if a.inst != inst { // switched portals meanwhile
		a.mu.Unlock()
		return
	}
	a.state.Portals[origin] = st
	a.rev++
	err := a.saveLocked()
	eff := a.effectiveLocked()
	a.mu.Unlock()
	if err != nil {
		a.rt.Log.Warn("fleet configuration state not saved; it is kept in memory", "err", err)
	}
	switch {
	case cfg != nil && st.Config != nil && st.Config.Version == cfg.Fleet.Version:
		a.rt.Log.Info("fleet configuration applied", "version", st.Config.Version, "portal", origin)
	case st.Refused != nil:
		a.rt.Log.Warn("fleet configuration refused; keeping the last good one", "version", st.Refused.Version,
			"reason", st.Refused.Reason, "why", st.Refused.Message)
	case st.OfferedKey != "":
		a.rt.Log.Warn("the portal's signing key changed; configurations are refused until it is trusted (docs/fleet.md)",
			"pinned", st.KeyID, "portal", origin)
	}
	a.tune(loop, eff)
}

// tune applies the sync timings in force to the loop (the defaults where the configuration sets none).
func (a *fleetAgent) tune(loop *replica.Loop, eff fleet.Effective) {
	if loop == nil {
		return
	}
	wait, backoff := 20*time.Second, 10*time.Second
	if eff.Sync.LongPollSeconds > 0 {
		wait = time.Duration(eff.Sync.LongPollSeconds) * time.Second
	}
	if eff.Sync.RetryMaxSeconds > 0 {
		backoff = time.Duration(eff.Sync.RetryMaxSeconds) * time.Second
	}
	loop.SetTimings(wait, backoff)
}

func (a *fleetAgent) saveLocked() error {
	b, err := json.MarshalIndent(a.state, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(a.rt.DataDir, fleetStateFile), b)
}

func (a *fleetAgent) effectiveLocked() fleet.Effective {
	doc, v := a.inst.Applied()
	return fleet.Resolve(doc, v, a.prefs, a.grantTeam)
}

// effective is what applies to this install now.
func (a *fleetAgent) effective() fleet.Effective {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.effectiveLocked()
}

// revision changes whenever the effective configuration may have.
func (a *fleetAgent) revision() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, v := a.inst.Applied()
	return fmt.Sprintf("%d.%d", v, a.rev)
}

// setPrefs stores the user's own choices.
func (a *fleetAgent) setPrefs(p fleet.Prefs) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := writeFileAtomic(filepath.Join(a.rt.DataDir, preferencesFile), b); err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	a.prefs = p
	a.rev++
	return nil
}

// trust re-pins the portal's key (fleet.Install.Trust) and saves the state.
func (a *fleetAgent) trust(keyID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.inst.Trust(keyID); err != nil {
		return err
	}
	a.state.Portals[a.origin] = a.inst.State()
	a.rev++
	a.rt.Log.Info("the portal's new signing key is trusted", "portal", a.origin, "key_id", keyID)
	return a.saveLocked()
}

// ---- the local API ----

// fleetEffective is the FleetEffective schema: what the UI shows of the fleet configuration.
type fleetEffective struct {
	Revision string `json:"revision"`
	fleet.Effective
	AppVersion     string          `json:"app_version"`
	UpdateRequired bool            `json:"update_required"`
	Preferences    fleet.Prefs     `json:"preferences"`
	Key            *fleetKeyView   `json:"key,omitempty"`
	Refused        *fleetRefusalUI `json:"refused,omitempty"`
}

type fleetKeyView struct {
	KeyID        string    `json:"key_id"`
	PinnedAt     time.Time `json:"pinned_at,omitzero"`
	OfferedKeyID string    `json:"offered_key_id,omitempty"`
}

type fleetRefusalUI struct {
	Version int64              `json:"version"`
	Reason  string             `json:"reason"`
	Message string             `json:"message"`
	Fields  []api.FieldProblem `json:"fields,omitempty"`
	At      time.Time          `json:"at"`
}

func (a *fleetAgent) view() fleetEffective {
	a.mu.Lock()
	eff := a.effectiveLocked()
	prefs := a.prefs
	rev := a.rev
	a.mu.Unlock()
	st := a.inst.State()
	v := fleetEffective{Revision: fmt.Sprintf("%d.%d", eff.Version, rev), Effective: eff, AppVersion: api.Version,
		UpdateRequired: eff.UpdateRequired(api.Version), Preferences: prefs}
	if st.Key != "" {
		v.Key = &fleetKeyView{KeyID: st.KeyID, PinnedAt: st.PinnedAt}
		if pub, err := fleet.ParsePublicKey(st.OfferedKey); err == nil {
			v.Key.OfferedKeyID = fleet.KeyID(pub)
		}
	}
	if r := st.Refused; r != nil {
		v.Refused = &fleetRefusalUI{Version: r.Version, Reason: r.Reason, Message: r.Message, At: r.At}
		for _, p := range r.Problems {
			v.Refused.Fields = append(v.Refused.Fields, api.FieldProblem{Field: p.Path, Problem: p.Summary})
		}
	}
	if v.Preferences.Features == nil {
		v.Preferences.Features = map[string]bool{}
	}
	return v
}

func (rt *Runtime) fleetEffective(w http.ResponseWriter, r *http.Request) {
	api.WriteJSON(w, http.StatusOK, rt.fleet.view())
}

func (rt *Runtime) putPreferences(w http.ResponseWriter, r *http.Request) {
	var p fleet.Prefs
	if err := api.DecodeJSON(w, r, 16<<10, &p); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	if ps := fleet.CheckPrefs(p); len(ps) > 0 {
		api.WriteError(w, r, rt.Log, fmt.Errorf("invalid preferences: nothing was saved: %w", ps))
		return
	}
	if err := rt.fleet.setPrefs(p); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	rt.fleet.retune()
	api.WriteJSON(w, http.StatusOK, rt.fleet.view())
}

// retune applies the timings in force after preferences changed.
func (a *fleetAgent) retune() {
	a.mu.Lock()
	loop, eff := a.loop, a.effectiveLocked()
	a.mu.Unlock()
	a.tune(loop, eff)
}

func (rt *Runtime) trustFleetKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyID string `json:"key_id"`
	}
	if err := api.DecodeJSON(w, r, 4<<10, &in); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	if in.KeyID == "" {
		api.WriteError(w, r, rt.Log, api.BadRequest("invalid request", problem.At("key_id", "required: the new key's fingerprint")))
		return
	}
	if err := rt.fleet.trust(in.KeyID); err != nil {
		if errors.Is(err, fleet.ErrNothingToTrust) {
			err = api.Errorf(http.StatusConflict, "conflict", "%v", err)
		}
		api.WriteError(w, r, rt.Log, err)
		return
	}
	// The configuration the new key signed may already be in force: the next feed request reports it.
	rt.State().Loop.Kick()
	api.WriteJSON(w, http.StatusOK, rt.fleet.view())
}

// TrustFleetKey re-pins the key the connected portal presents, named by its fingerprint (atrium fleet trust).
func (rt *Runtime) TrustFleetKey(keyID string) error { return rt.fleet.trust(keyID) }

// FleetEffective is what the fleet configuration makes of this install now.
func (rt *Runtime) FleetEffective() fleet.Effective { return rt.fleet.effective() }
