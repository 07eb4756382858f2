// Package versions answers the newest released version of npm packages and Go modules from a configurable npm
// registry and Go module proxy (companies run internal mirrors), looking each package up once, caching the answer in
// SQLite with its fetch time and refreshing it on a schedule. It implements catalog.VersionSource.
package versions

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/sphera/atrium/internal/catalog"
)

// Config says where newest versions come from.
type Config struct {
	NPMRegistry string        // base URL of an npm registry; "" leaves npm versions unknown
	GoProxy     string        // base URL of a Go module proxy; "" leaves Go versions unknown
	Refresh     time.Duration // how old an answer may get before it is asked again; default 24h
	Concurrency int           // lookups in flight while warming; default 8
	HTTP        *http.Client  // nil: a client with a 30 s timeout

	// Now tells how old answers are, and After waits between Run's refreshes; default time.Now and time.After.
	// Tests drive time with them.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

type key struct{ eco, name string }

type entry struct {
	latest  string
	fetched time.Time
	err     string
}

// Cache is a VersionSource backed by the registries of Config and the package_versions table.
type Cache struct {
	cfg Config
	db  *sql.DB

	mu     sync.Mutex
	loaded bool
	mem    map[key]entry
}

// New returns a cache over db (the portal's database, schema 4 or later).
func New(db *sql.DB, cfg Config) *Cache {
	if cfg.Refresh <= 0 {
		cfg.Refresh = 24 * time.Hour
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	cfg.NPMRegistry = strings.TrimRight(cfg.NPMRegistry, "/")
	cfg.GoProxy = strings.TrimRight(cfg.GoProxy, "/")
	return &Cache{cfg: cfg, db: db, mem: map[key]entry{}}
}

func (c *Cache) registry(eco string) string {
	switch eco {
	case catalog.EcosystemNPM:
		return c.cfg.NPMRegistry
	case catalog.EcosystemGo:
		return c.cfg.GoProxy
	}
	return ""
}

func (c *Cache) load(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return nil
	}
	rows, err := c.db.QueryContext(ctx, `SELECT ecosystem, name, latest, fetched_at, error FROM package_versions`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var e entry
		var at int64
		if err := rows.Scan(&k.eco, &k.name, &e.latest, &at, &e.err); err != nil {
			return err
		}
		e.fetched = time.UnixMilli(at)
		c.mem[k] = e
	}
	c.loaded = true
	return rows.Err()
}

// Latest implements catalog.VersionSource: the cached answer, or one lookup when the package was never asked
// about. Unknown packages, and ecosystems without a configured registry, answer "".
func (c *Cache) Latest(ctx context.Context, ecosystem, name string) (string, error) {
	if c.registry(ecosystem) == "" {
		return "", nil
	}
	if err := c.load(ctx); err != nil {
		return "", err
	}
	k := key{ecosystem, name}
	c.mu.Lock()
	e, ok := c.mem[k]
	c.mu.Unlock()
	if !ok {
		e = c.fetch(ctx, k)
	}
	if e.err != "" {
		return e.latest, errors.New(e.err)
	}
	return e.latest, nil
}

// Warm looks up, concurrently, the packages of deps never asked about.
func (c *Cache) Warm(ctx context.Context, deps []catalog.Dependency) {
	if c.load(ctx) != nil {
		return
	}
	seen := map[key]bool{}
	var todo []key
	c.mu.Lock()
	for _, d := range deps {
		k := key{d.Ecosystem, d.Name}
		if _, ok := c.mem[k]; !ok && !seen[k] && c.registry(d.Ecosystem) != "" {
			seen[k] = true
			todo = append(todo, k)
		}
	}
	c.mu.Unlock()
	c.fetchAll(ctx, todo)
}

func (c *Cache) fetchAll(ctx context.Context, keys []key) {
	ch := make(chan key)
	var wg sync.WaitGroup
	for range min(c.cfg.Concurrency, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ch {
				c.fetch(ctx, k)
			}
		}()
	}
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		ch <- k
	}
	close(ch)
	wg.Wait()
}

// fetch asks the registry and stores the answer (also a failure, so that it is not asked again before the next
// refresh).
func (c *Cache) fetch(ctx context.Context, k key) entry {
	var latest string
	var err error
	switch k.eco {
	case catalog.EcosystemNPM:
		latest, err = c.npmLatest(ctx, k.name)
	case catalog.EcosystemGo:
		latest, err = c.goLatest(ctx, k.name)
	}
	if ctx.Err() != nil {
		return entry{err: ctx.Err().Error()}
	}
	e := entry{latest: latest, fetched: c.cfg.Now()}
	if err != nil {
		e.err = err.Error()
		c.mu.Lock()
		if old, ok := c.mem[k]; ok {
			e.latest = old.latest // keep the last good answer
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.mem[k] = e
	c.mu.Unlock()
	_, _ = c.db.ExecContext(ctx, `INSERT INTO package_versions(ecosystem, name, latest, fetched_at, error)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT(ecosystem, name) DO UPDATE SET latest = excluded.latest,
		fetched_at = excluded.fetched_at, error = excluded.error`, k.eco, k.name, e.latest, e.fetched.UnixMilli(), e.err)
	return e
}

// Refresh asks again about every package whose answer is older than Config.Refresh (or failed), and reports how
// many newest versions changed.
func (c *Cache) Refresh(ctx context.Context) (int, error) {
	if err := c.load(ctx); err != nil {
		return 0, err
	}
	before := map[key]string{}
	var todo []key
	now := c.cfg.Now()
	c.mu.Lock()
	for k, e := range c.mem {
		if c.registry(k.eco) != "" && (e.err != "" || now.Sub(e.fetched) >= c.cfg.Refresh) {
			todo = append(todo, k)
			before[k] = e.latest
		}
	}
	c.mu.Unlock()
	c.fetchAll(ctx, todo)
	changed := 0
	c.mu.Lock()
	for k, old := range before {
		if c.mem[k].latest != old {
			changed++
		}
	}
	c.mu.Unlock()
	return changed, ctx.Err()
}

// Run refreshes on schedule until ctx ends, calling onChange after a refresh that changed a newest version.
func (c *Cache) Run(ctx context.Context, onChange func(ctx context.Context)) {
	every := max(min(c.cfg.Refresh/4, time.Hour), time.Second)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.cfg.After(every):
		}
		if n, err := c.Refresh(ctx); err == nil && n > 0 && onChange != nil {
			onChange(ctx)
		}
	}
}

// Describe says where versions come from and what is unknown, for a source's status.
func (c *Cache) Describe() string {
	var parts []string
	if c.cfg.NPMRegistry != "" {
		parts = append(parts, "npm from "+c.cfg.NPMRegistry)
	} else {
		parts = append(parts, "npm versions unknown: no npm registry configured (ATRIUM_NPM_REGISTRY, or registry= in ~/.npmrc)")
	}
	if c.cfg.GoProxy != "" {
		parts = append(parts, "Go from "+c.cfg.GoProxy)
	} else {
		parts = append(parts, "Go versions unknown: no Go module proxy configured (ATRIUM_GOPROXY or GOPROXY)")
	}
	c.mu.Lock()
	failed := 0
	for _, e := range c.mem {
		if e.err != "" {
			failed++
		}
	}
	c.mu.Unlock()
	s := "newest versions: " + strings.Join(parts, "; ")
	if failed > 0 {
		s += fmt.Sprintf("; %d lookups failed and are retried at the next refresh", failed)
	}
	return s
}

// get fetches url; found is false for 404/410.
func (c *Cache) get(ctx context.Context, u, accept string) (body []byte, found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, false, nil
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return body, true, err
}

// npmLatest reads dist-tags.latest of a package's packument (the abbreviated form, when the registry offers it).
func (c *Cache) npmLatest(ctx context.Context, name string) (string, error) {
	escaped := url.PathEscape(name) // "@scope/pkg" → "@scope%2Fpkg", as npm clients send it
	body, found, err := c.get(ctx, c.cfg.NPMRegistry+"/"+escaped,
		"application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
	if err != nil || !found {
		return "", err
	}
	var p struct {
		DistTags map[string]string `json:"dist-tags"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "", fmt.Errorf("npm packument of %s: %w", name, err)
	}
	return p.DistTags["latest"], nil
}

// goLatest asks the proxy's /@latest, falling back to the highest release of /@v/list.
func (c *Cache) goLatest(ctx context.Context, mod string) (string, error) {
	esc, err := module.EscapePath(mod)
	if err != nil {
		return "", fmt.Errorf("module path %q: %w", mod, err)
	}
	base := c.cfg.GoProxy + "/" + esc
	body, found, err := c.get(ctx, base+"/@latest", "")
	if err == nil && found {
		var info struct{ Version string }
		if json.Unmarshal(body, &info) == nil && semver.IsValid(info.Version) {
			return info.Version, nil
		}
	}
	body, found, lerr := c.get(ctx, base+"/@v/list", "")
	if lerr != nil {
		return "", errors.Join(err, lerr)
	}
	if !found {
		return "", err
	}
	return highest(strings.Fields(string(body))), nil
}

// highest is the highest release among versions, or the highest pre-release when there is no release.
func highest(versions []string) string {
	best, bestPre := "", ""
	for _, v := range versions {
		if !semver.IsValid(v) {
			continue
		}
		if semver.Prerelease(v) == "" {
			if best == "" || semver.Compare(v, best) > 0 {
				best = v
			}
		} else if bestPre == "" || semver.Compare(v, bestPre) > 0 {
			bestPre = v
		}
	}
	if best != "" {
		return best
	}
	return bestPre
}

// DefaultNPMRegistry is the registry the user's npm would use: $NPM_CONFIG_REGISTRY (or npm_config_registry), else
// the registry= line of ~/.npmrc; "" when neither says.
func DefaultNPMRegistry() string {
	for _, k := range []string{"NPM_CONFIG_REGISTRY", "npm_config_registry"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return npmrcRegistry(filepath.Join(home, ".npmrc"))
}

func npmrcRegistry(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "registry" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// DefaultGoProxy is the first URL entry of $GOPROXY, else of `go env GOPROXY`; "" when there is none ("direct",
// "off", or no go command).
func DefaultGoProxy() string {
	v := os.Getenv("GOPROXY")
	if v == "" {
		if out, err := exec.Command("go", "env", "GOPROXY").Output(); err == nil {
			v = string(out)
		}
	}
	return FirstProxy(v)
}

// FirstProxy picks the first URL of a GOPROXY list (entries separated by "," or "|").
func FirstProxy(list string) string {
	for _, e := range strings.FieldsFunc(strings.TrimSpace(list), func(r rune) bool { return r == ',' || r == '|' }) {
		// Entries that are not HTTP URLs (file://, direct, off) are not proxies Atrium can ask: the next one may be.
		e = strings.TrimSpace(e)
		if strings.HasPrefix(e, "http://") || strings.HasPrefix(e, "https://") {
			return e
		}
	}
	return ""
}
