// Package openfeature is Atrium's OpenFeature provider for Go services: it keeps an environment's flag set in
// memory, refreshed from the portal with conditional requests (ETag / If-None-Match, so an unchanged set costs a
// 304), and evaluates flags in-process with the same evaluator as the portal — no network call per evaluation.
// When the portal is unreachable it keeps serving the last flag set it fetched and says so with a STALE event;
// when the portal is back it emits READY (and CONFIGURATION_CHANGED when flags changed meanwhile).
//
// Usage, with a token scoped to one environment (scope flags:evaluate:production):
//
//	import (
//		"github.com/open-feature/go-sdk/openfeature"
//		atrium "github.com/sphera/atrium/backend/openfeature"
//	)
//
//	provider := atrium.New(atrium.Config{
//		URL:   "https://atrium.example.com",
//		Token: os.Getenv("ATRIUM_FLAGS_TOKEN"),
//	})
//	if err := openfeature.SetProviderAndWait(provider); err != nil {
//		log.Printf("flags not loaded yet, serving code defaults: %v", err)
//	}
//	client := openfeature.NewDefaultClient()
//	on, _ := client.BooleanValue(ctx, "new-checkout", false,
//		openfeature.NewEvaluationContext(userID, map[string]any{"accountId": accountID}))
package openfeature

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/sphera/atrium/backend/client"
	"github.com/sphera/atrium/internal/flags"
)

// Config configures a Provider.
type Config struct {
	URL   string // the portal, e.g. https://atrium.example.com
	Token string // an API token allowed flags:evaluate, ideally scoped to one environment
	// Environment names the flag set; "" when the token is scoped to exactly one environment.
	Environment string
	// Interval between refreshes (default 30s).
	Interval time.Duration
	// InitTimeout bounds the first fetch in Init (default 10s).
	InitTimeout time.Duration
	HTTPClient  *http.Client // default: a client with a 30s timeout
	Logger      *slog.Logger // default: slog.Default()
	// After waits out the interval before each refresh (default time.After); tests end the waits themselves.
	After func(time.Duration) <-chan time.Time
}

// Name is the provider's name in OpenFeature metadata and events.
const Name = "atrium"

// Provider is an OpenFeature FeatureProvider with StateHandler and EventHandler. Create it with New.
type Provider struct {
	cfg    Config
	client *client.Client
	log    *slog.Logger

	set    atomic.Pointer[loaded]
	events chan of.Event

	mu      sync.Mutex // guards the fields below
	cancel  context.CancelFunc
	done    chan struct{}
	stale   bool // the last refresh failed while a set was loaded
	failing bool // the last refresh failed without any set
}

// loaded is a fetched flag set.
type loaded struct {
	set  *flags.Set
	etag string
	defs map[string]string // flag key → canonical definition, to name what changed
}

var (
	_ of.FeatureProvider = (*Provider)(nil)
	_ of.StateHandler    = (*Provider)(nil)
	_ of.EventHandler    = (*Provider)(nil)
)

// New returns a provider for cfg; it fetches nothing until Init.
func New(cfg Config) *Provider {
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	c := client.New(cfg.URL, cfg.Token)
	if cfg.HTTPClient != nil {
		c.HTTP = cfg.HTTPClient
	} else {
		c.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return &Provider{cfg: cfg, client: c, log: cfg.Logger, events: make(chan of.Event, 64)}
}

// Metadata names the provider.
func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: Name} }

// Hooks returns none.
func (p *Provider) Hooks() []of.Hook { return nil }

// EventChannel delivers READY, CONFIGURATION_CHANGED, STALE and ERROR events.
func (p *Provider) EventChannel() <-chan of.Event { return p.events }

// Init fetches the flag set and starts refreshing it. When the first fetch fails Init returns the error, but
// refreshing goes on, and a READY event follows the first success.
func (p *Provider) Init(of.EvaluationContext) error {
	p.mu.Lock()
	if p.cancel != nil {
		p.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	p.mu.Unlock()

	first, cancelFirst := context.WithTimeout(ctx, p.cfg.InitTimeout)
	err := p.refresh(first, true)
	cancelFirst()
	go p.loop(ctx)
	if err != nil {
		return fmt.Errorf("atrium flags: first fetch from %s: %w", p.cfg.URL, err)
	}
	return nil
}

// Shutdown stops refreshing.
func (p *Provider) Shutdown() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (p *Provider) loop(ctx context.Context) {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.cfg.After(p.cfg.Interval):
			_ = p.refresh(ctx, false)
		}
	}
}

// Refresh fetches the flag set now (for a change notification, or in tests).
func (p *Provider) Refresh(ctx context.Context) error { return p.refresh(ctx, false) }

// refresh fetches the set if it changed and emits the events the outcome calls for. The initial fetch emits
// none: Init's result tells the SDK, which emits READY or ERROR itself.
func (p *Provider) refresh(ctx context.Context, initial bool) error {
	cur := p.set.Load()
	etag := ""
	if cur != nil {
		etag = cur.etag
	}
	defs, err := p.client.FlagDefinitions(ctx, p.cfg.Environment, etag)
	var next *loaded
	if err == nil && !defs.NotModified {
		next, err = compile(defs)
	}
	p.mu.Lock()
	wasStale, wasFailing := p.stale, p.failing
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			p.mu.Unlock()
			return err
		}
		if cur != nil {
			p.stale = true
		} else {
			p.failing = true
		}
		p.mu.Unlock()
		switch {
		case initial:
		case cur != nil && !wasStale:
			p.log.Warn("atrium flags: refresh failed; serving the last flag set", "err", err)
			p.emit(of.ProviderStale, "flag set could not be refreshed; serving the last one fetched: "+err.Error(), nil, "")
		case cur == nil && !wasFailing:
			p.log.Warn("atrium flags: no flag set yet", "err", err)
			p.emit(of.ProviderError, "flag set could not be fetched: "+err.Error(), nil, of.GeneralCode)
		}
		return err
	}
	p.stale, p.failing = false, false
	p.mu.Unlock()
	if next != nil {
		p.set.Store(next)
		if cur != nil {
			if changed := changedKeys(cur.defs, next.defs); len(changed) > 0 {
				p.emit(of.ProviderConfigChange, "flag set changed", changed, "")
			}
		}
	}
	if !initial && (wasStale || wasFailing || (cur == nil && next != nil)) {
		p.emit(of.ProviderReady, "flag set loaded", nil, "")
	}
	return nil
}

func compile(defs client.FlagDefinitions) (*loaded, error) {
	file, err := flags.ParseFile(defs.Data)
	if err != nil {
		return nil, fmt.Errorf("flag definitions from the portal: %w", err)
	}
	l := &loaded{set: flags.Compile(file), etag: defs.ETag, defs: make(map[string]string, len(file.Flags))}
	for k, f := range file.Flags {
		l.defs[k] = string(f.Canonical())
	}
	return l, nil
}

func changedKeys(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// emit sends an event without blocking the refresh loop; if nobody reads, events are dropped.
func (p *Provider) emit(t of.EventType, msg string, changed []string, code of.ErrorCode) {
	ev := of.Event{ProviderName: Name, EventType: t, ProviderEventDetails: of.ProviderEventDetails{Message: msg,
		FlagChanges: changed, ErrorCode: code}}
	select {
	case p.events <- ev:
	default:
		p.log.Warn("atrium flags: event dropped (nobody is reading events)", "event", t)
	}
}

// ---- evaluation ----

func (p *Provider) resolve(flag string, t flags.Type, ctx of.FlattenedContext) (flags.Detail, *of.ResolutionError) {
	cur := p.set.Load()
	if cur == nil {
		e := of.NewProviderNotReadyResolutionError("the flag set has not been fetched yet")
		return flags.Detail{}, &e
	}
	evalCtx, err := normalize(ctx)
	if err != nil {
		e := of.NewInvalidContextResolutionError(err.Error())
		return flags.Detail{}, &e
	}
	d := cur.set.EvaluateAs(flag, t, evalCtx)
	if d.ErrorCode == "" {
		return d, nil
	}
	var e of.ResolutionError
	switch d.ErrorCode {
	case flags.ErrFlagNotFound:
		e = of.NewFlagNotFoundResolutionError(d.ErrorMessage)
	case flags.ErrTypeMismatch:
		e = of.NewTypeMismatchResolutionError(d.ErrorMessage)
	case flags.ErrParse:
		e = of.NewParseErrorResolutionError(d.ErrorMessage)
	case flags.ErrTargetingKeyMissing:
		e = of.NewTargetingKeyMissingResolutionError(d.ErrorMessage)
	case flags.ErrInvalidContext:
		e = of.NewInvalidContextResolutionError(d.ErrorMessage)
	default:
		e = of.NewGeneralResolutionError(d.ErrorMessage)
	}
	return d, &e
}

func detail(d flags.Detail, rerr *of.ResolutionError) of.ProviderResolutionDetail {
	if rerr != nil {
		return of.ProviderResolutionDetail{ResolutionError: *rerr, Reason: of.ErrorReason,
			FlagMetadata: of.FlagMetadata(d.Metadata)}
	}
	return of.ProviderResolutionDetail{Reason: of.Reason(d.Reason), Variant: d.Variant,
		FlagMetadata: of.FlagMetadata(d.Metadata)}
}

// BooleanEvaluation resolves a boolean flag.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, def bool, ctx of.FlattenedContext) of.BoolResolutionDetail {
	d, err := p.resolve(flag, flags.TypeBoolean, ctx)
	v, ok := d.Value.(bool)
	if !ok {
		v = def
	}
	return of.BoolResolutionDetail{Value: v, ProviderResolutionDetail: detail(d, err)}
}

// StringEvaluation resolves a string flag.
func (p *Provider) StringEvaluation(_ context.Context, flag string, def string, ctx of.FlattenedContext) of.StringResolutionDetail {
	d, err := p.resolve(flag, flags.TypeString, ctx)
	v, ok := d.Value.(string)
	if !ok {
		v = def
	}
	return of.StringResolutionDetail{Value: v, ProviderResolutionDetail: detail(d, err)}
}

// FloatEvaluation resolves a number flag as a float.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, def float64, ctx of.FlattenedContext) of.FloatResolutionDetail {
	d, err := p.resolve(flag, flags.TypeFloat, ctx)
	v, ok := d.Value.(float64)
	if !ok {
		v = def
	}
	return of.FloatResolutionDetail{Value: v, ProviderResolutionDetail: detail(d, err)}
}

// IntEvaluation resolves a number flag whose values are integers.
func (p *Provider) IntEvaluation(_ context.Context, flag string, def int64, ctx of.FlattenedContext) of.IntResolutionDetail {
	d, err := p.resolve(flag, flags.TypeInteger, ctx)
	v := def
	if f, ok := d.Value.(float64); ok && err == nil && math.Abs(f) < math.MaxInt64 {
		v = int64(f)
	}
	return of.IntResolutionDetail{Value: v, ProviderResolutionDetail: detail(d, err)}
}

// ObjectEvaluation resolves an object flag; the caller gets its own copy of the value.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, def any, ctx of.FlattenedContext) of.InterfaceResolutionDetail {
	d, err := p.resolve(flag, flags.TypeObject, ctx)
	v := def
	if d.Value != nil && err == nil {
		v = deepCopy(d.Value)
	}
	return of.InterfaceResolutionDetail{Value: v, ProviderResolutionDetail: detail(d, err)}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// normalize makes a context's values JSON-like. Values already so (and Go numbers) pass unchanged without
// copying; others (structs, typed slices and maps, time.Time) go through their JSON encoding; values with none
// (channels, functions) make the context invalid.
func normalize(ctx of.FlattenedContext) (map[string]any, error) {
	if tk, ok := ctx[of.TargetingKey]; ok {
		if _, isString := tk.(string); !isString {
			return nil, fmt.Errorf("targetingKey must be a string, not %T", tk)
		}
	}
	var out map[string]any
	for k, v := range ctx {
		if plain(v) {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("context value %q (%T) has no JSON form: %w", k, v, err)
		}
		var x any
		if err := json.Unmarshal(b, &x); err != nil {
			return nil, fmt.Errorf("context value %q: %w", k, err)
		}
		if out == nil {
			out = make(map[string]any, len(ctx))
			for k2, v2 := range ctx {
				out[k2] = v2
			}
		}
		out[k] = x
	}
	if out != nil {
		return out, nil
	}
	return ctx, nil
}

// plain reports whether the evaluator reads v as it is.
func plain(v any) bool {
	switch x := v.(type) {
	case nil, string, bool, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case map[string]any:
		for _, e := range x {
			if !plain(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !plain(e) {
				return false
			}
		}
		return true
	}
	return false
}
