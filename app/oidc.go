package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/backend/client"
)

// Signing in to a team portal with OpenID Connect, the way native apps do (RFC 8252): the desktop opens the
// identity provider in the system browser with an authorization-code request protected by PKCE (RFC 7636), takes
// the code on a one-time loopback redirect (http://127.0.0.1:PORT/callback), exchanges it for an ID token, checks
// the token, and from then on sends it to the portal as its bearer token — kept where API tokens are kept (the OS
// keyring when there is one). No client secret is involved: a desktop cannot keep one.

// signInTimeout bounds how long the loopback listener waits for the browser to come back.
const signInTimeout = 5 * time.Minute

// signIn is the state of the current (or last) OIDC sign-in.
type signIn struct {
	mu      sync.Mutex
	State   string `json:"state"` // idle, waiting, signed_in, error
	Subject string `json:"subject,omitempty"`
	Message string `json:"message,omitempty"`
	stop    func()
}

func (s *signIn) set(state, subject, msg string) {
	s.mu.Lock()
	s.State, s.Subject, s.Message = state, subject, msg
	s.mu.Unlock()
}

func (s *signIn) view() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.State
	if st == "" {
		st = "idle"
	}
	return map[string]string{"state": st, "subject": s.Subject, "message": s.Message}
}

// oidcStart begins a sign-in with the current portal's identity provider and answers the URL to open.
func (rt *Runtime) oidcStart(w http.ResponseWriter, r *http.Request) {
	st := rt.State()
	mode, portal := st.Mode, st.Portal
	if mode != ModeRemote {
		api.WriteError(w, r, rt.Log, api.BadRequest("single sign-on needs a team portal: connect to one in Settings first"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	var methods struct {
		OIDC *struct{ Issuer, Audience string } `json:"oidc"`
	}
	if err := client.New(portal, "").Do(ctx, http.MethodGet, "/api/v1/auth/methods", nil, nil, &methods); err != nil {
		api.WriteError(w, r, rt.Log, api.Errorf(http.StatusBadGateway, "portal_unreachable",
			"could not ask %s how to sign in: %v", portal, err))
		return
	}
	if methods.OIDC == nil {
		api.WriteError(w, r, rt.Log, api.BadRequest("this portal does not offer single sign-on; paste an API token from your platform team instead"))
		return
	}
	provider, err := oidc.NewProvider(ctx, methods.OIDC.Issuer)
	if err != nil {
		api.WriteError(w, r, rt.Log, api.Errorf(http.StatusBadGateway, "issuer_unreachable",
			"the identity provider %s did not answer: %v", methods.OIDC.Issuer, err))
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		api.WriteError(w, r, rt.Log, err)
		return
	}
	conf := &oauth2.Config{ClientID: methods.OIDC.Audience, Endpoint: provider.Endpoint(),
		RedirectURL: "http://" + ln.Addr().String() + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	verifier := oauth2.GenerateVerifier()
	b := make([]byte, 16)
	rand.Read(b)
	state := hex.EncodeToString(b)
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))

	// One sign-in at a time: a new one replaces a pending one.
	rt.signin.mu.Lock()
	if rt.signin.stop != nil {
		rt.signin.stop()
	}
	rt.signin.State, rt.signin.Subject, rt.signin.Message = "waiting", "", "finish signing in in your browser"
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(done); _ = srv.Close() }) } // Close fails only to close the listener
	rt.signin.stop = stop
	rt.signin.mu.Unlock()

	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var subject string
		err := func() error {
			if q.Get("state") != state {
				return errors.New("the sign-in answer does not belong to this sign-in (state mismatch); start again")
			}
			if e := q.Get("error"); e != "" {
				return fmt.Errorf("the identity provider refused: %s %s", e, q.Get("error_description"))
			}
			xctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tok, err := conf.Exchange(xctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				return fmt.Errorf("exchanging the sign-in code failed: %w", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			if raw == "" {
				return errors.New("the identity provider returned no ID token")
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: methods.OIDC.Audience}).Verify(xctx, raw)
			if err != nil {
				return fmt.Errorf("the ID token is not valid: %w", err)
			}
			subject = idt.Subject
			return rt.Connect(xctx, portal, raw)
		}()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			rt.signin.set("error", "", err.Error())
			rt.Log.Warn("single sign-on failed", "err", err)
			fmt.Fprintf(w, "<!doctype html><title>Atrium</title><h1>Sign-in failed</h1><p>%s</p>", html.EscapeString(err.Error()))
		} else {
			rt.signin.set("signed_in", subject, "")
			rt.Log.Info("signed in with single sign-on", "portal", portal)
			fmt.Fprint(w, "<!doctype html><title>Atrium</title><h1>Signed in to Atrium</h1><p>You can close this tab and return to Atrium.</p>")
		}
		go stop()
	})
	go func() {
		_ = srv.Serve(ln)
	}()
	go func() {
		select {
		case <-done:
		case <-time.After(signInTimeout):
			rt.signin.set("error", "", "the sign-in was not finished within 5 minutes; start again")
			stop()
		}
	}()
	api.WriteJSON(w, http.StatusOK, map[string]string{"auth_url": authURL, "redirect_uri": conf.RedirectURL})
}

func (rt *Runtime) oidcStatus(w http.ResponseWriter, r *http.Request) {
	api.WriteJSON(w, http.StatusOK, rt.signin.view())
}
