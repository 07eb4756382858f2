package api

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// SameOriginJSON guards an HTTP API that browsers can reach against requests forged by pages of other origins
// (cross-site request forgery), for every route at once. A request that may change something (any method but
// GET, HEAD and OPTIONS) is refused when:
//
//   - a browser marks it as sent by another origin: Sec-Fetch-Site is neither same-origin nor none, or, from
//     browsers without Sec-Fetch-Site, its Origin's host is not the request's Host — 403 cross_origin. Another
//     port of the same host is another origin: a page on 127.0.0.1:3000 may not act on 127.0.0.1:7788;
//   - it has a body that is not Content-Type: application/json — 415 unsupported_media_type. A page of another
//     origin can send text/plain, urlencoded and multipart bodies without a CORS preflight (which Atrium never
//     grants), never JSON; and a handler may decode any body as JSON whatever its label, so the label is checked
//     here rather than trusted to each handler.
//
// Clients that are not browsers (the Go client, OpenFeature providers, the CLI, curl) send neither Origin nor
// Sec-Fetch-Site and JSON bodies, and pass. Routes matching a pattern of otherBodies (http.ServeMux syntax) are
// exempt from the JSON rule only: their callers are not browsers and authenticate each body with a signature
// rather than with a credential a browser would attach (GitHub webhooks, which may be form-encoded).
//
// Bodies are never read or buffered here: the decision is made on the headers.
func SameOriginJSON(next http.Handler, otherBodies ...string) http.Handler {
	cop := http.NewCrossOriginProtection()
	exempt := http.NewServeMux()
	for _, p := range otherBodies {
		exempt.Handle(p, otherBody)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if cop.Check(r) != nil {
			WriteError(w, r, nil, fmt.Errorf("%w: this %s request was sent by a page of another origin (%s); only "+
				"Atrium's own pages and clients that are not browsers may change anything here",
				ErrCrossOrigin, r.Method, senderOf(r)))
			return
		}
		if h, _ := exempt.Handler(r); h == otherBody {
			next.ServeHTTP(w, r)
			return
		}
		if err := checkJSONBody(r); err != nil {
			WriteError(w, r, nil, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// otherBody marks the routes exempt from the JSON rule in SameOriginJSON's mux of exemptions; it never serves.
var otherBody http.Handler = &exemptRoute{}

type exemptRoute struct{}

func (*exemptRoute) ServeHTTP(http.ResponseWriter, *http.Request) {}

// checkJSONBody refuses a body that is not labelled application/json; a request without a body needs no label.
func checkJSONBody(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			return nil
		}
		return fmt.Errorf("%w: the %s request has a body but no Content-Type; send the body as JSON with "+
			"Content-Type: application/json", ErrNotJSON, r.Method)
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return fmt.Errorf("%w: Content-Type %q is not accepted; this API takes JSON bodies only "+
			"(Content-Type: application/json)", ErrNotJSON, clip(ct))
	}
	return nil
}

// senderOf says what marked a refused request as cross-origin, for the error message.
func senderOf(r *http.Request) string {
	var parts []string
	if o := r.Header.Get("Origin"); o != "" {
		parts = append(parts, "Origin: "+clip(o))
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		parts = append(parts, "Sec-Fetch-Site: "+clip(s))
	}
	return strings.Join(parts, ", ")
}

// clip shortens a value a caller chose (a header, a flag key) before it goes into a message or the audit log,
// cutting at a rune boundary.
func clip(s string) string {
	if len(s) <= 100 {
		return s
	}
	cut := 100
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
