package github

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/sources"
)

// The golden path's templates repositories (golden_path.templates, docs/templates.md): the hub reads each with the
// GitHub collector's client — its credentials, its conditional requests, rate-limit handling and blob cache — at
// start, every sync interval and on a push to the repository's ref, into an in-memory file system that the
// template registry loads. What a sync reads is bounded (TemplateLimits); a sync that fails keeps the last good set.

// TemplatesKind is the kind of source a templates repository reports on the sources page.
const TemplatesKind = "templates"

// TemplateRepo is a repository of golden-path templates: every directory under Path holding a template.yaml
// (Atrium's format, or a Backstage Template) is a template.
type TemplateRepo struct {
	Owner string
	Name  string
	// Ref is the branch, tag or commit read; "" the repository's default branch.
	Ref string
	// Path is the directory of the templates in the repository, slash-separated; "" the root.
	Path string
}

// FullName is "owner/name".
func (r TemplateRepo) FullName() string { return r.Owner + "/" + r.Name }

// SourceName names the repository's templates in the template listing and its source on the sources page:
// "github:owner/name".
func (r TemplateRepo) SourceName() string { return "github:" + strings.ToLower(r.FullName()) }

// Check reports what is wrong with r, and cleans its Path.
func (r *TemplateRepo) Check() error {
	var errs []error
	if !githubLogin(r.Owner) || !repoName(r.Name) {
		errs = append(errs, fmt.Errorf("repo %q is not owner/name of a GitHub repository", r.FullName()))
	}
	if r.Ref != "" && !gitRef(r.Ref) {
		errs = append(errs, fmt.Errorf("ref %q is not a branch, tag or commit name", r.Ref))
	}
	p := strings.Trim(r.Path, "/")
	switch {
	case p == "" || p == ".":
		r.Path = ""
	case !fs.ValidPath(p) || strings.Contains(p, "\\"):
		errs = append(errs, fmt.Errorf("path %q is not a directory of the repository (slash-separated, without . or .. segments)", r.Path))
	default:
		r.Path = p
	}
	return errors.Join(errs...)
}

func githubLogin(s string) bool {
	if s == "" || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func repoName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// gitRef accepts the names git check-ref-format accepts, roughly: no spaces or control characters, none of
// ~^:?*[\ and no "..", "@{", "//", leading "-" or "/", trailing "/", ".lock" or ".".
func gitRef(s string) bool {
	if s == "" || len(s) > 255 || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") ||
		strings.HasSuffix(s, ".") || strings.HasSuffix(s, ".lock") || strings.Contains(s, "..") ||
		strings.Contains(s, "@{") || strings.Contains(s, "//") || s == "@" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || strings.ContainsRune("~^:?*[\\", c) {
			return false
		}
	}
	return true
}

// TemplateLimits bound what one sync of a templates repository reads, so that a huge or deeply nested repository
// costs the portal a bounded number of requests, bytes and memory: a template over a limit is listed broken and
// none of its files is fetched. Zero fields take the defaults. A single file is at most scaffold.MaxFileSize.
type TemplateLimits struct {
	// Files and Bytes bound all the templates of the repository: 10,000 files and 32 MiB. Templates are taken in
	// the order of their directories; one that would cross a limit is not read, nor are those after it.
	Files int
	Bytes int64
	// TemplateFiles and TemplateBytes bound one template (its template.yaml, skeleton and anything else in its
	// directory): 1,200 files and 20 MiB.
	TemplateFiles int
	TemplateBytes int64
	// Depth is how many directories a file may be nested in below the templates' path: 32.
	Depth int
}

func (l TemplateLimits) withDefaults() TemplateLimits {
	if l.Files <= 0 {
		l.Files = 10_000
	}
	if l.Bytes <= 0 {
		l.Bytes = 32 << 20
	}
	if l.TemplateFiles <= 0 {
		l.TemplateFiles = 1_200
	}
	if l.TemplateBytes <= 0 {
		l.TemplateBytes = 20 << 20
	}
	if l.Depth <= 0 {
		l.Depth = 32
	}
	return l
}

// maxProblemsPerTemplate bounds the problems a sync records for one template (a template of 10,000 symbolic
// links gets a few and a count).
const maxProblemsPerTemplate = 20

// TemplateLoader takes the templates a sync read: scaffold.Registry.
type TemplateLoader interface {
	Load(src scaffold.Source) []scaffold.Loaded
}

// TemplateSource syncs one templates repository into a TemplateLoader. It is a sources.Syncer: the sources page
// shows its state, and "Sync now" (or a push to its ref) reads it again.
type TemplateSource struct {
	hub     *Hub
	repo    TemplateRepo
	name    string
	into    TemplateLoader
	lim     TemplateLimits
	trigger chan struct{}

	syncMu sync.Mutex // one sync at a time

	mu     sync.Mutex
	st     sources.Status
	cnt    *counters
	good   *templateSet // the last set loaded; nil before the first
	synced chan struct{}
}

// templateSet is what a successful sync read and loaded.
type templateSet struct {
	commit string
	tree   string // SHA of the templates' directory at commit
	fsys   fstest.MapFS
	fetch  map[string]problem.Problems // the fetch's problems by template directory
	notes  []sources.ItemError         // entries outside every template that were not followed
	loaded []scaffold.Loaded
	at     time.Time
}

var _ sources.Syncer = (*TemplateSource)(nil)

// AddTemplates registers a templates repository to sync into into. Call it before Run.
func (h *Hub) AddTemplates(repo TemplateRepo, into TemplateLoader, lim TemplateLimits) (*TemplateSource, error) {
	if err := repo.Check(); err != nil {
		return nil, fmt.Errorf("templates repository: %w", err)
	}
	t := &TemplateSource{hub: h, repo: repo, name: repo.SourceName(), into: into, lim: lim.withDefaults(),
		trigger: make(chan struct{}, 1), synced: make(chan struct{})}
	for _, o := range h.templates {
		if o.name == t.name {
			return nil, fmt.Errorf("templates repository %s is configured twice", repo.FullName())
		}
	}
	t.st = sources.Status{Name: t.name, Kind: TemplatesKind, State: sources.StateIdle,
		Message: "not read yet: until it is, only the built-in templates are offered"}
	h.templates = append(h.templates, t)
	return t, nil
}

// Templates lists the templates repositories registered with AddTemplates.
func (h *Hub) Templates() []*TemplateSource { return append([]*TemplateSource(nil), h.templates...) }

// Name implements sources.Collector: "github:owner/name", the templates' source in the listing.
func (t *TemplateSource) Name() string { return t.name }

// Repo is the repository synced.
func (t *TemplateSource) Repo() TemplateRepo { return t.repo }

// Trigger implements sources.Syncer: a sync soon; a trigger during a sync runs one more afterwards.
func (t *TemplateSource) Trigger() {
	select {
	case t.trigger <- struct{}{}:
	default:
	}
}

// Synced returns a channel closed when the next sync ends, whatever its outcome: a caller that wants a state
// takes the channel, then reads Status, and waits on the channel if the state is not there yet.
func (t *TemplateSource) Synced() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.synced
}

// Status implements sources.Collector.
func (t *TemplateSource) Status() sources.Status {
	t.mu.Lock()
	st := t.st
	if t.cnt != nil {
		st.Requests = t.cnt.snapshot()
	}
	t.mu.Unlock()
	st.RateLimit = t.hub.RateLimit()
	return st
}

// Detail implements sources.Collector: the templates of the last good set are the items; the broken ones, and
// the entries a sync did not follow, are its item errors.
func (t *TemplateSource) Detail(context.Context) (sources.Detail, error) {
	d := sources.Detail{Status: t.Status(), ItemErrors: []sources.ItemError{}}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.good == nil {
		return d, nil
	}
	d.Items = len(t.good.loaded)
	for _, l := range t.good.loaded {
		if l.Broken() {
			var errs problem.Problems
			for _, p := range l.Problems {
				if p.Severity == problem.Error {
					errs = append(errs, p)
				}
			}
			d.ItemErrors = append(d.ItemErrors, sources.ItemError{Item: t.itemName(l), Error: errs.Error(), At: t.good.at})
		}
	}
	d.ItemErrors = append(d.ItemErrors, t.good.notes...)
	return d, nil
}

// itemName is a template as the platform team finds it: its directory in the repository, and its name when the
// two differ.
func (t *TemplateSource) itemName(l scaffold.Loaded) string {
	dir := path.Join(t.repo.Path, l.Dir)
	if dir == "." || dir == "" {
		dir = "/"
	}
	if path.Base(dir) == l.Name {
		return dir
	}
	return fmt.Sprintf("%s (template %s)", dir, l.Name)
}

func (t *TemplateSource) run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, t.trigger, func(ctx context.Context) {
		if err := t.Sync(ctx); err != nil && ctx.Err() == nil {
			t.hub.log.Warn("templates sync failed", "source", t.name, "err", err)
		}
	})
}

// every runs fn now, then every interval or when triggered, until ctx ends.
func every(ctx context.Context, interval time.Duration, trigger <-chan struct{}, fn func(ctx context.Context)) {
	tm := time.NewTimer(0)
	defer tm.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tm.C:
		case <-trigger:
		}
		fn(ctx)
		if !tm.Stop() {
			select {
			case <-tm.C:
			default:
			}
		}
		tm.Reset(interval)
	}
}

// Sync reads the repository at its ref and, when the commit moved since the last good set, loads its templates. A
// failure (GitHub unreachable, credentials refused, the ref or path gone, a tree too large to list) keeps the last
// good set and reports the state; a template that breaks a limit or does not load is listed broken while the
// others are used.
func (t *TemplateSource) Sync(ctx context.Context) error {
	t.syncMu.Lock()
	defer t.syncMu.Unlock()
	cnt := &counters{}
	ctx = withCounters(ctx, cnt)
	t.mu.Lock()
	t.cnt = cnt
	t.st.State, t.st.Message = sources.StateSyncing, "reading "+t.describeRef()
	t.st.StartedAt, t.st.FinishedAt = time.Now().UTC(), time.Time{}
	t.mu.Unlock()

	set, err := t.read(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() {
		close(t.synced)
		t.synced = make(chan struct{})
	}()
	t.st.FinishedAt = time.Now().UTC()
	if err != nil {
		msg := t.explain(err)
		if g := t.good; g != nil {
			msg += fmt.Sprintf("; the %s read at %s (%s) are kept", plural(len(g.loaded), "template", "templates"),
				short(g.commit), g.at.Format(time.RFC3339))
		} else {
			msg += "; none of its templates is offered until a sync succeeds"
		}
		t.st.State, t.st.Message = sources.StateError, msg
		return fmt.Errorf("sync templates of %s: %w", t.repo.FullName(), err)
	}
	t.good = set
	broken := 0
	for _, l := range set.loaded {
		if l.Broken() {
			broken++
		}
	}
	t.st.Errors = broken + len(set.notes)
	t.st.State = sources.StateOK
	t.st.Message = fmt.Sprintf("%s at %s of %s", plural(len(set.loaded), "template", "templates"), short(set.commit),
		t.describeRef())
	if broken > 0 {
		t.st.State = sources.StatePartial
		t.st.Message += fmt.Sprintf("; %d broken (see their problems)", broken)
	}
	if len(set.notes) > 0 {
		t.st.State = sources.StatePartial
		t.st.Message += fmt.Sprintf("; %s not followed (see the errors)", plural(len(set.notes), "entry", "entries"))
	}
	return nil
}

func (t *TemplateSource) describeRef() string {
	s := t.repo.FullName()
	if t.repo.Ref != "" {
		s += "@" + t.repo.Ref
	}
	if t.repo.Path != "" {
		s += ", " + t.repo.Path + "/"
	}
	return s
}

func short(sha string) string { return sha[:min(len(sha), 7)] }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Errors of a templates sync; the status explains them.
var (
	errEmptyRepo      = errors.New("the repository is empty")
	errNoTemplatesDir = errors.New("no such directory")
	errTreeTruncated  = errors.New("tree too large")
)

// read resolves the ref, lists the templates' tree, fetches what the limits allow and loads it. It changes nothing
// when it fails.
func (t *TemplateSource) read(ctx context.Context) (*templateSet, error) {
	t.mu.Lock()
	good := t.good
	t.mu.Unlock()
	commit, err := t.resolve(ctx, good)
	if err != nil {
		return nil, err
	}
	if good != nil && good.commit == commit {
		return good, nil // nothing moved: nothing to read or load
	}
	dirSHA, entries, err := t.list(ctx, commit, good)
	if err != nil {
		return nil, err
	}
	set := &templateSet{commit: commit, tree: dirSHA}
	if good != nil && good.tree == dirSHA {
		// The templates' directory is unchanged: the same files, loaded again under the new commit.
		set.fsys, set.fetch, set.notes = good.fsys, good.fetch, good.notes
	} else {
		sel := selectTemplateFiles(entries, t.lim)
		contents, err := t.hub.fetchBlobs(ctx, t.repo.Owner, t.repo.Name, sel.fetch)
		if err != nil {
			return nil, err
		}
		set.fsys = fstest.MapFS{}
		for p, b := range contents {
			set.fsys[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		}
		set.fetch = sel.problems
		now := time.Now().UTC()
		for _, n := range sel.notes {
			set.notes = append(set.notes, sources.ItemError{Item: path.Join(t.repo.Path, n.Path), Error: n.Summary, At: now})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set.loaded = t.into.Load(scaffold.Source{Name: t.name, Version: commit, FS: set.fsys, Root: t.repo.Path, Problems: set.fetch})
	set.at = time.Now().UTC()
	return set, nil
}

// resolve is the commit the ref names: a conditional request, free when nothing moved.
func (t *TemplateSource) resolve(ctx context.Context, good *templateSet) (string, error) {
	ref := t.repo.Ref
	if ref == "" {
		ref = "HEAD" // the default branch
	}
	last := ""
	if good != nil {
		last = good.commit
	}
	sha, resp, err := call(ctx, func() (string, *gh.Response, error) {
		return t.hub.client.Repositories.GetCommitSHA1(ctx, t.repo.Owner, t.repo.Name, ref, last)
	})
	switch {
	case resp != nil && resp.StatusCode == http.StatusNotModified && last != "":
		return last, nil
	case resp != nil && resp.StatusCode == http.StatusConflict:
		return "", errEmptyRepo
	case err != nil:
		return "", err
	case len(sha) != 40:
		return "", fmt.Errorf("GitHub answered %q for the commit of %s", sha, ref)
	}
	return sha, nil
}

// list is the recursive listing of the templates' directory at commit, and the directory's tree SHA. Each
// directory of the path costs one request; the listing one more, unless the directory is the one already loaded.
func (t *TemplateSource) list(ctx context.Context, commit string, good *templateSet) (string, []*gh.TreeEntry, error) {
	sha := commit // the trees endpoint takes a commit for its root tree
	walked := ""
	if t.repo.Path != "" {
		for _, seg := range strings.Split(t.repo.Path, "/") {
			tree, _, err := call(ctx, func() (*gh.Tree, *gh.Response, error) {
				return t.hub.client.Git.GetTree(ctx, t.repo.Owner, t.repo.Name, sha, false)
			})
			if err != nil {
				return "", nil, err
			}
			next := ""
			for _, e := range tree.Entries {
				if e.GetPath() == seg && e.GetType() == "tree" {
					next = e.GetSHA()
					break
				}
			}
			walked = path.Join(walked, seg)
			if next == "" {
				return "", nil, fmt.Errorf("%s has no directory %s/ at %s: %w", t.repo.FullName(), walked, short(commit),
					errNoTemplatesDir)
			}
			sha = next
		}
		if good != nil && good.tree == sha {
			return sha, nil, nil
		}
	}
	tree, _, err := call(ctx, func() (*gh.Tree, *gh.Response, error) {
		return t.hub.client.Git.GetTree(ctx, t.repo.Owner, t.repo.Name, sha, true)
	})
	if err != nil {
		return "", nil, err
	}
	if tree.GetTruncated() {
		return "", nil, fmt.Errorf("%w: GitHub truncated the listing of %s at %s (more than 100,000 entries or 7 MB)",
			errTreeTruncated, t.describeDir(), short(commit))
	}
	return tree.GetSHA(), tree.Entries, nil
}

func (t *TemplateSource) describeDir() string {
	if t.repo.Path == "" {
		return t.repo.FullName()
	}
	return t.repo.FullName() + ":" + t.repo.Path + "/"
}

// templateSelection is what a sync fetches of a templates tree, and what it found on the way.
type templateSelection struct {
	fetch    map[string]fileRef          // files to fetch, by path below the templates' directory
	problems map[string]problem.Problems // by template directory
	notes    []problem.Problem           // entries outside every template that were not followed (Path set)
}

// selectTemplateFiles decides, from the tree listing alone, which files a sync fetches. Templates are found as the
// registry finds them (scaffold's loadSource): the outermost directories holding a template.yaml, outside hidden
// directories. A template holding a symbolic link or a submodule, a file nested deeper than lim.Depth or larger
// than scaffold.MaxFileSize, or more files or bytes than its limits, is broken and nothing of it is fetched; so is
// every template from the one that would cross the repository's limits on. Files outside every template are never
// fetched; symbolic links and submodules there are noted, as templates behind them are not synced.
func selectTemplateFiles(entries []*gh.TreeEntry, lim TemplateLimits) templateSelection {
	lim = lim.withDefaults()
	sel := templateSelection{fetch: map[string]fileRef{}, problems: map[string]problem.Problems{}}
	sorted := make([]*gh.TreeEntry, 0, len(entries))
	dirs := map[string]bool{}
	for _, e := range entries {
		p := e.GetPath()
		if !fs.ValidPath(p) || p == "." {
			sel.notes = append(sel.notes, problem.Problem{Severity: problem.Warning, Source: "github", Path: p,
				Summary: fmt.Sprintf("%q is not a path a template may hold: skipped", p)})
			continue
		}
		sorted = append(sorted, e)
		if e.GetType() == "blob" && path.Base(p) == scaffold.DefinitionFile && !hiddenDir(path.Dir(p)) {
			dirs[path.Dir(p)] = true
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].GetPath() < sorted[j].GetPath() })
	// The outermost template directories: a skeleton may hold anything, template.yaml files included.
	for d := range dirs {
		for a := d; a != "."; {
			a = path.Dir(a)
			if dirs[a] {
				delete(dirs, d)
				break
			}
		}
	}
	templateOf := func(p string) string {
		for d := path.Dir(p); ; d = path.Dir(d) {
			if dirs[d] {
				return d
			}
			if d == "." {
				return ""
			}
		}
	}
	type usage struct {
		files    map[string]fileRef
		bytes    int64
		problems problem.Problems
		more     int // problems not recorded (maxProblemsPerTemplate)
		deep     bool
	}
	use := map[string]*usage{}
	for d := range dirs {
		use[d] = &usage{files: map[string]fileRef{}}
	}
	for _, e := range sorted {
		p, typ := e.GetPath(), e.GetType()
		d := templateOf(p)
		if typ == "tree" {
			continue
		}
		link, sub := e.GetMode() == "120000", typ == "commit"
		if d == "" {
			switch {
			case link:
				sel.notes = append(sel.notes, problem.Problem{Severity: problem.Warning, Source: "github", Path: p,
					Summary: "a symbolic link: not followed, templates behind it are not synced"})
			case sub:
				sel.notes = append(sel.notes, problem.Problem{Severity: problem.Warning, Source: "github", Path: p,
					Summary: fmt.Sprintf("a submodule (commit %s): its files are in another repository, templates in it are not synced",
						short(e.GetSHA()))})
			}
			continue
		}
		u := use[d]
		rel := p
		if d != "." {
			rel = strings.TrimPrefix(p, d+"/")
		}
		add := func(format string, args ...any) {
			if len(u.problems) >= maxProblemsPerTemplate {
				u.more++
				return
			}
			u.problems = append(u.problems, problem.Problem{Severity: problem.Error, Source: "github",
				Summary: fmt.Sprintf(format, args...)})
		}
		switch {
		case link:
			add("%s: a symbolic link: a template holds regular files only, links are not followed (nothing of the template was read)", rel)
			continue
		case sub:
			add("%s: a submodule (commit %s): its files are in another repository, which is not synced (nothing of the template was read)", rel, short(e.GetSHA()))
			continue
		case typ != "blob":
			add("%s: a git object of type %q, not a file (nothing of the template was read)", rel, typ)
			continue
		}
		if depth := strings.Count(p, "/"); depth > lim.Depth && !u.deep {
			u.deep = true
			add("%s: nested %d directories deep; a templates repository nests files at most %d deep (nothing of the template was read)",
				rel, depth, lim.Depth)
		}
		if e.GetSize() > scaffold.MaxFileSize {
			add("%s: %d bytes; a template's files are at most %d bytes (nothing of the template was read)", rel, e.GetSize(), scaffold.MaxFileSize)
		}
		u.files[p] = fileRef{SHA: e.GetSHA(), Size: e.GetSize()}
		u.bytes += int64(max(e.GetSize(), 0))
	}
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	sort.Strings(order)
	files, bytes, over := 0, int64(0), false
	for _, d := range order {
		u := use[d]
		if len(u.files) > lim.TemplateFiles {
			u.problems = append(u.problems, problem.Problem{Severity: problem.Error, Source: "github",
				Summary: fmt.Sprintf("%d files; a template holds at most %d (nothing of the template was read)", len(u.files), lim.TemplateFiles)})
		}
		if u.bytes > lim.TemplateBytes {
			u.problems = append(u.problems, problem.Problem{Severity: problem.Error, Source: "github",
				Summary: fmt.Sprintf("%d bytes; a template holds at most %d (nothing of the template was read)", u.bytes, lim.TemplateBytes)})
		}
		if u.more > 0 {
			u.problems = append(u.problems, problem.Problem{Severity: problem.Error, Source: "github",
				Summary: fmt.Sprintf("and %d more problems like these", u.more)})
		}
		if !u.problems.HasErrors() && (over || files+len(u.files) > lim.Files || bytes+u.bytes > lim.Bytes) {
			over = true
			u.problems = append(u.problems, problem.Problem{Severity: problem.Error, Source: "github",
				Summary: fmt.Sprintf("not read: the templates of this repository hold more than %d files or %d bytes in all "+
					"(those in directories sorting before this one were read)", lim.Files, lim.Bytes)})
		}
		if len(u.problems) > 0 {
			sel.problems[d] = u.problems
			continue
		}
		files += len(u.files)
		bytes += u.bytes
		for p, f := range u.files {
			sel.fetch[p] = f
		}
	}
	return sel
}

// hiddenDir reports whether a directory is, or is inside, a hidden directory (the registry skips those).
func hiddenDir(dir string) bool {
	if dir == "." {
		return false
	}
	for _, seg := range strings.Split(dir, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// fetchBlobs returns the contents of files (path → blob): from the blob cache, the rest fetched once per SHA with
// the collector's concurrency, each checked against its SHA.
func (h *Hub) fetchBlobs(ctx context.Context, owner, repo string, files map[string]fileRef) (map[string][]byte, error) {
	shas := make([]string, 0, len(files))
	seen := map[string]bool{}
	for _, f := range files {
		if !seen[f.SHA] {
			seen[f.SHA] = true
			shas = append(shas, f.SHA)
		}
	}
	sort.Strings(shas)
	have, err := blobsFromStore(ctx, h.store.SQL(), shas)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, sha := range shas {
		if _, ok := have[sha]; !ok {
			missing = append(missing, sha)
		}
	}
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(h.cfg.Concurrency, max(len(missing), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sha := range work {
				b, err := h.blob(ctx, owner, repo, sha)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("read blob %s: %w", sha, err)
				}
				have[sha] = b
				mu.Unlock()
			}
		}()
	}
	for _, sha := range missing {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		work <- sha
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(files))
	for p, f := range files {
		out[p] = have[f.SHA]
	}
	return out, nil
}

// explain turns a sync error into what an admin should do about it.
func (t *TemplateSource) explain(err error) string {
	h := t.hub
	api := h.client.BaseURL.String()
	var er *gh.ErrorResponse
	var rle *gh.RateLimitError
	var ne net.Error
	var ae *ghinstallation.HTTPError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "sync interrupted (the portal is stopping)"
	case errors.As(err, &ae) && h.cfg.App != nil:
		return h.explainApp(ae)
	case errors.As(err, &rle):
		return fmt.Sprintf("GitHub rate limit exhausted until %s; the sync resumes then", rle.Rate.Reset.UTC().Format(time.RFC3339))
	case errors.Is(err, errEmptyRepo):
		return fmt.Sprintf("%s is empty: push the templates to it", t.repo.FullName())
	case errors.Is(err, errNoTemplatesDir):
		return strings.TrimSuffix(err.Error(), ": "+errNoTemplatesDir.Error()) + ": check golden_path.templates' path"
	case errors.Is(err, errTreeTruncated):
		return fmt.Sprintf("%v: point golden_path.templates' path at the templates' directory", err)
	case errors.As(err, &er) && er.Response != nil:
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return h.credentialsRejected(er.Message)
		case http.StatusNotFound:
			return fmt.Sprintf("repository %s not found at %s (404): check golden_path.templates; a repository the "+
				"credentials may not read also answers 404 (a GitHub App must be installed on it)", t.repo.FullName(), api)
		case http.StatusUnprocessableEntity:
			return fmt.Sprintf("%s has no branch, tag or commit %q (422 %s): check golden_path.templates' ref",
				t.repo.FullName(), t.repo.Ref, er.Message)
		case http.StatusForbidden:
			return fmt.Sprintf("GitHub refused access to %s (403 %s): the credentials need read access to its contents",
				t.repo.FullName(), er.Message)
		}
		return fmt.Sprintf("GitHub answered %d: %s", er.Response.StatusCode, er.Message)
	case errors.As(err, &ne):
		return fmt.Sprintf("cannot reach GitHub at %s: %v", api, err)
	}
	return err.Error()
}
