// Package github is the GitHub collector: it turns every repository of the configured organisations into services
// through catalog.ParseRepository, incrementally (only repositories whose default branch moved are read again),
// cheaply (conditional requests, content-addressed blob cache) and politely (rate limits, bounded concurrency). All
// GitHub calls go through go-github v60; its state lives in the portal's SQLite file so a restart resumes.
package github

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Kind is the kind of source this collector reports.
const Kind = "github"

// AppAuth authenticates as a GitHub App installation (tokens are minted and renewed by ghinstallation).
type AppAuth struct {
	AppID          int64
	InstallationID int64
	PrivateKey     []byte // PEM
}

// Config configures the collector.
type Config struct {
	// APIURL is the REST base URL: empty for GitHub's public API, "https://HOST/api/v3" for GitHub Enterprise.
	APIURL string
	Orgs   []string
	// Token is a personal or fine-grained access token; App is used instead when set.
	Token string
	App   *AppAuth
	// WebhookSecret verifies X-Hub-Signature-256 of webhook deliveries; without it deliveries are refused.
	WebhookSecret   string
	IncludeArchived bool
	Interval        time.Duration // between polling syncs; default 15 minutes
	Concurrency     int           // GitHub requests in flight; default 8
	MaxFileBytes    int           // larger descriptors and manifests are skipped with a finding; default 5 MiB
	// Reserve, SecondaryWait: see Transport. Zero keeps the defaults (50 points, one minute).
	Reserve       int
	SecondaryWait time.Duration
	// Base is the HTTP transport under everything (tests, proxies); nil: http.DefaultTransport.
	Base http.RoundTripper
	// Clock times the waits for rate limits (see Transport) and when branch protection is due; the zero Clock is
	// the real one.
	Clock Clock
	// ProtectionInterval is how often a repository nobody pushed to has its default branch's protection read
	// again (a push reads it at once); default 6 hours.
	ProtectionInterval time.Duration
	// Extra names, per repository (owner/name), directories whose YAML and Terraform files are read besides
	// descriptors and manifests — drift's gitops repositories (Hub.Files hands them over). nil: none.
	Extra func(repo string) []string
	// OnRead is called after a repository with Extra directories was read anew (a push, a sync) or forgotten, in
	// the collector's goroutine: drift detects again.
	OnRead func(repo string)
}

// maxExtraFiles bounds the extra files read of one repository.
const maxExtraFiles = 10000

// extraDirs are repo's extra directories, and their fingerprint ("" for none).
func (h *Hub) extraDirs(repo string) ([]string, string) {
	if h.cfg.Extra == nil {
		return nil, ""
	}
	dirs := h.cfg.Extra(repo)
	if len(dirs) == 0 {
		return nil, ""
	}
	sorted := append([]string{}, dirs...)
	sort.Strings(sorted)
	return dirs, strings.Join(sorted, "\x00")
}

// ExtraFile reports whether p lies in one of dirs and is a YAML or Terraform file.
func ExtraFile(dirs []string, p string) bool {
	if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml") && !strings.HasSuffix(p, ".tf") &&
		path.Base(p) != "Kustomization" {
		return false
	}
	for _, d := range dirs {
		if d == "" || strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// Versions supplies newest package versions to the services the collector writes.
type Versions interface {
	catalog.VersionSource
	// Warm looks up, concurrently, the packages not yet known, so FillLatest afterwards answers from the cache.
	Warm(ctx context.Context, deps []catalog.Dependency)
	// Describe says where versions come from, or why some are unknown, for the source status.
	Describe() string
}

// Hub runs one Collector per organisation, and one TemplateSource per templates repository (AddTemplates), over
// one GitHub client, one rate-limit budget and one blob cache. A hub without organisations syncs templates only.
type Hub struct {
	cfg      Config
	store    *store.DB
	versions Versions
	log      *slog.Logger
	client   *gh.Client
	tr       *Transport

	collectors map[string]*Collector // by lower-case organisation
	templates  []*TemplateSource

	blobMu   sync.Mutex
	inflight map[string]*blobCall

	ctxMu sync.Mutex
	ctx   context.Context // set by Run; webhook refreshes run under it
	wg    sync.WaitGroup
}

type blobCall struct {
	done chan struct{}
	data []byte
	err  error
}

// New builds the collectors of cfg. versions may be nil (newest versions are then left empty).
func New(db *store.DB, cfg Config, versions Versions, log *slog.Logger) (*Hub, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Token == "" && cfg.App == nil {
		return nil, errors.New("github: configure a token or a GitHub App installation")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 5 << 20
	}
	if cfg.ProtectionInterval <= 0 {
		cfg.ProtectionInterval = 6 * time.Hour
	}
	tr := NewTransport(cfg.Base, db.SQL(), cfg.Concurrency)
	tr.Clock = cfg.Clock
	if cfg.Reserve > 0 {
		tr.Reserve = cfg.Reserve
	}
	if cfg.SecondaryWait > 0 {
		tr.SecondaryWait = cfg.SecondaryWait
	}
	var base *url.URL
	if cfg.APIURL != "" {
		u, err := url.Parse(strings.TrimRight(cfg.APIURL, "/") + "/")
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("github: API URL %q must be an http(s) URL", cfg.APIURL)
		}
		base = u
	}
	var client *gh.Client
	if cfg.App != nil {
		itr, err := ghinstallation.New(tr, cfg.App.AppID, cfg.App.InstallationID, cfg.App.PrivateKey)
		if err != nil {
			// The parser's message names the format, never the key's content.
			return nil, fmt.Errorf("github: the private key of GitHub App %d is not a PEM-encoded RSA private key (%v): "+
				"use the .pem file GitHub generated in the App's settings", cfg.App.AppID, err)
		}
		if base != nil {
			itr.BaseURL = strings.TrimRight(base.String(), "/")
		}
		client = gh.NewClient(&http.Client{Transport: itr})
	} else {
		client = gh.NewClient(&http.Client{Transport: tr}).WithAuthToken(cfg.Token)
	}
	if base != nil {
		client.BaseURL = base
	}
	h := &Hub{cfg: cfg, store: db, versions: versions, log: log, client: client, tr: tr,
		collectors: map[string]*Collector{}, inflight: map[string]*blobCall{}, ctx: context.Background()}
	for _, org := range cfg.Orgs {
		org = strings.TrimSpace(org)
		if org == "" {
			continue
		}
		c := &Collector{hub: h, org: org, source: SourceName(org), db: db.SQL(), trigger: make(chan struct{}, 1)}
		c.st = sources.Status{Name: c.source, Kind: Kind, State: sources.StateIdle, Versions: h.describeVersions()}
		h.collectors[strings.ToLower(org)] = c
	}
	return h, nil
}

// SourceName is the catalog source of an organisation's services.
func SourceName(org string) string { return "github:" + strings.ToLower(org) }

// Collectors lists the collectors by organisation name.
func (h *Hub) Collectors() []*Collector {
	out := make([]*Collector, 0, len(h.collectors))
	for _, c := range h.collectors {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].source < out[j].source })
	return out
}

// Collector returns the collector of org, or nil.
func (h *Hub) Collector(org string) *Collector { return h.collectors[strings.ToLower(org)] }

// Run syncs every organisation and templates repository now and then every Interval (or when triggered) until
// ctx ends.
func (h *Hub) Run(ctx context.Context) {
	h.ctxMu.Lock()
	h.ctx = ctx
	h.ctxMu.Unlock()
	var wg sync.WaitGroup
	for _, c := range h.collectors {
		wg.Add(1)
		go func() { defer wg.Done(); c.run(ctx, h.cfg.Interval) }()
	}
	for _, t := range h.templates {
		wg.Add(1)
		go func() { defer wg.Done(); t.run(ctx, h.cfg.Interval) }()
	}
	wg.Wait()
	h.wg.Wait()
}

// Rewrite writes every organisation's services again from what the collector holds, with fresh newest versions;
// no GitHub request is made. The version refresher calls it after newest versions changed.
func (h *Hub) Rewrite(ctx context.Context) error {
	var errs []error
	for _, c := range h.Collectors() {
		if _, err := c.write(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Hub) describeVersions() string {
	if h.versions == nil {
		return "newest package versions unknown: no registry configured"
	}
	return h.versions.Describe()
}

// RateLimit is the budget left, as GitHub last reported it.
func (h *Hub) RateLimit() *sources.RateLimit { return h.tr.RateLimit() }

// contents returns the wanted files' contents: from the blob cache, or fetched once per SHA.
func (h *Hub) contents(ctx context.Context, owner, repo string, files map[string]fileRef) (map[string][]byte, problem.Problems, error) {
	var shas []string
	var notes problem.Problems
	for p, f := range files {
		if f.Size > h.cfg.MaxFileBytes {
			notes = append(notes, problem.Problem{Severity: problem.Warning, Source: "github",
				Summary: fmt.Sprintf("%s skipped: %d bytes", p, f.Size),
				Detail:  fmt.Sprintf("Files over %d bytes are not read; dependencies it lists are missing.", h.cfg.MaxFileBytes)})
			continue
		}
		shas = append(shas, f.SHA)
	}
	have, err := blobsFromStore(ctx, h.store.SQL(), shas)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]byte{}
	for p, f := range files {
		if f.Size > h.cfg.MaxFileBytes {
			continue
		}
		b, ok := have[f.SHA]
		if !ok {
			if b, err = h.blob(ctx, owner, repo, f.SHA); err != nil {
				return nil, nil, fmt.Errorf("read %s: %w", p, err)
			}
			have[f.SHA] = b
		}
		out[p] = b
	}
	sort.Slice(notes, func(i, j int) bool { return notes[i].Summary < notes[j].Summary })
	return out, notes, nil
}

// blob fetches one blob, at most once at a time per SHA across all organisations, and caches it.
func (h *Hub) blob(ctx context.Context, owner, repo, sha string) ([]byte, error) {
	h.blobMu.Lock()
	if cl, ok := h.inflight[sha]; ok {
		h.blobMu.Unlock()
		select {
		case <-cl.done:
			return cl.data, cl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	cl := &blobCall{done: make(chan struct{})}
	h.inflight[sha] = cl
	h.blobMu.Unlock()
	defer func() {
		h.blobMu.Lock()
		delete(h.inflight, sha)
		h.blobMu.Unlock()
		close(cl.done)
	}()
	// Another repository may have stored it since the caller looked.
	if have, err := blobsFromStore(ctx, h.store.SQL(), []string{sha}); err == nil && have[sha] != nil {
		cl.data = have[sha]
		return cl.data, nil
	}
	cl.data, _, cl.err = call(ctx, func() ([]byte, *gh.Response, error) {
		return h.client.Git.GetBlobRaw(ctx, owner, repo, sha)
	})
	if cl.err == nil {
		if BlobSHA(cl.data) != sha {
			cl.err = fmt.Errorf("blob %s: content does not match its SHA", sha)
			return nil, cl.err
		}
		_, cl.err = h.store.SQL().ExecContext(ctx, `INSERT OR IGNORE INTO github_blobs(sha, content) VALUES (?, ?)`, sha, cl.data)
	}
	return cl.data, cl.err
}

// BlobSHA is git's SHA of a blob's content; GitHub addresses blobs by it.
func BlobSHA(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// RepoFiles is a repository's extra files as the collector last read them.
type RepoFiles struct {
	FullName      string
	DefaultBranch string
	Head          string
	Files         map[string][]byte
}

// ErrNotRead is returned (wrapped) for a repository the collector has not read: not in a configured
// organisation, not synced yet, or its last read failed before any succeeded.
var ErrNotRead = errors.New("not read by the GitHub collector")

// Files hands over the extra files (Config.Extra) of repo (owner/name) under dirs, from what the last sync read:
// no request to GitHub. A repository whose last read failed is handed over as it was last read well.
func (h *Hub) Files(ctx context.Context, repo string, dirs []string) (RepoFiles, error) {
	var out RepoFiles
	var files, errMsg string
	err := h.store.SQL().QueryRowContext(ctx, `SELECT full_name, default_branch, head, files, error FROM github_repos
		WHERE lower(full_name) = lower(?) ORDER BY synced_at DESC LIMIT 1`, repo).
		Scan(&out.FullName, &out.DefaultBranch, &out.Head, &files, &errMsg)
	if errors.Is(err, sql.ErrNoRows) {
		return out, fmt.Errorf("repository %s: %w (is its organisation configured?)", repo, ErrNotRead)
	}
	if err != nil {
		return out, err
	}
	if out.Head == "" && errMsg != "" {
		return out, fmt.Errorf("repository %s: %w: %s", repo, ErrNotRead, errMsg)
	}
	var refs map[string]fileRef
	if err := json.Unmarshal([]byte(files), &refs); err != nil {
		return out, fmt.Errorf("repository %s: stored files: %w", repo, err)
	}
	var shas []string
	for p, f := range refs {
		if ExtraFile(dirs, p) {
			shas = append(shas, f.SHA)
		}
	}
	blobs, err := blobsFromStore(ctx, h.store.SQL(), shas)
	if err != nil {
		return out, err
	}
	out.Files = map[string][]byte{}
	for p, f := range refs {
		if b, ok := blobs[f.SHA]; ok && ExtraFile(dirs, p) {
			out.Files[p] = b
		}
	}
	return out, nil
}
