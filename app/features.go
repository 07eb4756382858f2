package app

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/sphera/atrium/backend/api"
	atriumof "github.com/sphera/atrium/backend/openfeature"
	"github.com/sphera/atrium/internal/fleet"
)

// The desktop gates its own pages with feature flags kept in the portal it is connected to, evaluated through
// OpenFeature with Atrium's own Go provider: the portal dogfoods its flags. Each page's flag has a code default,
// used until the provider has the flag set and when the portal has no such flag.
var uiFeatures = []struct {
	Key     string
	Default bool
}{
	{"atrium-ui-flags-page", true},
	{"atrium-ui-packages-page", true},
	{"atrium-ui-self-service", true},
	{"atrium-ui-matrix-page", false}, // the newest page: off unless the portal turns it on
	{"atrium-ui-secrets-page", true},
}

// UIFlagEnvironment is the flag environment whose flags gate the desktop's pages.
const UIFlagEnvironment = "production"

var featureDomains atomic.Int64

// features evaluates the UI's flags; one per Runtime, replaced on every Connect.
type features struct {
	domain   string
	provider *atriumof.Provider
	subject  string
}

// newFeatures starts an OpenFeature provider for the portal at url (reached through hc) under a domain of its own.
// Initialisation is asynchronous: until the flag set arrives, evaluations answer the code defaults.
func newFeatures(url, token string, hc *http.Client, subject string, rt *Runtime) *features {
	p := atriumof.New(atriumof.Config{URL: url, Token: token, Environment: UIFlagEnvironment,
		Interval: 30 * time.Second, HTTPClient: hc, Logger: rt.Log})
	f := &features{domain: fmt.Sprintf("atrium-desktop-%d", featureDomains.Add(1)), provider: p, subject: subject}
	if err := of.SetNamedProvider(f.domain, p); err != nil {
		rt.Log.Warn("feature flags unavailable; pages use their defaults", "err", err)
	}
	return f
}

// close releases the provider (the SDK shuts a replaced provider down).
func (f *features) close() {
	if f != nil {
		_ = of.SetNamedProvider(f.domain, of.NoopProvider{})
	}
}

type featureView struct {
	Enabled bool   `json:"enabled"`
	Variant string `json:"variant,omitempty"`
	Reason  string `json:"reason"`
	Error   string `json:"error,omitempty"`
}

func (rt *Runtime) uiFeatures(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	f := rt.features
	rt.mu.Unlock()
	if f == nil { // a read-only runtime evaluates no flags: the code defaults
		out := map[string]featureView{}
		fleetPages := rt.fleetFeatures()
		for _, uf := range uiFeatures {
			out[uf.Key] = featureView{Enabled: uf.Default, Reason: string(of.DefaultReason)}
			if v, ok := fleetPages[uf.Key]; ok {
				out[uf.Key] = v
			}
		}
		api.WriteJSON(w, http.StatusOK, map[string]any{
			"environment": UIFlagEnvironment, "provider": string(of.NotReadyState), "features": out,
		})
		return
	}
	client := of.NewClient(f.domain)
	ectx := of.NewEvaluationContext(f.subject, map[string]any{
		"app": "atrium-desktop", "version": api.Version, "os": runtime.GOOS,
	})
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	out := map[string]featureView{}
	fleetPages := rt.fleetFeatures()
	for _, uf := range uiFeatures {
		if v, ok := fleetPages[uf.Key]; ok {
			out[uf.Key] = v
			continue
		}
		d, err := client.BooleanValueDetails(ctx, uf.Key, uf.Default, ectx)
		v := featureView{Enabled: d.Value, Variant: d.Variant, Reason: string(d.Reason)}
		if err != nil {
			v.Error = string(d.ErrorCode)
		}
		out[uf.Key] = v
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{
		"environment": UIFlagEnvironment, "provider": string(client.State()), "features": out,
	})
}

// refreshFeatures fetches the portal's flag set now (in the background).
func (rt *Runtime) refreshFeatures() {
	rt.mu.Lock()
	f := rt.features
	rt.mu.Unlock()
	if f == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.provider.Refresh(ctx); err != nil {
			rt.Log.Debug("refresh UI flags", "err", err)
		}
	}()
}

// Reasons of a page the fleet configuration decides (docs/fleet.md): it wins over the page's flag.
const (
	ReasonFleet     = "FLEET"      // the configuration switches the page on or off
	ReasonFleetUser = "FLEET_USER" // the user's own choice, where the configuration allows it (or is silent)
)

// fleetFeatures are the pages the fleet configuration (or the user's preference it allows) switches, by flag key:
// they follow that, not their flag. The variant names the version.
func (rt *Runtime) fleetFeatures() map[string]featureView {
	eff := rt.fleet.effective()
	out := map[string]featureView{}
	for page, on := range eff.Features {
		key, ok := fleet.FeaturePages[page]
		if !ok {
			continue
		}
		v := featureView{Enabled: on, Reason: ReasonFleet, Variant: fmt.Sprintf("fleet v%d", eff.Version)}
		if eff.From["features/"+page] == fleet.FromUser {
			v.Reason, v.Variant = ReasonFleetUser, "your preference"
		}
		out[key] = v
	}
	return out
}
