package github

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/secrets/leak"
	"github.com/sphera/atrium/internal/sources"
	"github.com/sphera/atrium/internal/store"
)

// Collector syncs one organisation.
type Collector struct {
	hub     *Hub
	org     string
	source  string
	db      *sql.DB
	trigger chan struct{}

	syncMu  sync.Mutex // one sync at a time
	writeMu sync.Mutex // one write of the organisation's services at a time
	repoMu  [64]sync.Mutex

	stMu sync.Mutex
	st   sources.Status
	cnt  *counters
}

var _ sources.Syncer = (*Collector)(nil)

// Name implements sources.Collector: "github:<org>".
func (c *Collector) Name() string { return c.source }

// Trigger asks for a sync soon; a trigger during a sync runs one more afterwards.
func (c *Collector) Trigger() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

func (c *Collector) run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, c.trigger, func(ctx context.Context) {
		if err := c.Sync(ctx); err != nil && ctx.Err() == nil {
			c.hub.log.Warn("github sync failed", "source", c.source, "err", err)
		}
	})
}

// Status implements sources.Collector.
func (c *Collector) Status() sources.Status {
	c.stMu.Lock()
	st := c.st
	if c.cnt != nil {
		st.Requests = c.cnt.snapshot()
	}
	c.stMu.Unlock()
	st.RateLimit = c.hub.RateLimit()
	return st
}

// Detail implements sources.Collector.
func (c *Collector) Detail(ctx context.Context) (sources.Detail, error) {
	d := sources.Detail{Status: c.Status(), ItemErrors: []sources.ItemError{}}
	if err := c.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM github_repos WHERE source = ?`, c.source).Scan(&d.Items); err != nil {
		return d, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT full_name, error, error_at FROM github_repos WHERE source = ? AND error != ''
		ORDER BY full_name`, c.source)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var e sources.ItemError
		var at int64
		if err := rows.Scan(&e.Item, &e.Error, &at); err != nil {
			return d, err
		}
		e.At = time.UnixMilli(at).UTC()
		d.ItemErrors = append(d.ItemErrors, e)
	}
	return d, rows.Err()
}

func (c *Collector) update(fn func(st *sources.Status)) {
	c.stMu.Lock()
	fn(&c.st)
	c.stMu.Unlock()
}

// call runs a go-github call, waiting and repeating it when go-github itself refuses to send it because an
// earlier answer reported the rate limit exhausted. (Answers that are rate-limit refusals are retried by the
// Transport underneath.)
func call[T any](ctx context.Context, fn func() (T, *gh.Response, error)) (T, *gh.Response, error) {
	for attempt := 0; ; attempt++ {
		v, resp, err := fn()
		var rle *gh.RateLimitError
		var are *gh.AbuseRateLimitError
		wait := time.Duration(0)
		switch {
		case errors.As(err, &rle):
			wait = time.Until(rle.Rate.Reset.Time) + time.Second
		case errors.As(err, &are) && are.RetryAfter != nil:
			wait = *are.RetryAfter
		}
		if wait <= 0 || attempt >= 3 {
			return v, resp, err
		}
		if err := sleep(ctx, wait); err != nil {
			return v, resp, err
		}
	}
}

// Sync lists the organisation's repositories and brings the catalog up to date with them.
func (c *Collector) Sync(ctx context.Context) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	cnt := &counters{}
	ctx = withCounters(ctx, cnt)
	c.stMu.Lock()
	c.cnt = cnt
	c.st.State, c.st.Message, c.st.Done, c.st.Total = sources.StateSyncing, "listing repositories", 0, 0
	c.st.StartedAt, c.st.FinishedAt = time.Now().UTC(), time.Time{}
	c.stMu.Unlock()

	listed, err := c.list(ctx)
	if err != nil {
		return c.fail(ctx, err)
	}
	stored, err := c.loadRows(ctx)
	if err != nil {
		return c.fail(ctx, err)
	}
	keep := map[int64]bool{}
	var work []repoMeta
	for _, m := range listed {
		if m.Archived && !c.hub.cfg.IncludeArchived {
			continue
		}
		keep[m.ID] = true
		if c.needsWork(stored[m.ID], m) {
			work = append(work, m)
		}
	}
	var gone []int64
	for id := range stored {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	if err := c.deleteRows(ctx, gone); err != nil {
		return c.fail(ctx, err)
	}
	c.update(func(st *sources.Status) {
		st.Total, st.Done = len(keep), len(keep)-len(work)
		st.Message = fmt.Sprintf("reading %d changed of %d repositories", len(work), len(keep))
	})

	// Unchanged repositories cost one conditional request each: their branch protection, which no push moves.
	inWork := map[int64]bool{}
	for _, m := range work {
		inWork[m.ID] = true
	}
	var unchanged []repoMeta
	for _, m := range listed {
		if keep[m.ID] && !inWork[m.ID] {
			unchanged = append(unchanged, m)
		}
	}
	type job struct {
		m    repoMeta
		full bool
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range min(c.hub.cfg.Concurrency, max(len(work)+len(unchanged), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if !j.full {
					if err := c.refreshProtection(ctx, j.m); err != nil && ctx.Err() == nil {
						c.hub.log.Debug("github branch protection not read", "repository", j.m.fullName(), "err", err)
					}
					continue
				}
				if err := c.refresh(ctx, j.m, ""); err != nil && ctx.Err() == nil {
					c.hub.log.Debug("github repository failed", "repository", j.m.fullName(), "err", err)
				}
				c.update(func(st *sources.Status) { st.Done++ })
			}
		}()
	}
	for _, m := range work {
		if ctx.Err() != nil {
			break
		}
		jobs <- job{m: m, full: true}
	}
	for _, m := range unchanged {
		if ctx.Err() != nil {
			break
		}
		jobs <- job{m: m}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return c.fail(ctx, err)
	}
	n, err := c.write(ctx)
	if err != nil {
		return c.fail(ctx, err)
	}
	c.hub.log.Info("github sync done", "source", c.source, "repositories", len(keep), "read", len(work),
		"changed_services", n, "requests", cnt.total.Load(), "not_modified", cnt.notModified.Load())
	return nil
}

func (c *Collector) needsWork(row *repoRow, m repoMeta) bool {
	_, extra := c.hub.extraDirs(m.fullName())
	return row == nil || row.Error != "" || row.Tree == nil || row.PushedAt != m.PushedAt || row.DefaultBranch != m.DefaultBranch ||
		row.MetaHash != m.hash() || row.FullName != m.fullName() || row.Extra != extra
}

// list reads every repository of the organisation, 100 per page, following the Link header.
func (c *Collector) list(ctx context.Context) ([]repoMeta, error) {
	opts := &gh.RepositoryListByOrgOptions{Sort: "full_name", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []repoMeta
	for {
		repos, resp, err := call(ctx, func() ([]*gh.Repository, *gh.Response, error) {
			return c.hub.client.Repositories.ListByOrg(ctx, c.org, opts)
		})
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			out = append(out, metaFromRepo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// fail records a sync that could not run, keeping the services of the last good sync.
func (c *Collector) fail(ctx context.Context, err error) error {
	msg := c.explain(err)
	c.update(func(st *sources.Status) {
		st.State, st.Message, st.FinishedAt = sources.StateError, msg, time.Now().UTC()
	})
	if ctx.Err() == nil {
		_ = c.hub.store.PutSource(context.WithoutCancel(ctx), store.Source{Name: c.source, SyncedAt: time.Now().UTC(),
			Status: sources.StateError, Message: msg})
	}
	return fmt.Errorf("sync github org %q: %w", c.org, err)
}

// explain turns a sync error into what an admin should do about it.
func (c *Collector) explain(err error) string {
	api := c.hub.client.BaseURL.String()
	var er *gh.ErrorResponse
	var rle *gh.RateLimitError
	var ne net.Error
	var ae *ghinstallation.HTTPError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "sync interrupted (the portal is stopping)"
	case errors.As(err, &ae) && c.hub.cfg.App != nil:
		return c.hub.explainApp(ae)
	case errors.As(err, &rle):
		return fmt.Sprintf("GitHub rate limit exhausted until %s; the sync resumes then", rle.Rate.Reset.UTC().Format(time.RFC3339))
	case errors.As(err, &er) && er.Response != nil:
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return c.hub.credentialsRejected(er.Message)
		case http.StatusNotFound:
			return fmt.Sprintf("organisation %q not found at %s (404): check its name in ATRIUM_GITHUB_ORGS; an "+
				"organisation the token may not see also answers 404", c.org, api)
		case http.StatusForbidden:
			return fmt.Sprintf("GitHub refused access to organisation %q (403 %s): the token needs read access to "+
				"repository metadata and contents, and SSO authorization where the organisation enforces it", c.org, er.Message)
		}
		return fmt.Sprintf("GitHub answered %d: %s", er.Response.StatusCode, er.Message)
	case errors.As(err, &ne):
		return fmt.Sprintf("cannot reach GitHub at %s: %v", api, err)
	}
	return err.Error()
}

// credentialsRejected says what to do when GitHub answered 401 with message.
func (h *Hub) credentialsRejected(message string) string {
	if app := h.cfg.App; app != nil {
		return fmt.Sprintf("GitHub rejected the installation token of GitHub App %d (401 %s): the App may have "+
			"been uninstalled from the organisation or suspended", app.AppID, message)
	}
	return fmt.Sprintf("GitHub rejected the credentials (401 %s): the token was revoked, has expired or is "+
		"mistyped; set a valid one (ATRIUM_GITHUB_TOKEN, or github.token in the config file)", message)
}

// explainApp says why GitHub gave no installation token. GitHub's message is shown; neither the JWT nor the key
// ever is.
func (h *Hub) explainApp(ae *ghinstallation.HTTPError) string {
	app := h.cfg.App
	if ae.Response == nil {
		return fmt.Sprintf("cannot reach GitHub at %s to get an installation token for GitHub App %d: %v",
			h.client.BaseURL.String(), app.AppID, ae.RootCause)
	}
	msg := http.StatusText(ae.Response.StatusCode)
	if ae.Response.Body != nil {
		var body struct {
			Message string `json:"message"`
		}
		if json.NewDecoder(io.LimitReader(ae.Response.Body, 16<<10)).Decode(&body) == nil && body.Message != "" {
			msg = body.Message
		}
		ae.Response.Body.Close()
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	switch ae.Response.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Sprintf("GitHub refused the GitHub App's credentials when asked for an installation token (401 %s): "+
			"the private key is not one of App %d's current keys (rotated, revoked or another App's), or the App ID is "+
			"wrong; set the App's private key file (ATRIUM_GITHUB_APP_PRIVATE_KEY_FILE, or github.app.private_key_file) "+
			"and ID, and check this server's clock", msg, app.AppID)
	case http.StatusNotFound:
		return fmt.Sprintf("GitHub App %d has no installation %d (404 %s): the App was uninstalled, or "+
			"ATRIUM_GITHUB_APP_INSTALLATION_ID (github.app.installation_id) is wrong", app.AppID, app.InstallationID, msg)
	case http.StatusForbidden:
		return fmt.Sprintf("GitHub refused an installation token for GitHub App %d, installation %d (403 %s): the "+
			"installation may be suspended", app.AppID, app.InstallationID, msg)
	}
	return fmt.Sprintf("GitHub answered %d when asked for an installation token of GitHub App %d: %s",
		ae.Response.StatusCode, app.AppID, msg)
}

// refresh brings one repository's row up to date: the default branch's head, its tree when the head moved, the
// wanted files not yet cached, and the services they describe. head, when known (from a push), saves asking for it.
// A failure is recorded on the repository's row; its previous services stay.
func (c *Collector) refresh(ctx context.Context, m repoMeta, head string) error {
	mu := &c.repoMu[uint64(m.ID)%uint64(len(c.repoMu))]
	mu.Lock()
	defer mu.Unlock()
	row, err := c.loadRow(ctx, m.ID)
	if err != nil {
		return err
	}
	if err := c.read(ctx, m, row, head); err != nil {
		msg := c.repoError(err)
		if row == nil {
			row = &repoRow{ID: m.ID, FullName: m.fullName(), DefaultBranch: m.DefaultBranch, Files: map[string]fileRef{}}
		}
		row.Error, row.ErrorAt = msg, time.Now().UTC()
		if serr := c.saveRow(context.WithoutCancel(ctx), row); serr != nil {
			return serr
		}
		return fmt.Errorf("repository %s: %w", m.fullName(), err)
	}
	return nil
}

func (c *Collector) repoError(err error) string {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return fmt.Sprintf("GitHub answered %d to %s %s: %s", er.Response.StatusCode, er.Response.Request.Method,
			er.Response.Request.URL.Path, er.Message)
	}
	return err.Error()
}

func (c *Collector) read(ctx context.Context, m repoMeta, row *repoRow, head string) error {
	owner, name := m.Owner, m.Name
	if head == "" && row != nil && row.Error == "" && row.PushedAt == m.PushedAt && row.DefaultBranch == m.DefaultBranch {
		head = row.Head // nobody pushed: only metadata changed
	} else if head == "" {
		last := ""
		if row != nil && row.DefaultBranch == m.DefaultBranch {
			last = row.Head
		}
		sha, resp, err := call(ctx, func() (string, *gh.Response, error) {
			return c.hub.client.Repositories.GetCommitSHA1(ctx, owner, name, m.DefaultBranch, last)
		})
		switch {
		case resp != nil && resp.StatusCode == http.StatusNotModified:
			head = last
		case resp != nil && resp.StatusCode == http.StatusConflict: // "Git Repository is empty."
			head = ""
		case err != nil:
			return err
		default:
			head = sha
		}
	}
	files := map[string]fileRef{}
	var risky map[string]fileRef // nil: the tree was not listed, the last secrets scan stands
	var notes problem.Problems
	repoTree := catalog.ScanTree(nil)
	extraDirs, extraKey := c.hub.extraDirs(m.fullName())
	if row != nil && head == row.Head && row.Error == "" && row.Tree != nil && row.Extra == extraKey {
		files, notes, repoTree = row.Files, row.Notes, *row.Tree
	} else if head != "" {
		tree, _, err := call(ctx, func() (*gh.Tree, *gh.Response, error) {
			return c.hub.client.Git.GetTree(ctx, owner, name, head, true)
		})
		if err != nil {
			return err
		}
		risky = map[string]fileRef{}
		paths := make([]string, 0, len(tree.Entries))
		extras := 0
		for _, e := range tree.Entries {
			if e.GetType() != "blob" {
				continue
			}
			paths = append(paths, e.GetPath())
			extra := len(extraDirs) > 0 && ExtraFile(extraDirs, e.GetPath())
			if extra && !catalog.WantedFile(e.GetPath()) {
				if extras++; extras > maxExtraFiles {
					continue
				}
			}
			wanted := catalog.WantedFile(e.GetPath()) || extra
			if !wanted && leak.Risky(e.GetPath()) {
				risky[e.GetPath()] = fileRef{SHA: e.GetSHA(), Size: e.GetSize()}
			}
			if !wanted {
				continue
			}
			files[e.GetPath()] = fileRef{SHA: e.GetSHA(), Size: e.GetSize()}
		}
		if extras > maxExtraFiles {
			notes = append(notes, problem.Problem{Severity: problem.Warning, Source: "github",
				Summary: fmt.Sprintf("%d gitops files, %d read", extras, maxExtraFiles),
				Detail:  "Drift reads at most this many YAML and Terraform files of one repository; narrow the layout."})
		}
		repoTree = catalog.ScanTree(paths)
		if tree.GetTruncated() {
			notes = append(notes, problem.Problem{Severity: problem.Warning, Source: "github",
				Summary: "Repository tree too large to list whole",
				Detail:  "GitHub truncated the recursive tree listing; descriptors or manifests deep in the tree may be missing."})
		}
	}
	contents, notes2, err := c.hub.contents(ctx, owner, name, files)
	if err != nil {
		return err
	}
	notes = append(notes, notes2...)
	snap := catalog.RepoSnapshot{Name: m.Name, URL: m.URL, Provider: Kind, DefaultBranch: m.DefaultBranch, Head: head,
		Description: m.Description, Language: m.Language, Topics: m.Topics, Files: contents}
	protection, err := c.protection(ctx, m)
	if err != nil {
		return err
	}
	svcs := catalog.ParseRepository(snap, c.source)
	scans, err := c.scanForSecrets(ctx, m, files, risky, contents)
	if err != nil {
		return err
	}
	attachSecretFindings(svcs, scans)
	for i := range svcs {
		svcs[i].Findings = append(svcs[i].Findings, notes...)
	}
	setFacts(svcs, repoTree, protection)
	if err := c.saveRow(ctx, &repoRow{ID: m.ID, FullName: m.fullName(), DefaultBranch: m.DefaultBranch, PushedAt: m.PushedAt,
		Head: head, MetaHash: m.hash(), Files: files, Notes: notes, Services: svcs, Tree: &repoTree,
		Protection: protection, ProtectionAt: c.hub.cfg.Clock.now(), Extra: extraKey}); err != nil {
		return err
	}
	if err := c.saveScans(ctx, m.ID, scans); err != nil {
		return err
	}
	if extraKey != "" && c.hub.cfg.OnRead != nil {
		c.hub.cfg.OnRead(m.fullName())
	}
	return nil
}

// setFacts gives each service of a repository its facts: the tree's, for the service's directory, and the
// default branch's protection.
func setFacts(svcs []catalog.Service, tree catalog.RepoTree, protection *catalog.BranchProtection) {
	for i := range svcs {
		svcs[i].Repository.Facts = tree.For(svcs[i].Repository.Path, protection)
	}
}

// protection reads the default branch's protection with one conditional request (an unchanged answer is a 304,
// free of rate limit). Not protected is a protection with Enabled false; nil means unknown: the credentials may
// not read it (GitHub answers 403, or 404 for a token without administration read), or the repository is empty.
func (c *Collector) protection(ctx context.Context, m repoMeta) (*catalog.BranchProtection, error) {
	if m.DefaultBranch == "" {
		return nil, nil
	}
	p, resp, err := call(ctx, func() (*gh.Protection, *gh.Response, error) {
		return c.hub.client.Repositories.GetBranchProtection(ctx, m.Owner, m.Name, m.DefaultBranch)
	})
	var er *gh.ErrorResponse
	switch {
	case errors.Is(err, gh.ErrBranchNotProtected):
		return &catalog.BranchProtection{RequiredChecks: []string{}}, nil
	case errors.As(err, &er) && er.Response != nil && (er.Response.StatusCode == http.StatusForbidden ||
		er.Response.StatusCode == http.StatusNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case resp != nil && resp.StatusCode == http.StatusNotModified:
		return nil, errors.New("branch protection: 304 without a cached answer")
	}
	bp := &catalog.BranchProtection{Enabled: true, RequiredChecks: []string{}}
	if r := p.GetRequiredPullRequestReviews(); r != nil {
		bp.RequiredReviews = r.RequiredApprovingReviewCount
	}
	if sc := p.GetRequiredStatusChecks(); sc != nil {
		if sc.Contexts != nil {
			bp.RequiredChecks = append(bp.RequiredChecks, *sc.Contexts...)
		} else if sc.Checks != nil {
			for _, ch := range *sc.Checks {
				bp.RequiredChecks = append(bp.RequiredChecks, ch.Context)
			}
		}
	}
	if a := p.GetEnforceAdmins(); a != nil {
		bp.EnforceAdmins = a.Enabled
	}
	return bp, nil
}

// refreshProtection reads the protection of a repository that needs no other work this sync, once per
// Config.ProtectionInterval, and when it changed rewrites the facts of the row's services. A protected branch's
// answer is a conditional request (a 304 when unchanged, free); GitHub's "not protected" is a 404, which carries no
// ETag and costs a point: hence the interval rather than every sync.
func (c *Collector) refreshProtection(ctx context.Context, m repoMeta) error {
	mu := &c.repoMu[uint64(m.ID)%uint64(len(c.repoMu))]
	mu.Lock()
	defer mu.Unlock()
	row, err := c.loadRow(ctx, m.ID)
	now := c.hub.cfg.Clock.now()
	if err != nil || row == nil || row.Tree == nil || now.Sub(row.ProtectionAt) < c.hub.cfg.ProtectionInterval {
		return err
	}
	p, err := c.protection(ctx, m)
	if err != nil {
		return fmt.Errorf("repository %s: %w", m.fullName(), err)
	}
	row.ProtectionAt = now
	if !reflect.DeepEqual(p, row.Protection) {
		row.Protection = p
		setFacts(row.Services, *row.Tree, p)
	}
	return c.saveRow(ctx, row)
}

// write makes the organisation's services in the catalog exactly those of its repositories, with newest versions,
// and records the source's freshness. It returns how many services changed.
func (c *Collector) write(ctx context.Context) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	rows, err := c.loadRows(ctx)
	if err != nil {
		return 0, err
	}
	list := make([]*repoRow, 0, len(rows))
	for _, r := range rows {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return strings.ToLower(list[i].FullName) < strings.ToLower(list[j].FullName) })
	// Names held by other sources (another organisation, a future collector) are not taken over.
	// The golden path's registration of a new service (a template source) is adopted by the collector reading that
	// service's repository: catalog.Adoptable.
	taken := map[string]string{}
	heldRepo := map[string]string{}
	q, err := c.db.QueryContext(ctx, `SELECT name, source, repo_url FROM services WHERE source != ?`, c.source)
	if err != nil {
		return 0, err
	}
	for q.Next() {
		var n, s, u string
		if err := q.Scan(&n, &s, &u); err != nil {
			q.Close()
			return 0, err
		}
		taken[n], heldRepo[n] = s, u
	}
	q.Close()
	if err := q.Err(); err != nil {
		return 0, err
	}
	var svcs []catalog.Service
	from := map[string]string{}
	for _, r := range list {
		var conflicts []string
		for _, s := range r.Services {
			switch {
			case taken[s.Name] != "" && !catalog.Adoptable(taken[s.Name], heldRepo[s.Name], s.Repository.URL):
				conflicts = append(conflicts, fmt.Sprintf("service %q is already provided by source %s", s.Name, taken[s.Name]))
			case from[s.Name] != "":
				conflicts = append(conflicts, fmt.Sprintf("service %q is already provided by repository %s", s.Name, from[s.Name]))
			default:
				from[s.Name] = r.FullName
				svcs = append(svcs, s)
			}
		}
		if len(conflicts) > 0 {
			msg := strings.Join(conflicts, "; ") + "; rename it in this repository's descriptor"
			if r.Error != msg {
				if err := c.setRowError(ctx, r.ID, msg); err != nil {
					return 0, err
				}
				r.Error = msg
			}
		}
	}
	if c.hub.versions != nil {
		var deps []catalog.Dependency
		for _, s := range svcs {
			deps = append(deps, s.Dependencies...)
		}
		c.hub.versions.Warm(ctx, deps)
		for _, err := range catalog.FillLatest(ctx, svcs, c.hub.versions) {
			c.hub.log.Debug("newest version unknown", "err", err)
		}
	}
	n, err := c.hub.store.ReplaceSource(ctx, c.source, svcs)
	if err != nil {
		return 0, err
	}
	errCount := 0
	for _, r := range list {
		if r.Error != "" {
			errCount++
		}
	}
	state, msg := sources.StateOK, fmt.Sprintf("%d repositories, %d services", len(list), len(svcs))
	if errCount > 0 {
		state = sources.StatePartial
		msg += fmt.Sprintf("; %d repositories failed (see their errors)", errCount)
	}
	now := time.Now().UTC()
	vmsg := c.hub.describeVersions()
	c.update(func(st *sources.Status) {
		if st.State != sources.StateSyncing || st.Done >= st.Total {
			st.State, st.Message, st.FinishedAt = state, msg, now
		}
		st.Errors, st.Services, st.Versions = errCount, len(svcs), vmsg
	})
	return n, c.hub.store.PutSource(ctx, store.Source{Name: c.source, SyncedAt: now, Status: state, Message: msg})
}

// refreshOne refreshes one repository and rewrites the organisation's services: the webhook path.
func (c *Collector) refreshOne(ctx context.Context, m repoMeta, head string) error {
	cnt := &counters{}
	ctx = withCounters(ctx, cnt)
	err := c.refresh(ctx, m, head)
	if _, werr := c.write(ctx); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// remove forgets a repository (deleted, archived, transferred away) and rewrites the organisation's services.
func (c *Collector) remove(ctx context.Context, id int64) error {
	if err := c.deleteRows(ctx, []int64{id}); err != nil {
		return err
	}
	_, err := c.write(ctx)
	return err
}
