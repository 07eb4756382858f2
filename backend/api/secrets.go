package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/policy"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/store"
)

// Secrets serves secrets (docs/secrets.md): their metadata for everyone with a role, writes (as actions) for the
// owning team, and reveals where the conventions allow. No answer but a reveal's holds a value, and a reveal's is
// never cached.
type Secrets struct {
	// DB answers the metadata: the portal's database, or a desktop's replica.
	DB *store.DB
	// Svc writes and reveals; nil on a portal without secrets configured (writes answer 404 not_configured).
	Svc *secrets.Service
	Log *slog.Logger
}

// maxSecretBody bounds a write's body: the largest value the conventions may allow, JSON-escaped, and the rest.
const maxSecretBody = 4 << 20

// Routes lists the endpoints of secrets.
func (h *Secrets) Routes() []Route {
	return append(h.ReadRoutes(),
		Route{"GET /api/v1/secrets/conventions", policy.SecretsRead, h.conventions},
		Route{"POST /api/v1/secrets", policy.SecretsWrite, h.create},
		Route{"POST /api/v1/secrets/{service}/{name}/versions", policy.SecretsWrite, h.rotate},
		Route{"DELETE /api/v1/secrets/{service}/{name}", policy.SecretsWrite, h.delete},
		Route{"POST /api/v1/secrets/{service}/{name}/reveal", policy.SecretsReveal, h.reveal},
	)
}

// ReadRoutes are the reads a replica answers too, offline.
func (h *Secrets) ReadRoutes() []Route {
	return []Route{
		{"GET /api/v1/secrets", policy.SecretsRead, h.list},
		{"GET /api/v1/secrets/{service}/{name}", policy.SecretsRead, h.get},
	}
}

var errNoSecrets = Errorf(http.StatusNotFound, "not_configured",
	"this portal has no secrets configured: an admin sets the secrets section of its configuration file (docs/secrets.md)")

func (h *Secrets) list(w http.ResponseWriter, r *http.Request) {
	q := newParams(r.URL.Query())
	q.only("service", "team")
	if err := q.err(); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	list, err := h.DB.ListSecrets(r.Context(), store.SecretQuery{Service: r.URL.Query().Get("service"),
		Team: r.URL.Query().Get("team")})
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, SecretList{Secrets: list})
}

func (h *Secrets) get(w http.ResponseWriter, r *http.Request) {
	s, err := h.DB.GetSecret(r.Context(), catalog.SecretID(r.PathValue("service"), r.PathValue("name")))
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	WriteJSON(w, http.StatusOK, s)
}

func (h *Secrets) conventions(w http.ResponseWriter, r *http.Request) {
	if h.Svc == nil {
		WriteJSON(w, http.StatusOK, SecretConventions{Conventions: secrets.Conventions{Environments: []secrets.EnvConventions{},
			Required: []string{}}})
		return
	}
	WriteJSON(w, http.StatusOK, SecretConventions{Configured: true, Conventions: h.Svc.View()})
}

func (h *Secrets) create(w http.ResponseWriter, r *http.Request) {
	var in secrets.WriteRequest
	if err := DecodeJSON(w, r, maxSecretBody, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	h.write(w, r, secrets.OpCreate, in)
}

func (h *Secrets) rotate(w http.ResponseWriter, r *http.Request) {
	var in SecretRotation
	if err := DecodeJSON(w, r, maxSecretBody, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	h.write(w, r, secrets.OpRotate, secrets.WriteRequest{Service: r.PathValue("service"), Name: r.PathValue("name"),
		Environment: in.Environment, Regions: in.Regions, Value: in.Value})
}

func (h *Secrets) delete(w http.ResponseWriter, r *http.Request) {
	q := newParams(r.URL.Query())
	q.only("environment", "region")
	if err := q.err(); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	req := secrets.WriteRequest{Service: r.PathValue("service"), Name: r.PathValue("name"),
		Environment: r.URL.Query().Get("environment")}
	for _, v := range r.URL.Query()["region"] {
		for _, rg := range strings.Split(v, ",") {
			if rg = strings.TrimSpace(rg); rg != "" {
				req.Regions = append(req.Regions, rg)
			}
		}
	}
	h.write(w, r, secrets.OpDelete, req)
}

func (h *Secrets) write(w http.ResponseWriter, r *http.Request, op string, in secrets.WriteRequest) {
	if h.Svc == nil {
		WriteError(w, r, h.Log, errNoSecrets)
		return
	}
	p, _ := auth.FromContext(r.Context())
	a, created, err := h.Svc.Write(r.Context(), p, op, r.Header.Get("Idempotency-Key"), in)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/actions/"+a.ID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, a)
}

func (h *Secrets) reveal(w http.ResponseWriter, r *http.Request) {
	if h.Svc == nil {
		WriteError(w, r, h.Log, errNoSecrets)
		return
	}
	var in secrets.RevealRequest
	if err := DecodeJSON(w, r, 16<<10, &in); err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	out, err := h.Svc.Reveal(r.Context(), p, r.PathValue("service"), r.PathValue("name"), in)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	// Nobody keeps this answer: not the browser, a proxy or the desktop in between.
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Expires", "0")
	WriteJSON(w, http.StatusOK, out)
}
