// Package githubtest is a fake GitHub REST API on 127.0.0.1 for tests and benchmarks of the GitHub collector, the
// gitops delivery path and the golden path (repository creation, the git data API, branch protection: gitdata.go). It speaks GitHub's wire format for the endpoints those use — JSON shapes as in GitHub's
// published REST description, Link pagination, ETags and 304s, rate-limit headers and points, secondary-limit
// answers — and signs webhook deliveries the way GitHub does. Repositories are real git object graphs: branches,
// refs, contents written through the API and merged pull requests are commits, trees and blobs that the read
// endpoints serve. Besides the static Token it accepts installation tokens of GitHub Apps (app.go), minted for an
// RS256 JWT as GitHub mints them. It counts requests by kind so tests can assert what a sync or an action cost.
package githubtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Kinds of request counted by the server.
const (
	KindList      = "list"       // GET /orgs/{org}/repos
	KindRepo      = "repo"       // GET /repos/{owner}/{repo}, GET /repositories/{id}
	KindCommit    = "commit"     // GET /repos/{owner}/{repo}/commits/{ref}
	KindTree      = "tree"       // GET /repos/{owner}/{repo}/git/trees/{sha}
	KindBlob      = "blob"       // GET /repos/{owner}/{repo}/git/blobs/{sha}
	KindRateLimit = "rate_limit" // GET /rate_limit
	KindRef       = "ref"        // GET /repos/{owner}/{repo}/git/ref/{ref}, POST /repos/{owner}/{repo}/git/refs
	KindContents  = "contents"   // GET, PUT /repos/{owner}/{repo}/contents/{path}
	KindPulls     = "pulls"      // GET, POST /repos/{owner}/{repo}/pulls, GET /repos/{owner}/{repo}/pulls/{number}
	KindApp       = "app"        // /app/... (GitHub App endpoints, authenticated with a JWT)
	// KindCreateRepo is POST /orgs/{org}/repos (a write; GET of the same path is KindList).
	KindCreateRepo = "create_repo"
	// KindGitCommit is GET and POST /repos/{owner}/{repo}/git/commits[/{sha}]; POST git/blobs and git/trees count
	// as KindBlob and KindTree writes.
	KindGitCommit  = "git_commit"
	KindProtection = "protection" // GET, PUT /repos/{owner}/{repo}/branches/{branch}/protection
	KindOther      = "other"
)

// Counts are the requests the server answered since it started or since ResetCounts.
type Counts struct {
	Requests    int            // all requests
	ByKind      map[string]int // requests by kind, whatever the answer
	Writes      map[string]int // POST, PUT, PATCH and DELETE requests by kind, whatever the answer
	NotModified map[string]int // 304 answers by kind
	Points      int            // rate-limit points spent (304s and /rate_limit are free, as on GitHub)
	Secondary   int            // secondary-rate-limit answers given
	Primary     int            // answers refused because the primary rate limit was exhausted
	Rejected    int            // 401 answers
	Tokens      int            // installation tokens minted for GitHub Apps
	MaxInFlight int            // most requests in progress at once
}

// Content is the number of requests that read repository contents (commits, trees, blobs).
func (c Counts) Content() int { return c.ByKind[KindCommit] + c.ByKind[KindTree] + c.ByKind[KindBlob] }

// Repo is a repository to create. Files are its default branch's files (slash paths → content).
type Repo struct {
	Name          string
	Description   string
	Language      string
	Topics        []string
	DefaultBranch string // "main" when empty
	Archived      bool
	Fork          bool
	Private       bool
	Files         map[string]string
}

type repo struct {
	Repo
	Visibility  string                 // as created: public, private or internal ("" for AddRepo's)
	protections map[string]*Protection // by branch
	written     map[string]bool        // objects written through the git data API
	id          int64
	org         string
	createdAt   time.Time
	pushedAt    time.Time
	updatedAt   time.Time
	head        string // commit SHA of the default branch; "" for an empty repository
	prevHead    string
	branches    map[string]string // other branches → commit SHA
	pulls       []*pull           // pull request n is pulls[n-1]
}

type commit struct {
	tree, message string
	parents       []string
	at            time.Time
	author, email string // "" for the fake's own Octo Cat
}

// sha is the commit's object SHA.
func (c commit) sha() string {
	return commitSHAOf(c.tree, c.parents, c.message, c.at, c.author, c.email)
}

type throttle struct {
	kind       string
	n          int
	status     int
	retryAfter int
}

// Server is a fake GitHub. Create it with New; all methods are safe for concurrent use.
type Server struct {
	URL   string // base URL of the REST API, without a trailing slash
	Token string // the token it accepts (Authorization: Bearer or token)

	// Latency delays every answer, so that concurrency can be observed.
	Latency time.Duration

	srv *httptest.Server
	mu  sync.Mutex
	now atomic.Pointer[func() time.Time] // SetClock

	clock   time.Time // advances one second per change, so pushed_at always moves
	orgs    map[string]int64
	repos   map[int64]*repo
	nextID  int64
	blobs   map[string][]byte
	trees   map[string][]treeEntry
	commits map[string]commit
	revoked bool
	broken  map[string]int // "org/name" (lower case) → status every request about it gets

	limit, remaining int
	reset            time.Time

	throttles []throttle
	failures  []failure
	counts    Counts
	inFlight  int

	apps     map[int64]*rsa.PublicKey // GitHub Apps by id
	installs map[int64]*installation  // by installation id
	tokens   map[string]*installToken // installation tokens minted
	tokenTTL time.Duration

	hiddenProtection map[string]bool // branches whose protection a test made unreadable (protection.go)

	treeLimit int                   // entries a recursive tree listing holds before it is truncated (SetTreeLimit)
	members   map[string]*orgPeople // by lower-case organisation (members.go)
}

// New starts a fake GitHub on 127.0.0.1, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		Token: "ghs_fake" + randHex(16),
		clock: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC),
		orgs:  map[string]int64{}, repos: map[int64]*repo{}, nextID: 1000,
		broken: map[string]int{},
		blobs:  map[string][]byte{}, trees: map[string][]treeEntry{}, commits: map[string]commit{},
		limit: 5000, remaining: 5000, reset: time.Now().Add(time.Hour).Truncate(time.Second),
		apps: map[int64]*rsa.PublicKey{}, installs: map[int64]*installation{}, tokens: map[string]*installToken{},
		tokenTTL: time.Hour,
	}
	s.SetClock(time.Now)
	s.ResetCounts()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orgs/{org}/repos", s.listRepos)
	mux.HandleFunc("GET /repos/{owner}/{repo}", s.getRepo)
	mux.HandleFunc("GET /repositories/{id}", s.getRepoByID)
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref...}", s.getCommit)
	mux.HandleFunc("GET /repos/{owner}/{repo}/git/trees/{sha}", s.getTree)
	mux.HandleFunc("GET /repos/{owner}/{repo}/git/blobs/{sha}", s.getBlob)
	mux.HandleFunc("GET /rate_limit", s.rateLimit)
	mux.HandleFunc("GET /repos/{owner}/{repo}/git/ref/{ref...}", s.getRef)
	mux.HandleFunc("POST /repos/{owner}/{repo}/git/refs", s.createRef)
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.getContents)
	mux.HandleFunc("PUT /repos/{owner}/{repo}/contents/{path...}", s.putContents)
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.listPulls)
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", s.getPull)
	mux.HandleFunc("POST /repos/{owner}/{repo}/pulls", s.createPull)
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.createInstallationToken)
	mux.HandleFunc("POST /orgs/{org}/repos", s.createRepo)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}", s.editRepo)
	mux.HandleFunc("POST /repos/{owner}/{repo}/git/blobs", s.createBlob)
	mux.HandleFunc("POST /repos/{owner}/{repo}/git/trees", s.createTree)
	mux.HandleFunc("POST /repos/{owner}/{repo}/git/commits", s.createCommit)
	mux.HandleFunc("GET /repos/{owner}/{repo}/git/commits/{sha}", s.getGitCommit)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", s.updateRef)
	mux.HandleFunc("PUT /repos/{owner}/{repo}/branches/{branch}/protection", s.putProtection)
	mux.HandleFunc("GET /repos/{owner}/{repo}/branches/{branch}/protection", s.getProtection)
	mux.HandleFunc("GET /orgs/{org}/members", s.listMembers)
	mux.HandleFunc("GET /orgs/{org}/teams", s.listTeams)
	mux.HandleFunc("GET /orgs/{org}/teams/{slug}/members", s.listTeamMembers)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })
	s.srv = httptest.NewServer(s.middleware(mux))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) tick() time.Time {
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// AddOrg creates an organisation.
func (s *Server) AddOrg(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.orgs[strings.ToLower(name)] = s.nextID
}

// AddRepo creates a repository in org with one commit holding r.Files (none: an empty repository).
func (s *Server) AddRepo(org string, r Repo) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[strings.ToLower(org)]; !ok {
		panic("githubtest: no organisation " + org)
	}
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	s.nextID++
	now := s.tick()
	rp := &repo{Repo: r, id: s.nextID, org: org, createdAt: now, pushedAt: now, updatedAt: now, branches: map[string]string{}}
	if len(r.Files) > 0 {
		rp.head = s.commitFiles(r.Files, nil, "Initial commit")
	}
	s.repos[rp.id] = rp
	return rp.id
}

// commitFiles stores the objects of a commit holding files and returns its SHA; s.mu is held.
func (s *Server) commitFiles(files map[string]string, parents []string, message string) string {
	return s.commitSpecial(files, Special{}, parents, message)
}

// commitSpecial is commitFiles with the special entries of sp in the tree; s.mu is held.
func (s *Server) commitSpecial(files map[string]string, sp Special, parents []string, message string) string {
	bs := map[string][]byte{}
	for p, c := range files {
		bs[p] = []byte(c)
		s.blobs[BlobSHA([]byte(c))] = []byte(c)
	}
	for _, target := range sp.Symlinks {
		s.blobs[BlobSHA([]byte(target))] = []byte(target)
	}
	root, trees := buildTreesSpecial(bs, sp)
	for k, v := range trees {
		s.trees[k] = v
	}
	at := s.clock
	sha := commitSHA(root, parents, message, at)
	s.commits[sha] = commit{tree: root, parents: parents, message: message, at: at}
	return sha
}

func (s *Server) find(org, name string) *repo {
	for _, r := range s.repos {
		if strings.EqualFold(r.org, org) && strings.EqualFold(r.Name, name) {
			return r
		}
	}
	panic(fmt.Sprintf("githubtest: no repository %s/%s", org, name))
}

// Push commits files (the complete new file set) to the default branch of org/name.
func (s *Server) Push(org, name string, files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	now := s.tick()
	r.prevHead = r.head
	r.head = s.commitFiles(files, parentsOf(r.head), "Update "+now.Format(time.RFC3339))
	r.Files = files
	r.pushedAt, r.updatedAt = now, now
}

// PushSpecial is Push with symbolic links and submodules in the commit's tree besides the files.
func (s *Server) PushSpecial(org, name string, files map[string]string, sp Special) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	now := s.tick()
	r.prevHead = r.head
	r.head = s.commitSpecial(files, sp, parentsOf(r.head), "Update "+now.Format(time.RFC3339))
	r.Files = files
	r.pushedAt, r.updatedAt = now, now
}

// SetTreeLimit makes recursive tree listings of more than n entries list the first n and say "truncated": true, as
// GitHub does past 100,000 entries or 7 MB (0: no limit).
func (s *Server) SetTreeLimit(n int) {
	s.mu.Lock()
	s.treeLimit = n
	s.mu.Unlock()
}

// PushOtherBranch records a push to a branch other than the default: pushed_at moves, the default head does not.
func (s *Server) PushOtherBranch(org, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	r.pushedAt = s.tick()
}

// Update changes a repository's metadata (description, topics, archived, name...) through fn.
func (s *Server) Update(org, name string, fn func(r *Repo)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	fn(&r.Repo)
	r.updatedAt = s.tick()
}

// Delete removes a repository.
func (s *Server) Delete(org, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.repos, s.find(org, name).id)
}

// Head is the default-branch commit of org/name.
func (s *Server) Head(org, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.find(org, name).head
}

// Break makes every request about org/name answer status (0 mends it): a repository GitHub cannot serve.
func (s *Server) Break(org, name string, status int) {
	s.mu.Lock()
	s.broken[strings.ToLower(org+"/"+name)] = status
	s.mu.Unlock()
}

// RevokeToken makes every later request with Token fail with 401 Bad credentials.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	s.revoked = true
	s.mu.Unlock()
}

// SetClock sets the server's time, which expires rate-limit windows and installation tokens (default time.Now).
// Set it before the server is used, to share a Clock with the code under test.
func (s *Server) SetClock(now func() time.Time) { s.now.Store(&now) }

// Now is the server's time.
func (s *Server) Now() time.Time { return (*s.now.Load())() }

// Clock is a fake time: Sleep returns at once, moving Now forward by the time slept, so that code waiting out a
// rate limit takes no real time and a test can tell how long it waited (at least as long as any one sleeper).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleep moves the clock forward by d and returns; ctx ended returns its error without moving the clock.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	c.Advance(d)
	return nil
}

// SetRateLimit sets the primary rate limit: remaining points out of limit until reset (whole seconds, as GitHub's
// X-RateLimit-Reset).
func (s *Server) SetRateLimit(limit, remaining int, reset time.Time) {
	s.mu.Lock()
	s.limit, s.remaining, s.reset = limit, remaining, reset.Truncate(time.Second)
	s.mu.Unlock()
}

// RateLimit reports the points left.
func (s *Server) RateLimit() (limit, remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit, s.remaining
}

// Throttle answers the next n requests of kind ("" for any) with a secondary-rate-limit refusal: status 403 or 429
// and Retry-After seconds (no header when retryAfter < 0).
func (s *Server) Throttle(kind string, n, status, retryAfter int) {
	s.mu.Lock()
	s.throttles = append(s.throttles, throttle{kind: kind, n: n, status: status, retryAfter: retryAfter})
	s.mu.Unlock()
}

// Counts returns a copy of the request counters.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.ByKind, c.Writes, c.NotModified = map[string]int{}, map[string]int{}, map[string]int{}
	for k, v := range s.counts.ByKind {
		c.ByKind[k] = v
	}
	for k, v := range s.counts.Writes {
		c.Writes[k] = v
	}
	for k, v := range s.counts.NotModified {
		c.NotModified[k] = v
	}
	return c
}

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	s.counts = Counts{ByKind: map[string]int{}, Writes: map[string]int{}, NotModified: map[string]int{}}
	s.mu.Unlock()
}

func kindOf(method, p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos" && method == http.MethodPost:
		return KindCreateRepo
	case len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		return KindList
	case len(parts) == 3 && parts[0] == "orgs" && parts[2] == "members":
		return KindMembers
	case len(parts) >= 3 && parts[0] == "orgs" && parts[2] == "teams":
		return KindTeams
	case len(parts) == 3 && parts[0] == "repos", len(parts) == 2 && parts[0] == "repositories":
		return KindRepo
	case len(parts) >= 5 && parts[0] == "repos" && parts[3] == "commits":
		return KindCommit
	case len(parts) >= 5 && parts[0] == "repos" && parts[3] == "git" && parts[4] == "trees":
		return KindTree
	case len(parts) >= 5 && parts[0] == "repos" && parts[3] == "git" && parts[4] == "blobs":
		return KindBlob
	case len(parts) >= 5 && parts[0] == "repos" && parts[3] == "git" && parts[4] == "commits":
		return KindGitCommit
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "branches" && parts[5] == "protection":
		return KindProtection
	case len(parts) >= 5 && parts[0] == "repos" && parts[3] == "git" && (parts[4] == "ref" || parts[4] == "refs"):
		return KindRef
	case len(parts) >= 4 && parts[0] == "repos" && parts[3] == "contents":
		return KindContents
	case len(parts) >= 4 && parts[0] == "repos" && parts[3] == "pulls":
		return KindPulls
	case parts[0] == "app":
		return KindApp
	case p == "/rate_limit":
		return KindRateLimit
	}
	return KindOther
}

// recorder buffers a handler's answer so the middleware can add ETags and turn it into a 304.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.status = code }

const docsBase = "https://docs.github.com/rest"

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		kind := kindOf(req.Method, req.URL.Path)
		s.mu.Lock()
		s.counts.Requests++
		s.counts.ByKind[kind]++
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			s.counts.Writes[kind]++
		}
		s.inFlight++
		if s.inFlight > s.counts.MaxInFlight {
			s.counts.MaxInFlight = s.inFlight
		}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}()
		if s.Latency > 0 {
			time.Sleep(s.Latency)
		}
		h := w.Header()
		h.Set("X-GitHub-Request-Id", strings.ToUpper(randHex(8)))
		h.Set("X-GitHub-Media-Type", "github.v3; format=json")
		h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")

		if kind == KindApp {
			// App endpoints authenticate the App itself with a JWT (checked by their handlers) and spend none of the
			// installation's points.
			next.ServeHTTP(w, req)
			return
		}

		s.mu.Lock()
		auth := req.Header.Get("Authorization")
		tok := ""
		if f := strings.Fields(auth); len(f) == 2 && (strings.EqualFold(f[0], "bearer") || strings.EqualFold(f[0], "token")) {
			tok = f[1]
		}
		now := s.Now()
		scope := "" // the organisation an installation token is limited to
		ok := !s.revoked && tok == s.Token
		if it := s.tokens[tok]; !ok && it != nil && now.Before(it.expires) {
			ok, scope = true, it.org
		}
		if !ok {
			s.counts.Rejected++
			s.mu.Unlock()
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": docsBase,
				"status": "401"})
			return
		}
		if !now.Before(s.reset) {
			s.remaining, s.reset = s.limit, now.Add(time.Hour).Truncate(time.Second)
		}
		for i := range s.throttles {
			th := &s.throttles[i]
			if th.n > 0 && (th.kind == "" || th.kind == kind) {
				th.n--
				s.counts.Secondary++
				s.mu.Unlock()
				if th.retryAfter >= 0 {
					h.Set("Retry-After", strconv.Itoa(th.retryAfter))
				}
				writeJSON(w, th.status, map[string]any{
					"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
						"If you reach out to GitHub Support for help, please include the request ID " + h.Get("X-GitHub-Request-Id") + ".",
					"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
				return
			}
		}
		if scope != "" && !s.visibleTo(req.URL.Path, scope) {
			// An installation sees only its account's repositories; GitHub answers 404 for the others.
			s.remaining--
			s.counts.Points++
			s.setRateHeaders(h)
			s.mu.Unlock()
			notFound(w)
			return
		}
		if parts := strings.Split(req.URL.Path, "/"); len(parts) > 4 && parts[1] == "repos" {
			if st := s.broken[strings.ToLower(parts[2]+"/"+parts[3])]; st != 0 {
				s.remaining--
				s.counts.Points++
				s.setRateHeaders(h)
				s.mu.Unlock()
				writeJSON(w, st, map[string]any{"message": "Server Error"})
				return
			}
		}
		if f := s.failing(kind, req.Method); f != nil {
			s.remaining--
			s.counts.Points++
			s.setRateHeaders(h)
			s.mu.Unlock()
			writeJSON(w, f.status, map[string]any{"message": f.message, "documentation_url": docsBase,
				"status": strconv.Itoa(f.status)})
			return
		}
		if s.remaining <= 0 && kind != KindRateLimit {
			s.counts.Primary++
			s.setRateHeaders(h)
			s.mu.Unlock()
			writeJSON(w, http.StatusForbidden, map[string]any{
				"message":           "API rate limit exceeded for installation ID 1.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"})
			return
		}
		s.mu.Unlock()

		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, req)

		s.mu.Lock()
		notModified := false
		if rec.status == http.StatusOK && (req.Method == http.MethodGet || req.Method == http.MethodHead) {
			etag := rec.header.Get("ETag")
			if etag == "" {
				sum := sha256.Sum256(append([]byte(req.Header.Get("Accept")+"\n"), rec.body.Bytes()...))
				etag = `W/"` + hex.EncodeToString(sum[:16]) + `"`
				rec.header.Set("ETag", etag)
			}
			if inm := req.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
				notModified = true
			}
		}
		if notModified {
			s.counts.NotModified[kind]++
		} else if kind != KindRateLimit {
			s.remaining--
			s.counts.Points++
		}
		s.setRateHeaders(h)
		s.mu.Unlock()
		for k, v := range rec.header {
			h[k] = v
		}
		if notModified {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(rec.body.Len()))
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	})
}

// etagMatch compares If-None-Match with an ETag weakly, as HTTP does for If-None-Match.
func etagMatch(inm, etag string) bool {
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, c := range strings.Split(inm, ",") {
		if c = strings.TrimSpace(c); c == "*" || weak(c) == weak(etag) {
			return true
		}
	}
	return false
}

// setRateHeaders writes the X-RateLimit-* headers; s.mu is held.
func (s *Server) setRateHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(s.remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-max(s.remaining, 0)))
	h.Set("X-RateLimit-Resource", "core")
}

// writeJSON answers v as JSON with status. A value that does not encode is a bug in this fake: it answers 500, so
// the test using it fails instead of reading a truncated body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": docsBase, "status": "404"})
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) user(login string, id int64, typ string) map[string]any {
	return map[string]any{
		"login": login, "id": id, "node_id": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("04:%s%d", typ, id))),
		"avatar_url": s.URL + "/avatars/u/" + strconv.FormatInt(id, 10), "gravatar_id": "",
		"url": s.URL + "/users/" + login, "html_url": s.URL + "/" + login, "repos_url": s.URL + "/users/" + login + "/repos",
		"type": typ, "site_admin": false,
	}
}

// repoJSON is a repository as the REST API returns it (the "repository" / "minimal-repository" shape).
func (s *Server) repoJSON(r *repo) map[string]any {
	full := r.org + "/" + r.Name
	api := s.URL + "/repos/" + full
	topics := r.Topics
	if topics == nil {
		topics = []string{}
	}
	visibility := r.visibility()
	var desc, lang any
	if r.Description != "" {
		desc = r.Description
	}
	if r.Language != "" {
		lang = r.Language
	}
	return map[string]any{
		"id": r.id, "node_id": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("010:Repository%d", r.id))),
		"name": r.Name, "full_name": full, "private": r.Private, "owner": s.user(r.org, s.orgs[strings.ToLower(r.org)], "Organization"),
		"html_url": s.URL + "/" + full, "description": desc, "fork": r.Fork, "url": api,
		"commits_url": api + "/commits{/sha}", "trees_url": api + "/git/trees{/sha}", "blobs_url": api + "/git/blobs{/sha}",
		"contents_url": api + "/contents/{+path}", "hooks_url": api + "/hooks",
		"created_at": ts(r.createdAt), "updated_at": ts(r.updatedAt), "pushed_at": ts(r.pushedAt),
		"git_url": "git:" + strings.TrimPrefix(s.URL, "http:") + "/" + full + ".git", "clone_url": s.URL + "/" + full + ".git",
		"homepage": nil, "size": len(r.Files), "stargazers_count": 0, "watchers_count": 0, "language": lang,
		"has_issues": true, "has_projects": true, "has_wiki": false, "has_pages": false, "has_downloads": true,
		"forks_count": 0, "archived": r.Archived, "disabled": false, "open_issues_count": 0, "license": nil,
		"allow_forking": true, "is_template": false, "topics": topics, "visibility": visibility, "forks": 0,
		"open_issues": 0, "watchers": 0, "default_branch": r.DefaultBranch,
		"permissions": map[string]bool{"admin": false, "maintain": false, "push": false, "triage": false, "pull": true},
	}
}

func (s *Server) listRepos(w http.ResponseWriter, req *http.Request) {
	org := req.PathValue("org")
	q := req.URL.Query()
	perPage, page := pageOf(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[strings.ToLower(org)]; !ok {
		notFound(w)
		return
	}
	var rs []*repo
	for _, r := range s.repos {
		if strings.EqualFold(r.org, org) {
			rs = append(rs, r)
		}
	}
	// GitHub's orders: full_name ascending, or created (default) newest first.
	if q.Get("sort") == "full_name" {
		sort.Slice(rs, func(i, j int) bool { return strings.ToLower(rs[i].Name) < strings.ToLower(rs[j].Name) })
	} else {
		sort.Slice(rs, func(i, j int) bool { return rs[i].id > rs[j].id })
	}
	if q.Get("direction") == "desc" && q.Get("sort") == "full_name" || q.Get("direction") == "asc" && q.Get("sort") != "full_name" {
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
	}
	last := max((len(rs)+perPage-1)/perPage, 1)
	out := []map[string]any{}
	for i := (page - 1) * perPage; i < len(rs) && i < page*perPage; i++ {
		out = append(out, s.repoJSON(rs[i]))
	}
	setLinks(w, fmt.Sprintf("%s/organizations/%d/repos", s.URL, s.orgs[strings.ToLower(org)]), q, perPage, page, last)
	writeJSON(w, http.StatusOK, out)
}

// pageOf reads per_page and page as GitHub does: 30 per page unless asked, at most 100.
func pageOf(q url.Values) (perPage, page int) {
	perPage, _ = strconv.Atoi(q.Get("per_page"))
	if perPage <= 0 {
		perPage = 30
	}
	page, _ = strconv.Atoi(q.Get("page"))
	return min(perPage, 100), max(page, 1)
}

// setLinks writes the Link header of page (out of last) of the list at base, whose query is q.
func setLinks(w http.ResponseWriter, base string, q url.Values, perPage, page, last int) {
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		return fmt.Sprintf(`<%s?%s>; rel=%q`, base, v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
}

// repoOf finds the repository of a /repos/{owner}/{repo}/... path; s.mu is held.
func (s *Server) repoOf(req *http.Request) *repo {
	for _, r := range s.repos {
		if strings.EqualFold(r.org, req.PathValue("owner")) && strings.EqualFold(r.Name, req.PathValue("repo")) {
			return r
		}
	}
	return nil
}

func (s *Server) getRepo(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.repoJSON(r))
}

func (s *Server) getRepoByID(w http.ResponseWriter, req *http.Request) {
	id, _ := strconv.ParseInt(req.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[id]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.repoJSON(r))
}

// resolve turns a branch name (or heads/NAME, refs/heads/NAME, HEAD) or a commit SHA into a commit SHA of r;
// s.mu is held.
func (s *Server) resolve(r *repo, ref string) (string, bool) {
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	if ref == "HEAD" {
		ref = r.DefaultBranch
	}
	if sha, ok := r.branch(ref); ok {
		return sha, true
	}
	if _, ok := s.commits[ref]; ok {
		return ref, true
	}
	return "", false
}

func (s *Server) getCommit(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if r.head == "" {
		writeJSON(w, http.StatusConflict, map[string]any{"message": "Git Repository is empty.", "documentation_url": docsBase,
			"status": "409"})
		return
	}
	sha, ok := s.resolve(r, req.PathValue("ref"))
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "No commit found for SHA: " + req.PathValue("ref"),
			"documentation_url": docsBase, "status": "422"})
		return
	}
	accept := req.Header.Get("Accept")
	if strings.Contains(accept, "vnd.github.v3.sha") || strings.Contains(accept, "vnd.github.sha") {
		w.Header().Set("ETag", `"`+sha+`"`)
		w.Header().Set("Content-Type", "application/vnd.github.sha; charset=utf-8")
		w.Write([]byte(sha))
		return
	}
	c := s.commits[sha]
	api := s.URL + "/repos/" + r.org + "/" + r.Name
	person := map[string]any{"name": "Octo Cat", "email": "octocat@users.noreply.invalid", "date": ts(c.at)}
	parents := []map[string]any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/commits/" + p,
			"html_url": s.URL + "/" + r.org + "/" + r.Name + "/commit/" + p})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sha": sha, "node_id": base64.StdEncoding.EncodeToString([]byte("Commit" + sha[:8])), "url": api + "/commits/" + sha,
		"html_url": s.URL + "/" + r.org + "/" + r.Name + "/commit/" + sha,
		"commit": map[string]any{"author": person, "committer": person, "message": c.message,
			"tree": map[string]any{"sha": c.tree, "url": api + "/git/trees/" + c.tree}, "url": api + "/git/commits/" + sha,
			"comment_count": 0},
		"author": nil, "committer": nil, "parents": parents, "files": []any{},
	})
}

func (s *Server) getTree(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	sha := req.PathValue("sha")
	if c, ok := s.resolve(r, sha); ok {
		sha = s.commits[c].tree
	}
	root, ok := s.trees[sha]
	if !ok {
		notFound(w)
		return
	}
	api := s.URL + "/repos/" + r.org + "/" + r.Name
	recursive := req.URL.Query().Get("recursive") != ""
	entries := []map[string]any{}
	var walk func(prefix string, es []treeEntry)
	truncated := false
	walk = func(prefix string, es []treeEntry) {
		for _, e := range es {
			if recursive && s.treeLimit > 0 && len(entries) >= s.treeLimit {
				truncated = true
				return
			}
			m := map[string]any{"path": prefix + e.Path, "mode": e.Mode, "type": e.Type, "sha": e.SHA}
			switch e.Type {
			case "blob":
				m["size"] = e.Size
				m["url"] = api + "/git/blobs/" + e.SHA
			case "tree":
				m["url"] = api + "/git/trees/" + e.SHA
			}
			entries = append(entries, m)
			if e.Type == "tree" && recursive {
				walk(prefix+e.Path+"/", s.trees[e.SHA])
			}
		}
	}
	walk("", root)
	writeJSON(w, http.StatusOK, map[string]any{"sha": sha, "url": api + "/git/trees/" + sha, "tree": entries, "truncated": truncated})
}

func (s *Server) getBlob(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	content, ok := s.blobs[req.PathValue("sha")]
	if r == nil || !ok {
		notFound(w)
		return
	}
	sha := req.PathValue("sha")
	w.Header().Set("ETag", `"`+sha+`"`)
	accept := req.Header.Get("Accept")
	if strings.Contains(accept, "vnd.github.v3.raw") || strings.Contains(accept, "vnd.github.raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		w.Write(content)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha": sha, "node_id": base64.StdEncoding.EncodeToString([]byte("Blob" + sha[:8])),
		"size": len(content), "url": s.URL + "/repos/" + r.org + "/" + r.Name + "/git/blobs/" + sha,
		"content": base64Lines(content), "encoding": "base64"})
}

// base64Lines encodes content as GitHub does in blobs and contents: base64 wrapped at 60 characters.
func base64Lines(content []byte) string {
	enc := base64.StdEncoding.EncodeToString(content)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	b.WriteString(enc + "\n")
	return b.String()
}

func (s *Server) rateLimit(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	core := map[string]any{"limit": s.limit, "used": s.limit - s.remaining, "remaining": s.remaining,
		"reset": s.reset.Unix(), "resource": "core"}
	s.mu.Unlock()
	other := func(name string, limit int) map[string]any {
		return map[string]any{"limit": limit, "used": 0, "remaining": limit, "reset": s.Now().Add(time.Minute).Unix(),
			"resource": name}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resources": map[string]any{"core": core, "search": other("search", 30), "graphql": other("graphql", 5000),
			"integration_manifest": other("integration_manifest", 5000), "code_search": other("code_search", 10)},
		"rate": core,
	})
}

// Webhooks.

// PushPayload is the body of the push event GitHub sends after the latest Push to org/name.
func (s *Server) PushPayload(org, name string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	c := s.commits[r.head]
	full := r.org + "/" + r.Name
	repoJSON := s.repoJSON(r)
	// Push events carry the repository with Unix-second timestamps and a few extra fields.
	repoJSON["created_at"] = r.createdAt.Unix()
	repoJSON["pushed_at"] = r.pushedAt.Unix()
	repoJSON["master_branch"] = r.DefaultBranch
	repoJSON["stargazers"] = 0
	repoJSON["organization"] = r.org
	person := map[string]any{"name": "Octo Cat", "email": "octocat@users.noreply.invalid", "username": "octocat"}
	files := make([]string, 0, len(r.Files))
	for p := range r.Files {
		files = append(files, p)
	}
	sort.Strings(files)
	head := map[string]any{"id": r.head, "tree_id": c.tree, "distinct": true, "message": c.message,
		"timestamp": ts(c.at), "url": s.URL + "/" + full + "/commit/" + r.head, "author": person, "committer": person,
		"added": []string{}, "removed": []string{}, "modified": files}
	before := r.prevHead
	if before == "" {
		before = strings.Repeat("0", 40)
	}
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/" + r.DefaultBranch, "before": before, "after": r.head,
		"created": false, "deleted": false, "forced": false, "base_ref": nil,
		"compare": s.URL + "/" + full + "/compare/" + before[:12] + "..." + r.head[:12],
		"commits": []any{head}, "head_commit": head, "repository": repoJSON,
		"pusher":       map[string]any{"name": "octocat", "email": "octocat@users.noreply.invalid"},
		"organization": s.user(r.org, s.orgs[strings.ToLower(r.org)], "Organization"),
		"sender":       s.user("octocat", 1, "User"),
	})
	return b
}

// RepositoryPayload is the body of a repository event (created, archived, unarchived, renamed, deleted, ...) for
// org/name as it is now; oldName is the previous name for "renamed".
func (s *Server) RepositoryPayload(action, org, name, oldName string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	body := map[string]any{"action": action, "repository": s.repoJSON(r),
		"organization": s.user(r.org, s.orgs[strings.ToLower(r.org)], "Organization"),
		"sender":       s.user("octocat", 1, "User")}
	if action == "renamed" {
		body["changes"] = map[string]any{"repository": map[string]any{"name": map[string]any{"from": oldName}}}
	}
	b, _ := json.Marshal(body)
	return b
}

// Sign computes the X-Hub-Signature-256 value of payload for secret.
func Sign(secret string, payload []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(payload)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Deliver posts a webhook delivery to target the way GitHub does: JSON body, event and delivery headers, and both
// signatures computed with secret.
func Deliver(target, secret, event string, payload []byte) (*http.Response, error) {
	return DeliverID(target, secret, event, uuid(), payload)
}

// DeliverID is Deliver with the X-GitHub-Delivery id given, as GitHub's "Redeliver" (or a replay) sends it.
func DeliverID(target, secret, event, id string, payload []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/"+randHex(4))
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-GitHub-Hook-ID", "1234567")
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "organization")
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", "42")
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(payload)
	req.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("X-Hub-Signature-256", Sign(secret, payload))
	return http.DefaultClient.Do(req)
}

func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
