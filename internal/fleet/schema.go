// Package fleet is the configuration admins push to every desktop install and what installs send back
// (docs/fleet.md): the settings and their schema, validation, signing and verification, how an install decides
// what applies to it, the installs' reports, usage events, the directory of all developers and the adoption KPI
// computed from them. It knows no HTTP.
package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
)

// Schema is the version of the configuration document this build reads and writes. An install refuses a
// document of a newer schema (and keeps its last good configuration) until it is updated.
const Schema = 1

// MaxBytes bounds a configuration document (its canonical JSON).
const MaxBytes = 64 << 10

// Setting keys.
const (
	KeyBanner        = "banner"
	KeyLandingPage   = "landing_page"
	KeyDefaultTeam   = "default_team"
	KeyFeatures      = "features"
	KeyMinAppVersion = "min_app_version"
	KeySync          = "sync"
	KeyLinks         = "links"
)

// Keys lists every setting, in the order documents and views show them.
var Keys = []string{KeyBanner, KeyLandingPage, KeyDefaultTeam, KeyFeatures, KeyMinAppVersion, KeySync, KeyLinks}

// UserSettable are the settings a user may also set on their own install (Prefs). Only these may be marked a
// default; the others are always enforced.
var UserSettable = []string{KeyDefaultTeam, KeyLandingPage, KeyFeatures}

// LandingPages are the pages an install may open on.
var LandingPages = []string{"catalog", "scorecards", "packages", "flags", "self-service", "matrix", "approvals", "secrets"}

// FeaturePages are the pages a configuration may switch on or off, each with the desktop's own feature flag that
// gates it when the configuration does not (app/features.go).
var FeaturePages = map[string]string{
	"flags":        "atrium-ui-flags-page",
	"packages":     "atrium-ui-packages-page",
	"self_service": "atrium-ui-self-service",
	"matrix":       "atrium-ui-matrix-page",
	"secrets":      "atrium-ui-secrets-page",
}

// BannerLevels are how loud a banner is.
var BannerLevels = []string{"info", "warning", "critical"}

// LinkKinds say what an organisation link is for.
var LinkKinds = []string{"docs", "oncall", "chat", "other"}

// Limits of values.
const (
	MaxBannerText = 500
	MaxLinks      = 20
	MaxLinkTitle  = 60
	MaxURL        = 2000
	MaxTeams      = 500
)

// Bounds of the sync timings.
const (
	MinLongPoll = 5
	MaxLongPoll = 60
	MinRetryMax = 1
	MaxRetryMax = 600
)

// Banner is a notice every install shows above its pages.
type Banner struct {
	Text  string `json:"text"`
	Level string `json:"level"`
}

// Sync tunes an install's sync loop: how long each change-feed request waits for a change, and the longest pause
// between attempts while the portal is unreachable. Zero keeps the install's own value.
type Sync struct {
	LongPollSeconds int `json:"long_poll_seconds,omitempty"`
	RetryMaxSeconds int `json:"retry_max_seconds,omitempty"`
}

// Link is one of the organisation's links (docs, on-call, chat) every install shows.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Kind  string `json:"kind"`
}

// Settings is one layer of settings: every install's, or one team's. An empty field is not set by the layer.
type Settings struct {
	Banner        *Banner         `json:"banner,omitempty"`
	LandingPage   string          `json:"landing_page,omitempty"`
	DefaultTeam   string          `json:"default_team,omitempty"`
	Features      map[string]bool `json:"features,omitempty"`
	MinAppVersion string          `json:"min_app_version,omitempty"`
	Sync          *Sync           `json:"sync,omitempty"`
	// Links is a pointer so that a layer may set "no links" ([]), which differs from not setting them.
	Links *[]Link `json:"links,omitempty"`
}

// Has reports whether the layer sets key.
func (s Settings) Has(key string) bool {
	switch key {
	case KeyBanner:
		return s.Banner != nil
	case KeyLandingPage:
		return s.LandingPage != ""
	case KeyDefaultTeam:
		return s.DefaultTeam != ""
	case KeyFeatures:
		return len(s.Features) > 0
	case KeyMinAppVersion:
		return s.MinAppVersion != ""
	case KeySync:
		return s.Sync != nil
	case KeyLinks:
		return s.Links != nil
	}
	return false
}

// Set lists the keys the layer sets, in Keys' order.
func (s Settings) Set() []string {
	out := []string{}
	for _, k := range Keys {
		if s.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

// over is s with every setting that top sets replaced by top's value (a team's layer over everyone's).
func (s Settings) over(top Settings) Settings {
	if top.Banner != nil {
		s.Banner = top.Banner
	}
	if top.LandingPage != "" {
		s.LandingPage = top.LandingPage
	}
	if top.DefaultTeam != "" {
		s.DefaultTeam = top.DefaultTeam
	}
	if len(top.Features) > 0 {
		s.Features = top.Features
	}
	if top.MinAppVersion != "" {
		s.MinAppVersion = top.MinAppVersion
	}
	if top.Sync != nil {
		s.Sync = top.Sync
	}
	if top.Links != nil {
		s.Links = top.Links
	}
	return s
}

// Document is a fleet configuration: settings for every install, the settings users may override (Defaults: the
// rest are enforced), and layers for installs of some teams that replace settings of everyone's.
type Document struct {
	Schema   int                 `json:"schema"`
	Settings Settings            `json:"settings"`
	Defaults []string            `json:"defaults,omitempty"`
	Teams    map[string]Settings `json:"teams,omitempty"`
}

// IsDefault reports whether the document marks key a default (the user's own choice wins).
func (d Document) IsDefault(key string) bool { return slices.Contains(d.Defaults, key) }

// For is the layer installs of team get: everyone's settings with the team's over them.
func (d Document) For(team string) Settings {
	if t, ok := d.Teams[team]; ok && team != "" {
		return d.Settings.over(t)
	}
	return d.Settings
}

// Canonical is the document's canonical JSON, which the portal signs and stores.
func (d Document) Canonical() []byte {
	c := d
	c.Schema = Schema
	c.Defaults = slices.Clone(d.Defaults)
	sort.Strings(c.Defaults)
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // only strings, numbers, booleans, slices and maps of them
	}
	return b
}

// Options tune Parse on the portal.
type Options struct {
	// Team reports whether a team exists (in the catalog); nil accepts any well-formed team name. Installs parse
	// without it: they cannot know every team.
	Team func(name string) bool
}

// Parse reads and validates a configuration document. Every problem is reported with the JSON Pointer of the
// value it is about ("/settings/banner/text"; "" for the document as a whole); a document with any problem is
// refused whole.
func Parse(raw []byte, opts Options) (Document, problem.Problems) {
	var ps problem.Problems
	if len(raw) > MaxBytes {
		ps.Add("", "the configuration is %d bytes; at most %d", len(raw), MaxBytes)
		return Document{}, ps
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		ps.Add("", "not JSON: %v", err)
		return Document{}, ps
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		ps.Add("", "not one JSON value: something follows the document")
		return Document{}, ps
	}
	d, ps := check(v, opts)
	if len(ps) == 0 {
		if n := len(d.Canonical()); n > MaxBytes {
			ps.Add("", "the configuration is %d bytes; at most %d", n, MaxBytes)
		}
	}
	return d, ps
}

func check(v any, opts Options) (Document, problem.Problems) {
	c := &checker{opts: opts}
	d := Document{Schema: Schema}
	obj, ok := c.object("", v)
	if !ok {
		return d, c.ps
	}
	for _, k := range sortedKeys(obj) {
		p := "/" + escape(k)
		switch k {
		case "schema":
			n, ok := c.integer(p, obj[k], 1, 1<<20)
			if ok && n != Schema {
				c.add(p, "this Atrium reads configuration schema %d, not %d: update the app", Schema, n)
			}
		case "settings":
			d.Settings = c.settings(p, obj[k], true)
		case "defaults":
			d.Defaults = c.defaults(p, obj[k])
		case "teams":
			d.Teams = c.teams(p, obj[k])
		default:
			c.add(p, "unknown key; a configuration has schema, settings, defaults and teams")
		}
	}
	if _, ok := obj["settings"]; !ok && len(d.Teams) == 0 {
		c.add("/settings", "required: the settings of every install (may be {})")
	}
	return d, c.ps
}

type checker struct {
	opts Options
	ps   problem.Problems
}

func (c *checker) add(path, format string, args ...any) { c.ps.Add(path, format, args...) }

func (c *checker) object(path string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, "must be an object, not %s", typeName(v))
	}
	return m, ok
}

func (c *checker) str(path string, v any, maxLen int) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.add(path, "must be a string, not %s", typeName(v))
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		c.add(path, "must not be empty")
		return "", false
	}
	if n := utf8.RuneCountInString(s); n > maxLen {
		c.add(path, "%d characters; at most %d", n, maxLen)
		return "", false
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\n' || r == 0x7f }) {
		c.add(path, "must not contain control characters")
		return "", false
	}
	return s, true
}

func (c *checker) oneOf(path string, v any, allowed []string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.add(path, "must be a string, one of %s; not %s", strings.Join(allowed, ", "), typeName(v))
		return "", false
	}
	if !slices.Contains(allowed, s) {
		c.add(path, "%q is not one of %s", clip(s), strings.Join(allowed, ", "))
		return "", false
	}
	return s, true
}

func (c *checker) integer(path string, v any, lo, hi int) (int, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			c.add(path, "must be a whole number")
			return 0, false
		}
		f = x
	case float64:
		f = n
	case int:
		f = float64(n)
	default:
		c.add(path, "must be a whole number, not %s", typeName(v))
		return 0, false
	}
	if f != float64(int64(f)) {
		c.add(path, "must be a whole number, not %v", f)
		return 0, false
	}
	if f < float64(lo) || f > float64(hi) {
		c.add(path, "%v is out of range: %d to %d", f, lo, hi)
		return 0, false
	}
	return int(f), true
}

func (c *checker) settings(path string, v any, everyone bool) Settings {
	var s Settings
	obj, ok := c.object(path, v)
	if !ok {
		return s
	}
	for _, k := range sortedKeys(obj) {
		p := path + "/" + escape(k)
		val := obj[k]
		if val == nil {
			c.add(p, "must have a value; leave the setting out to not set it")
			continue
		}
		switch k {
		case KeyBanner:
			s.Banner = c.banner(p, val)
		case KeyLandingPage:
			s.LandingPage, _ = c.oneOf(p, val, LandingPages)
		case KeyDefaultTeam:
			if !everyone {
				c.add(p, "a team's settings cannot set default_team: the team an install belongs to cannot depend on its team")
				continue
			}
			if t, ok := c.team(p, val); ok {
				s.DefaultTeam = t
			}
		case KeyFeatures:
			s.Features = c.features(p, val)
		case KeyMinAppVersion:
			if str, ok := c.str(p, val, 64); ok {
				if _, ok := ParseVersion(str); !ok {
					c.add(p, "%q is not a version: use MAJOR.MINOR.PATCH, e.g. 1.4.0", clip(str))
				} else {
					s.MinAppVersion = str
				}
			}
		case KeySync:
			s.Sync = c.sync(p, val)
		case KeyLinks:
			s.Links = c.links(p, val)
		default:
			c.add(p, "unknown setting; settings are %s", strings.Join(Keys, ", "))
		}
	}
	return s
}

func (c *checker) team(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.add(path, "must be a team name, not %s", typeName(v))
		return "", false
	}
	if !catalog.ValidName(s) {
		c.add(path, "%q is not a team name (lower case letters, digits and -)", clip(s))
		return "", false
	}
	if c.opts.Team != nil && !c.opts.Team(s) {
		c.add(path, "no team named %q in the catalog", s)
		return "", false
	}
	return s, true
}

func (c *checker) banner(path string, v any) *Banner {
	obj, ok := c.object(path, v)
	if !ok {
		return nil
	}
	b := &Banner{Level: "info"}
	good := true
	for _, k := range sortedKeys(obj) {
		p := path + "/" + escape(k)
		switch k {
		case "text":
			t, ok := c.str(p, obj[k], MaxBannerText)
			b.Text, good = t, good && ok
		case "level":
			l, ok := c.oneOf(p, obj[k], BannerLevels)
			b.Level, good = l, good && ok
		default:
			c.add(p, "unknown key; a banner has text and level")
			good = false
		}
	}
	if _, ok := obj["text"]; !ok {
		c.add(path+"/text", "required")
		good = false
	}
	if !good {
		return nil
	}
	return b
}

func (c *checker) features(path string, v any) map[string]bool {
	obj, ok := c.object(path, v)
	if !ok {
		return nil
	}
	if len(obj) == 0 {
		c.add(path, "names no page; leave features out to not set them")
		return nil
	}
	pages := make([]string, 0, len(FeaturePages))
	for p := range FeaturePages {
		pages = append(pages, p)
	}
	sort.Strings(pages)
	out := map[string]bool{}
	for _, k := range sortedKeys(obj) {
		p := path + "/" + escape(k)
		if _, known := FeaturePages[k]; !known {
			c.add(p, "unknown page; pages are %s", strings.Join(pages, ", "))
			continue
		}
		b, ok := obj[k].(bool)
		if !ok {
			c.add(p, "must be true or false, not %s", typeName(obj[k]))
			continue
		}
		out[k] = b
	}
	return out
}

func (c *checker) sync(path string, v any) *Sync {
	obj, ok := c.object(path, v)
	if !ok {
		return nil
	}
	s := &Sync{}
	for _, k := range sortedKeys(obj) {
		p := path + "/" + escape(k)
		switch k {
		case "long_poll_seconds":
			s.LongPollSeconds, _ = c.integer(p, obj[k], MinLongPoll, MaxLongPoll)
		case "retry_max_seconds":
			s.RetryMaxSeconds, _ = c.integer(p, obj[k], MinRetryMax, MaxRetryMax)
		default:
			c.add(p, "unknown key; sync has long_poll_seconds and retry_max_seconds")
		}
	}
	if len(obj) == 0 {
		c.add(path, "sets nothing; give long_poll_seconds or retry_max_seconds")
	}
	return s
}

func (c *checker) links(path string, v any) *[]Link {
	arr, ok := v.([]any)
	if !ok {
		c.add(path, "must be a list of links, not %s", typeName(v))
		return nil
	}
	if len(arr) > MaxLinks {
		c.add(path, "%d links; at most %d", len(arr), MaxLinks)
		return nil
	}
	out := []Link{}
	for i, item := range arr {
		p := fmt.Sprintf("%s/%d", path, i)
		obj, ok := c.object(p, item)
		if !ok {
			continue
		}
		l := Link{Kind: "other"}
		for _, k := range sortedKeys(obj) {
			kp := p + "/" + escape(k)
			switch k {
			case "title":
				l.Title, _ = c.str(kp, obj[k], MaxLinkTitle)
			case "url":
				if s, ok := c.str(kp, obj[k], MaxURL); ok {
					if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
						u.User != nil {
						c.add(kp, "must be an http:// or https:// URL with a host (and no credentials)")
					} else {
						l.URL = s
					}
				}
			case "kind":
				l.Kind, _ = c.oneOf(kp, obj[k], LinkKinds)
			default:
				c.add(kp, "unknown key; a link has title, url and kind")
			}
		}
		for _, req := range []string{"title", "url"} {
			if _, ok := obj[req]; !ok {
				c.add(p+"/"+req, "required")
			}
		}
		out = append(out, l)
	}
	return &out
}

func (c *checker) defaults(path string, v any) []string {
	arr, ok := v.([]any)
	if !ok {
		c.add(path, "must be a list of setting names, not %s", typeName(v))
		return nil
	}
	var out []string
	for i, item := range arr {
		p := fmt.Sprintf("%s/%d", path, i)
		s, ok := item.(string)
		switch {
		case !ok:
			c.add(p, "must be a setting name, not %s", typeName(item))
		case !slices.Contains(Keys, s):
			c.add(p, "%q is not a setting; settings are %s", clip(s), strings.Join(Keys, ", "))
		case !slices.Contains(UserSettable, s):
			c.add(p, "%s is not a setting users set themselves, so it is always enforced; only %s may be defaults",
				s, strings.Join(UserSettable, ", "))
		case slices.Contains(out, s):
			c.add(p, "%s is listed twice", s)
		default:
			out = append(out, s)
		}
	}
	return out
}

func (c *checker) teams(path string, v any) map[string]Settings {
	obj, ok := c.object(path, v)
	if !ok {
		return nil
	}
	if len(obj) > MaxTeams {
		c.add(path, "%d teams; at most %d", len(obj), MaxTeams)
		return nil
	}
	out := map[string]Settings{}
	for _, k := range sortedKeys(obj) {
		p := path + "/" + escape(k)
		if _, ok := c.team(p, k); !ok {
			continue
		}
		out[k] = c.settings(p, obj[k], false)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// escape makes a key one JSON Pointer segment.
func escape(k string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(k) }

func clip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
