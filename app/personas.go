package app

import (
	"net/http"
	"slices"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/problem"
)

// Demo personas let one person try, in local mode, the flows that need other people: a developer requests a
// production queue, a platform approver approves it, and the requester sees it run. The in-process portal
// decides with its real policy (internal/policy) for whoever the persona is, and its audit log names the
// persona. Personas exist only in the desktop's local API and only in local mode: a team portal (`atrium serve`)
// never hears of them — it authenticates its own callers — and the desktop forwards to a team portal with the
// user's token whatever persona was chosen before. Choosing one is a change to the local API, so it needs what
// every change there needs: the launch token of `atrium web` (or the desktop window's own origin), from this origin
// (api.SameOriginJSON). Holding those already makes one the local admin, so a persona grants nothing new; it only
// takes rights away. The choice lives in memory: a restart is the OS user again.

// PersonaYou is the persona of the OS user: the local portal's admin.
const PersonaYou = "you"

// ViaPersona is the Via of a demo persona's principal (GET /me says "persona").
const ViaPersona = "persona"

// persona is one demo person of local mode.
type persona struct {
	ID          string       `json:"id"`
	Subject     string       `json:"subject"`
	Label       string       `json:"label"`
	Description string       `json:"description"`
	Grants      []auth.Grant `json:"grants"`
	Demo        bool         `json:"demo"` // false for the OS user
}

// demoPersonas are the people of the demo catalog's teams one may act as. Their subjects start with "demo-" so
// that an audit entry or a request made by one is never taken for a real person's.
var demoPersonas = []persona{
	{ID: "dana", Subject: "demo-dana", Label: "Dana — developer, payments", Demo: true,
		Description: "A developer of team payments: requests queues, topics and secrets for the team's services; approves nothing.",
		Grants:      []auth.Grant{{Role: auth.RoleDeveloper, Team: "payments"}}},
	{ID: "olu", Subject: "demo-olu", Label: "Olu — team owner, payments", Demo: true,
		Description: "An owner of team payments: approves the team's staging requests and changes its flags.",
		Grants:      []auth.Grant{{Role: auth.RoleTeamOwner, Team: "payments"}}},
	{ID: "pat", Subject: "demo-pat", Label: "Pat — platform approver", Demo: true,
		Description: "A platform approver: approves production requests of every team and reads the audit log.",
		Grants:      []auth.Grant{{Role: auth.RolePlatformApprover}}},
	{ID: "gus", Subject: "demo-gus", Label: "Gus — developer, growth", Demo: true,
		Description: "A developer of another team (growth): may request for growth's services, not for payments'.",
		Grants:      []auth.Grant{{Role: auth.RoleDeveloper, Team: "growth"}}},
}

// personas lists who one may act as in local mode: the OS user first, then the demo's people.
func personas() []persona {
	me := localPrincipal()
	you := persona{ID: PersonaYou, Subject: me.Subject, Label: "You (" + me.Subject + ") — admin",
		Description: "The user of this computer: the local portal's admin.", Grants: me.Grants}
	return append([]persona{you}, demoPersonas...)
}

// principal is the persona as the portal sees it.
func (p persona) principal() auth.Principal {
	if !p.Demo {
		return localPrincipal()
	}
	return auth.Principal{Subject: p.Subject, Via: ViaPersona, Grants: slices.Clone(p.Grants)}
}

// PersonaList is the answer of GET /api/v1/local/personas and PUT /api/v1/local/persona.
type PersonaList struct {
	Active   string    `json:"active"`
	Personas []persona `json:"personas"`
}

// actingAs is who the UI's requests reach the local portal as: the chosen persona, or the OS user.
func (rt *Runtime) actingAs() auth.Principal {
	rt.mu.Lock()
	id := rt.persona
	rt.mu.Unlock()
	for _, p := range personas() {
		if p.ID == id {
			return p.principal()
		}
	}
	return localPrincipal()
}

func (rt *Runtime) personaList() PersonaList {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	active := rt.persona
	if active == "" {
		active = PersonaYou
	}
	return PersonaList{Active: active, Personas: personas()}
}

// errNotLocal answers the persona endpoints of a desktop connected to a team portal.
func errNotLocal() error {
	return api.Errorf(http.StatusNotFound, "not_local",
		"demo personas exist only in local mode; a team portal knows you by your own token")
}

func (rt *Runtime) getPersonas(w http.ResponseWriter, r *http.Request) {
	if rt.State().Mode != ModeLocal {
		api.WriteError(w, r, rt.Log, errNotLocal())
		return
	}
	api.WriteJSON(w, http.StatusOK, rt.personaList())
}

func (rt *Runtime) putPersona(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID string `json:"id"`
	}
	if err := api.DecodeJSON(w, r, 4<<10, &in); err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	known := slices.ContainsFunc(personas(), func(p persona) bool { return p.ID == in.ID })
	if !known {
		ids := make([]string, 0, len(personas()))
		for _, p := range personas() {
			ids = append(ids, p.ID)
		}
		api.WriteError(w, r, rt.Log, api.BadRequest("unknown persona",
			problem.Atf("id", "%q is not a persona; one of %v", in.ID, ids)))
		return
	}
	rt.mu.Lock()
	local := rt.mode == ModeLocal
	if local {
		rt.persona = in.ID
	}
	rt.mu.Unlock()
	if !local {
		api.WriteError(w, r, rt.Log, errNotLocal())
		return
	}
	rt.Log.Info("acting as a demo persona", "persona", in.ID)
	api.WriteJSON(w, http.StatusOK, rt.personaList())
}
