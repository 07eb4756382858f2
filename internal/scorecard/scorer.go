package scorecard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// Scorer keeps every service's scorecard current on the portal. It follows the change feed: each pass scores the
// services that changed since the last (all of them when the rules or the platform's regions changed), writes
// only cards that differ, so the feed carries them to desktops once, and queues the warnings owners are owed.
type Scorer struct {
	DB     *store.DB
	Engine *Engine
	Log    *slog.Logger
	// Warn queues a webhook warning with each change for the worse (Notifier posts them); false: in-app only.
	Warn bool
	// Wake, when set, is called after a pass queued warnings (Notifier.Wake).
	Wake func()
	// Now stamps changes and history days; nil: DB.Now.
	Now func() time.Time
	// Settle is how long Run waits after a change before it scores, so that a burst of changes (a collector's
	// sync, a stream of writes) is scored in one pass and written in one transaction (0: at once).
	Settle time.Duration
}

const (
	metaCursor  = "scorecard.cursor"
	metaVersion = "scorecard.version"
	// fullPassAbove: more changed services than this are read in bulk rather than one by one.
	fullPassAbove = 300
	writeBatch    = 500
)

func (s *Scorer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return s.DB.Now()
}

func (s *Scorer) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Run scores on every change of the catalog until ctx ends.
func (s *Scorer) Run(ctx context.Context) {
	for {
		changed := s.DB.ChangedNotify()
		if _, err := s.Pass(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("scoring services failed; retrying on the next change", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		if s.Settle > 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.DB.After(s.Settle):
			}
		}
	}
}

// Platform is what the rules know of the platform now: the regions of each environment's clusters (the cluster
// registry; without one, where the catalog's deployments run) and the core packages.
func (s *Scorer) Platform(ctx context.Context) (*Platform, error) {
	return PlatformOf(ctx, s.DB, s.Engine)
}

// PlatformOf reads the platform from db for e's rules.
func PlatformOf(ctx context.Context, db *store.DB, e *Engine) (*Platform, error) {
	p := &Platform{Regions: map[string][]string{}, CorePackages: e.CorePackages()}
	clusters, err := db.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	add := func(env, region string) {
		if env == "" || region == "" || slices.Contains(p.Regions[env], region) {
			return
		}
		p.Regions[env] = append(p.Regions[env], region)
		slices.Sort(p.Regions[env])
	}
	for _, c := range clusters {
		add(c.Environment, c.Region)
	}
	if len(clusters) == 0 {
		rows, err := db.SQL().QueryContext(ctx, `SELECT DISTINCT environment, region FROM deployments`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var env, region string
			if err := rows.Scan(&env, &region); err != nil {
				return nil, err
			}
			add(env, region)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Pass brings the scorecards up to date once and returns how many it wrote or deleted.
func (s *Scorer) Pass(ctx context.Context) (int, error) {
	p, err := s.Platform(ctx)
	if err != nil {
		return 0, fmt.Errorf("score services: read platform: %w", err)
	}
	regions, _ := json.Marshal(p.Regions)
	sum := sha256.Sum256(append([]byte(s.Engine.Info().Version+"\n"), regions...))
	version := hex.EncodeToString(sum[:8])
	if _, err := s.DB.PutScoreRules(ctx, s.Engine.Info()); err != nil {
		return 0, fmt.Errorf("score services: store rules: %w", err)
	}
	oldVersion, err := s.DB.Meta(ctx, metaVersion)
	if err != nil {
		return 0, err
	}
	cur, err := s.DB.Meta(ctx, metaCursor)
	if err != nil {
		return 0, err
	}
	since, _ := strconv.ParseInt(cur, 10, 64)
	names, last, err := s.DB.ServiceNamesChangedSince(ctx, since)
	if err != nil {
		return 0, err
	}
	full := oldVersion != version || cur == ""
	var svcs []catalog.Service
	var gone []string
	var stored map[string]store.StoredScorecard
	if full || len(names) > fullPassAbove {
		if svcs, err = s.DB.AllServices(ctx); err != nil {
			return 0, err
		}
		if !full {
			want := map[string]bool{}
			for _, n := range names {
				want[n] = true
			}
			kept := svcs[:0]
			for _, sv := range svcs {
				if want[sv.Name] {
					kept = append(kept, sv)
					delete(want, sv.Name)
				}
			}
			svcs = kept
			for n := range want {
				gone = append(gone, n)
			}
		}
	} else {
		for _, n := range names {
			sv, err := s.DB.GetService(ctx, n)
			if errors.Is(err, catalog.ErrNotFound) {
				gone = append(gone, n)
				continue
			}
			if err != nil {
				return 0, err
			}
			svcs = append(svcs, sv)
		}
	}
	if full {
		stored, err = s.DB.StoredScorecards(ctx, nil)
		have := map[string]bool{}
		for _, sv := range svcs {
			have[sv.Name] = true
		}
		for n := range stored {
			if !have[n] {
				gone = append(gone, n)
			}
		}
	} else {
		ns := make([]string, len(svcs))
		for i, sv := range svcs {
			ns[i] = sv.Name
		}
		stored, err = s.DB.StoredScorecards(ctx, ns)
	}
	if err != nil {
		return 0, err
	}
	pv := PlatformValue(p)
	cards := make([]catalog.Scorecard, len(svcs))
	ScoreEach(len(svcs), runtime.GOMAXPROCS(0), func(i int) { cards[i] = s.Engine.ScoreWith(&svcs[i], p, pv) })
	now := s.now().UTC().Truncate(time.Millisecond)
	var writes []store.ScorecardWrite
	warned := 0
	for _, c := range cards {
		old, had := stored[c.Service]
		w, ok := s.change(c, old, had, now)
		if !ok {
			continue
		}
		if w.Warn != "" {
			warned++
		}
		writes = append(writes, w)
	}
	n := 0
	day := store.Day(now)
	slices.Sort(gone)
	gone = slices.Compact(gone)
	for len(writes) > 0 || len(gone) > 0 {
		k := min(len(writes), writeBatch)
		m, err := s.DB.WriteScorecards(ctx, writes[:k], gone, day)
		if err != nil {
			return n, fmt.Errorf("store scorecards: %w", err)
		}
		n += m
		writes, gone = writes[k:], nil
	}
	if next := strconv.FormatInt(last, 10); next != cur {
		if err := s.DB.SetMeta(ctx, metaCursor, next); err != nil {
			return n, err
		}
	}
	if version != oldVersion {
		if err := s.DB.SetMeta(ctx, metaVersion, version); err != nil {
			return n, err
		}
	}
	if warned > 0 && s.Wake != nil {
		s.Wake()
	}
	if n > 0 {
		s.log().Debug("scorecards updated", "scored", len(cards), "written", n, "warnings", warned, "full", full)
	}
	return n, nil
}

// change decides whether c differs from the stored card and what to write: the times and previous level carried
// over, and a warning when the service is now worse off than its owners last heard.
func (s *Scorer) change(c catalog.Scorecard, old store.StoredScorecard, had bool, now time.Time) (store.ScorecardWrite, bool) {
	state := warnState(c)
	if !had {
		c.ChangedAt = now
		// The first score of a service (or of every service, when scorecards are switched on) is where owners
		// start from: it is shown in the app, not announced.
		return store.ScorecardWrite{Card: c, Warned: state}, true
	}
	o := old.Card
	c.ChangedAt, c.Previous = o.ChangedAt, o.Previous
	if c.Score != o.Score || c.Level != o.Level {
		c.ChangedAt = now
	}
	if c.Level != o.Level {
		c.Previous = o.Level
	}
	same := c.Score == o.Score && c.Level == o.Level && c.Below == o.Below && c.Threshold == o.Threshold &&
		c.Owner == o.Owner && c.RulesVersion == o.RulesVersion && c.Previous == o.Previous && c.ChangedAt.Equal(o.ChangedAt) &&
		reflect.DeepEqual(c.Results, o.Results) && reflect.DeepEqual(c.Next, o.Next)
	if same && old.Warned == state {
		return store.ScorecardWrite{}, false
	}
	w := store.ScorecardWrite{Card: c, Warned: state}
	if s.Warn {
		w.Warn = warning(c, old.Warned)
	}
	return w, true
}

// warnState is what owners are told about: the level, and whether the service is below the threshold.
func warnState(c catalog.Scorecard) string {
	if c.Below {
		return c.Level + " below"
	}
	return c.Level
}

// warning is the webhook message owed for c when owners last heard of state was, or "" when nothing got worse.
func warning(c catalog.Scorecard, was string) string {
	wasLevel, wasBelow := was, false
	if l, ok := cutSuffix(was, " below"); ok {
		wasLevel, wasBelow = l, true
	}
	dropped := catalog.LevelRank(c.Level) < catalog.LevelRank(wasLevel)
	fell := c.Below && !wasBelow
	if !dropped && !fell {
		return ""
	}
	var what string
	switch {
	case dropped && fell:
		what = fmt.Sprintf("dropped from %s to %s and below the threshold (score %d < %g)", wasLevel, c.Level,
			c.Score, c.Threshold)
	case dropped:
		what = fmt.Sprintf("dropped from %s to %s (score %d)", wasLevel, c.Level, c.Score)
	default:
		what = fmt.Sprintf("fell below the threshold: score %d < %g", c.Score, c.Threshold)
	}
	return Message(c, what)
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
