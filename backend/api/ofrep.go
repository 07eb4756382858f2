package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sphera/atrium/internal/flags"
)

// OFREP (the OpenFeature Remote Evaluation Protocol, v0.3.0): POST /ofrep/v1/evaluate/flags/{key} and
// POST /ofrep/v1/evaluate/flags. Bodies, statuses and error codes follow the protocol's OpenAPI description; the
// endpoints authenticate like the rest of the portal (bearer token or X-API-Key) with permission flags:evaluate.

// recheckAfter bounds how long a compiled flag set is served without asking the database whether it changed
// (changes made through this process are seen at once).
const recheckAfter = time.Second

// ofrepReason maps a resolution reason into the protocol's enum (STATIC, TARGETING_MATCH, SPLIT, DISABLED,
// UNKNOWN), which has no DEFAULT: a rule that fell through to the default variant, or a code default, is UNKNOWN.
func ofrepReason(r flags.Reason) string {
	switch r {
	case flags.ReasonStatic, flags.ReasonTargetingMatch, flags.ReasonSplit, flags.ReasonDisabled:
		return string(r)
	}
	return "UNKNOWN"
}

func ofrepJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errorDetails":"the evaluation result could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// compiled returns an environment's flag set compiled for evaluation, reloading it when it changed.
func (f *Flags) compiled(r *http.Request, env string) (*compiledSet, error) {
	slot := f.cache[env]
	gen := f.Store.Generation()
	now := time.Now()
	cur := slot.Load()
	if cur != nil && cur.gen == gen && now.Sub(cur.checked) < recheckAfter {
		return cur, nil
	}
	etag, err := f.Store.ETag(r.Context(), env)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.etag == etag {
		next := &compiledSet{set: cur.set, etag: etag, gen: gen, checked: now}
		slot.Store(next)
		return next, nil
	}
	set, err := f.Store.Load(r.Context(), env)
	if err != nil {
		return nil, err
	}
	next := &compiledSet{set: flags.Compile(set.File), etag: set.ETag, gen: gen, checked: now}
	slot.Store(next)
	return next, nil
}

// ofrepContext reads {"context": {...}}. A missing body or context is an empty context; a context that is not an
// object, or a targetingKey that is not a string, is INVALID_CONTEXT.
func ofrepContext(w http.ResponseWriter, r *http.Request) (map[string]any, string) {
	body, err := readBody(w, r, 1<<20)
	if err != nil {
		return nil, "the request body is too large (at most 1 MiB)"
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, ""
	}
	var req struct {
		Context json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, "the request body is not a JSON object with a context: " + err.Error()
	}
	if len(req.Context) == 0 || string(req.Context) == "null" {
		return map[string]any{}, ""
	}
	var ctx map[string]any
	if err := json.Unmarshal(req.Context, &ctx); err != nil {
		return nil, "context must be a JSON object"
	}
	if tk, ok := ctx["targetingKey"]; ok && tk != nil {
		if _, isString := tk.(string); !isString {
			return nil, "targetingKey must be a string"
		}
	}
	return ctx, ""
}

func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBytes))
	return buf.Bytes(), err
}

// ofrepEnvironment resolves the environment or answers the error itself.
func (f *Flags) ofrepEnvironment(w http.ResponseWriter, r *http.Request, key string) (string, bool) {
	env, err := f.evalEnvironment(r)
	if err == nil {
		return env, true
	}
	var e *Error
	if errors.As(err, &e) && e.status == http.StatusForbidden {
		WriteError(w, r, f.Log, err)
		return "", false
	}
	ofrepJSON(w, http.StatusBadRequest, OfrepEvaluationFailure{Key: key, ErrorCode: string(flags.ErrGeneral),
		ErrorDetails: err.Error() + ": " + problemText(err)})
	return "", false
}

func problemText(err error) string {
	var e *Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields[0].Field + " " + e.Fields[0].Problem
	}
	return ""
}

func (f *Flags) ofrepSingle(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	env, ok := f.ofrepEnvironment(w, r, key)
	if !ok {
		return
	}
	ctx, bad := ofrepContext(w, r)
	if bad != "" {
		ofrepJSON(w, http.StatusBadRequest, OfrepEvaluationFailure{Key: key, ErrorCode: string(flags.ErrInvalidContext),
			ErrorDetails: bad})
		return
	}
	cs, err := f.compiled(r, env)
	if err != nil {
		f.Log.Error("ofrep: load flags", "environment", env, "err", err)
		ofrepJSON(w, http.StatusInternalServerError, OfrepGeneralError{"flags could not be loaded"})
		return
	}
	d := cs.set.Evaluate(key, ctx)
	switch d.ErrorCode {
	case "":
		ofrepJSON(w, http.StatusOK, OfrepEvaluationSuccess{Key: key, Value: d.Value, Reason: ofrepReason(d.Reason),
			Variant: d.Variant, Metadata: d.Metadata})
	case flags.ErrFlagNotFound:
		ofrepJSON(w, http.StatusNotFound, OfrepEvaluationFailure{Key: key, ErrorCode: string(d.ErrorCode),
			ErrorDetails: d.ErrorMessage})
	default:
		ofrepJSON(w, http.StatusBadRequest, OfrepEvaluationFailure{Key: key, ErrorCode: string(d.ErrorCode),
			ErrorDetails: d.ErrorMessage, Metadata: d.Metadata})
	}
}

func (f *Flags) ofrepBulk(w http.ResponseWriter, r *http.Request) {
	env, ok := f.ofrepEnvironment(w, r, "")
	if !ok {
		return
	}
	ctx, bad := ofrepContext(w, r)
	if bad != "" {
		ofrepJSON(w, http.StatusBadRequest, OfrepEvaluationFailure{ErrorCode: string(flags.ErrInvalidContext), ErrorDetails: bad})
		return
	}
	cs, err := f.compiled(r, env)
	if err != nil {
		f.Log.Error("ofrep: load flags", "environment", env, "err", err)
		ofrepJSON(w, http.StatusInternalServerError, OfrepGeneralError{"flags could not be loaded"})
		return
	}
	// The answer depends on the flag set and on the context, so the ETag covers both: a client whose context
	// changed gets fresh evaluations even with an old ETag.
	ctxJSON, _ := json.Marshal(ctx)
	sum := sha256.Sum256(append([]byte(cs.etag), ctxJSON...))
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	items := make([]any, 0, len(cs.set.Keys()))
	for _, d := range cs.set.EvaluateAll(ctx) {
		if d.ErrorCode != "" {
			items = append(items, OfrepEvaluationFailure{Key: d.Key, ErrorCode: string(d.ErrorCode), ErrorDetails: d.ErrorMessage,
				Metadata: d.Metadata})
			continue
		}
		items = append(items, OfrepEvaluationSuccess{Key: d.Key, Value: d.Value, Reason: ofrepReason(d.Reason),
			Variant: d.Variant, Metadata: d.Metadata})
	}
	resp := OfrepBulkSuccess{Flags: items}
	if md := cs.set.Metadata(); len(md) > 0 {
		resp.Metadata = md
	}
	ofrepJSON(w, http.StatusOK, resp)
}
