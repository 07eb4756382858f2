package githubtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The slice of GitHub's write API a gitops flow uses — branches (git refs), file contents, pull requests — plus
// helpers that act as a person on github.com would (merge or close a pull request). Everything written becomes git
// objects of the repository, so a branch made here is served by the commits, trees and blobs endpoints too.

// PullRequest is what a test may check of a pull request.
type PullRequest struct {
	Number         int
	Title, Body    string
	Head, Base     string // branch names
	State          string // open or closed
	Draft, Merged  bool
	MergeCommitSHA string
}

type pull struct {
	PullRequest
	id                                       int64
	headSHA, baseSHA                         string // frozen when the pull request is closed
	createdAt, updatedAt, closedAt, mergedAt time.Time
}

const (
	docsRefs     = "https://docs.github.com/rest/git/refs"
	docsContents = "https://docs.github.com/rest/repos/contents#create-or-update-file-contents"
	docsPulls    = "https://docs.github.com/rest/pulls/pulls"
)

func problem(w http.ResponseWriter, status int, message, docs string) {
	writeJSON(w, status, map[string]any{"message": message, "documentation_url": docs, "status": strconv.Itoa(status)})
}

// validationFailed is GitHub's 422 answer naming what is wrong with a request's fields.
func validationFailed(w http.ResponseWriter, docs string, errs ...map[string]any) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": errs,
		"documentation_url": docs, "status": "422"})
}

func decodeBody(w http.ResponseWriter, req *http.Request, v any, docs string) bool {
	if err := json.NewDecoder(req.Body).Decode(v); err != nil {
		problem(w, http.StatusBadRequest, "Problems parsing JSON", docs)
		return false
	}
	return true
}

// Test helpers.

// Branch is the head commit of a branch of org/name ("" when there is no such branch).
func (s *Server) Branch(org, name, branch string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, _ := s.find(org, name).branch(branch)
	return sha
}

// File reads a file of org/name at ref (a branch or a commit SHA).
func (s *Server) File(org, name, ref, p string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.resolve(s.find(org, name), ref)
	if !ok {
		return "", false
	}
	c, ok := s.files(sha)[p]
	return string(c), ok
}

// Pulls lists the pull requests of org/name, oldest first.
func (s *Server) Pulls(org, name string) []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PullRequest
	for _, p := range s.find(org, name).pulls {
		out = append(out, p.PullRequest)
	}
	return out
}

func (r *repo) pull(number int) *pull {
	if number < 1 || number > len(r.pulls) {
		panic(fmt.Sprintf("githubtest: %s/%s has no pull request #%d", r.org, r.Name, number))
	}
	return r.pulls[number-1]
}

// MergePull merges pull request number of org/name as the Merge button does — a merge commit of the head branch
// into the base branch — and returns the merge commit's SHA. It panics when the pull request is not open or its
// branches conflict.
func (s *Server) MergePull(org, name string, number int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	p := r.pull(number)
	if p.State != "open" {
		panic(fmt.Sprintf("githubtest: pull request #%d is %s", number, p.State))
	}
	head, _ := r.branch(p.Head)
	base, _ := r.branch(p.Base)
	files, ok := merge3(s.files(s.mergeBase(head, base)), s.files(base), s.files(head))
	if !ok {
		panic(fmt.Sprintf("githubtest: pull request #%d conflicts with %s", number, p.Base))
	}
	now := s.tick()
	sha := s.commitBlobs(files, []string{base, head},
		fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", number, r.org, p.Head, p.Title))
	s.moveBranch(r, p.Base, sha)
	p.headSHA, p.baseSHA = head, base
	p.State, p.Merged, p.MergeCommitSHA = "closed", true, sha
	p.closedAt, p.mergedAt, p.updatedAt = now, now, now
	return sha
}

// ClosePull closes pull request number of org/name without merging it.
func (s *Server) ClosePull(org, name string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	p := r.pull(number)
	p.headSHA, _ = r.branch(p.Head)
	p.baseSHA, _ = r.branch(p.Base)
	now := s.tick()
	p.State, p.closedAt, p.updatedAt = "closed", now, now
}

// Git references.

func (s *Server) refJSON(r *repo, branch, sha string) map[string]any {
	api := s.URL + "/repos/" + r.org + "/" + r.Name
	return map[string]any{"ref": "refs/heads/" + branch,
		"node_id": base64.StdEncoding.EncodeToString([]byte("04:Ref" + strconv.FormatInt(r.id, 10) + ":refs/heads/" + branch)),
		"url":     api + "/git/refs/heads/" + branch,
		"object":  map[string]any{"type": "commit", "sha": sha, "url": api + "/git/commits/" + sha}}
}

func (s *Server) getRef(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if r.head == "" && len(r.branches) == 0 {
		problem(w, http.StatusConflict, "Git Repository is empty.", docsRefs+"#get-a-reference")
		return
	}
	// Branches only: the fake keeps no tags.
	name, isBranch := strings.CutPrefix(req.PathValue("ref"), "heads/")
	sha, ok := r.branch(name)
	if !isBranch || !ok {
		problem(w, http.StatusNotFound, "Not Found", docsRefs+"#get-a-reference")
		return
	}
	writeJSON(w, http.StatusOK, s.refJSON(r, name, sha))
}

func (s *Server) createRef(w http.ResponseWriter, req *http.Request) {
	docs := docsRefs + "#create-a-reference"
	var in struct {
		Ref *string `json:"ref"`
		SHA *string `json:"sha"`
	}
	if !decodeBody(w, req, &in, docs) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	switch {
	case r == nil:
		notFound(w)
		return
	case in.Ref == nil:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" wasn't supplied.", docs)
		return
	case in.SHA == nil:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.", docs)
		return
	}
	name, isBranch := strings.CutPrefix(*in.Ref, "refs/heads/")
	if !isBranch || name == "" || strings.HasSuffix(name, "/") || strings.Contains(name, "..") {
		problem(w, http.StatusUnprocessableEntity, "Reference update failed", docs)
		return
	}
	if _, exists := r.branch(name); exists {
		problem(w, http.StatusUnprocessableEntity, "Reference already exists", docs)
		return
	}
	if !s.reachable(r)[*in.SHA] {
		problem(w, http.StatusUnprocessableEntity, "Object does not exist", docs)
		return
	}
	s.tick()
	s.moveBranch(r, name, *in.SHA)
	w.Header().Set("Location", s.URL+"/repos/"+r.org+"/"+r.Name+"/git/refs/heads/"+name)
	writeJSON(w, http.StatusCreated, s.refJSON(r, name, *in.SHA))
}

// reachable is every commit of r's branches; s.mu is held.
func (s *Server) reachable(r *repo) map[string]bool {
	all := s.ancestors(r.head)
	for _, sha := range r.branches {
		for c := range s.ancestors(sha) {
			all[c] = true
		}
	}
	return all
}

// Contents.

// contentJSON is a file or directory entry of the contents API at ref; content is included for a single file.
func (s *Server) contentJSON(r *repo, p string, e treeEntry, ref string, content []byte) map[string]any {
	full := r.org + "/" + r.Name
	api := s.URL + "/repos/" + full
	self := api + "/contents/" + p + "?ref=" + url.QueryEscape(ref)
	m := map[string]any{"name": path.Base(p), "path": p, "sha": e.SHA, "url": self}
	if e.Type == "tree" {
		m["type"], m["size"], m["download_url"] = "dir", 0, nil
		m["git_url"], m["html_url"] = api+"/git/trees/"+e.SHA, s.URL+"/"+full+"/tree/"+ref+"/"+p
	} else {
		m["type"], m["size"], m["download_url"] = "file", e.Size, s.URL+"/"+full+"/raw/"+ref+"/"+p
		m["git_url"], m["html_url"] = api+"/git/blobs/"+e.SHA, s.URL+"/"+full+"/blob/"+ref+"/"+p
	}
	m["_links"] = map[string]any{"self": self, "git": m["git_url"], "html": m["html_url"]}
	if content != nil {
		m["content"], m["encoding"] = base64Lines(content), "base64"
	}
	return m
}

func (s *Server) getContents(w http.ResponseWriter, req *http.Request) {
	docs := "https://docs.github.com/rest/repos/contents#get-repository-content"
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if r.head == "" && len(r.branches) == 0 {
		problem(w, http.StatusNotFound, "This repository is empty.", docs)
		return
	}
	ref := req.URL.Query().Get("ref")
	if ref == "" {
		ref = r.DefaultBranch
	}
	sha, ok := s.resolve(r, ref)
	if !ok {
		problem(w, http.StatusNotFound, "No commit found for the ref "+ref, docs)
		return
	}
	p := strings.Trim(req.PathValue("path"), "/")
	e, ok := s.lookup(sha, p)
	if !ok {
		problem(w, http.StatusNotFound, "Not Found", docs)
		return
	}
	if e.Type == "tree" {
		out := []map[string]any{}
		for _, c := range s.trees[e.SHA] {
			out = append(out, s.contentJSON(r, strings.TrimPrefix(p+"/"+c.Path, "/"), c, ref, nil))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	content := s.blobs[e.SHA]
	if a := req.Header.Get("Accept"); strings.Contains(a, "vnd.github.raw") || strings.Contains(a, "vnd.github.v3.raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		w.Write(content)
		return
	}
	writeJSON(w, http.StatusOK, s.contentJSON(r, p, e, ref, content))
}

func (s *Server) putContents(w http.ResponseWriter, req *http.Request) {
	var in struct {
		Message *string `json:"message"`
		Content *string `json:"content"`
		SHA     string  `json:"sha"`
		Branch  string  `json:"branch"`
	}
	if !decodeBody(w, req, &in, docsContents) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	p := strings.Trim(req.PathValue("path"), "/")
	switch {
	case r == nil || p == "":
		notFound(w)
		return
	case in.Message == nil:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" wasn't supplied.", docsContents)
		return
	case in.Content == nil:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" wasn't supplied.", docsContents)
		return
	}
	content, err := base64.StdEncoding.DecodeString(*in.Content)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "content is not valid Base64", docsContents)
		return
	}
	branch := in.Branch
	if branch == "" {
		branch = r.DefaultBranch
	}
	head, ok := r.branch(branch)
	if !ok && !(branch == r.DefaultBranch && r.head == "") { // the first file of an empty repository makes its branch
		problem(w, http.StatusNotFound, "Branch "+branch+" not found", docsContents)
		return
	}
	files := s.files(head)
	old, exists := files[p]
	switch {
	case exists && in.SHA == "":
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.", docsContents)
		return
	case exists && in.SHA != BlobSHA(old), !exists && in.SHA != "":
		problem(w, http.StatusConflict, p+" does not match "+in.SHA, docsContents)
		return
	}
	for q := range files { // a file cannot also be a directory
		if strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
			problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"path\" conflicts with "+q+".", docsContents)
			return
		}
	}
	files[p] = content
	s.tick()
	sha := s.commitBlobs(files, parentsOf(head), *in.Message)
	s.moveBranch(r, branch, sha)
	e, _ := s.lookup(sha, p)
	status := http.StatusCreated
	if exists {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"content": s.contentJSON(r, p, e, branch, nil), "commit": s.gitCommitJSON(r, sha)})
}

// gitCommitJSON is a commit as the git data API (and the contents API's answers) describe it.
func (s *Server) gitCommitJSON(r *repo, sha string) map[string]any {
	c := s.commits[sha]
	api := s.URL + "/repos/" + r.org + "/" + r.Name
	html := s.URL + "/" + r.org + "/" + r.Name + "/commit/"
	person := map[string]any{"name": "Octo Cat", "email": "octocat@users.noreply.invalid", "date": ts(c.at)}
	if c.author != "" {
		person = map[string]any{"name": c.author, "email": c.email, "date": ts(c.at)}
	}
	parents := []map[string]any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/git/commits/" + p, "html_url": html + p})
	}
	return map[string]any{"sha": sha, "node_id": base64.StdEncoding.EncodeToString([]byte("Commit" + sha[:8])),
		"url": api + "/git/commits/" + sha, "html_url": html + sha, "author": person, "committer": person,
		"message": c.message, "tree": map[string]any{"sha": c.tree, "url": api + "/git/trees/" + c.tree},
		"parents": parents, "verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil,
			"payload": nil, "verified_at": nil}}
}

// Pull requests.

// pullJSON is a pull request as the list endpoint ("pull-request-simple") or, full, the single one ("pull-request")
// describes it; s.mu is held.
func (s *Server) pullJSON(r *repo, p *pull, full bool) map[string]any {
	repoPath := r.org + "/" + r.Name
	api := s.URL + "/repos/" + repoPath
	n := strconv.Itoa(p.Number)
	html := s.URL + "/" + repoPath + "/pull/" + n
	headSHA, baseSHA := p.headSHA, p.baseSHA
	if p.State == "open" {
		headSHA, _ = r.branch(p.Head)
		baseSHA, _ = r.branch(p.Base)
	}
	owner := s.user(r.org, s.orgs[strings.ToLower(r.org)], "Organization")
	end := func(ref, sha string) map[string]any {
		return map[string]any{"label": r.org + ":" + ref, "ref": ref, "sha": sha, "user": owner, "repo": s.repoJSON(r)}
	}
	nullTime := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return ts(t)
	}
	var body, mergeSHA any
	if p.Body != "" {
		body = p.Body
	}
	if p.MergeCommitSHA != "" {
		mergeSHA = p.MergeCommitSHA
	}
	href := func(u string) map[string]any { return map[string]any{"href": u} }
	m := map[string]any{
		"url": api + "/pulls/" + n, "id": p.id, "node_id": base64.StdEncoding.EncodeToString([]byte("PR_" + strconv.FormatInt(p.id, 10))),
		"html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": api + "/issues/" + n,
		"commits_url": api + "/pulls/" + n + "/commits", "review_comments_url": api + "/pulls/" + n + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": api + "/issues/" + n + "/comments",
		"statuses_url": api + "/statuses/" + headSHA, "number": p.Number, "state": p.State, "locked": false,
		"title": p.Title, "user": s.user("octocat", 1, "User"), "body": body, "labels": []any{}, "milestone": nil,
		"active_lock_reason": nil, "created_at": ts(p.createdAt), "updated_at": ts(p.updatedAt),
		"closed_at": nullTime(p.closedAt), "merged_at": nullTime(p.mergedAt), "merge_commit_sha": mergeSHA,
		"assignee": nil, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": end(p.Head, headSHA), "base": end(p.Base, baseSHA),
		"_links": map[string]any{"self": href(api + "/pulls/" + n), "html": href(html), "issue": href(api + "/issues/" + n),
			"comments": href(api + "/issues/" + n + "/comments"), "review_comments": href(api + "/pulls/" + n + "/comments"),
			"review_comment": href(api + "/pulls/comments{/number}"), "commits": href(api + "/pulls/" + n + "/commits"),
			"statuses": href(api + "/statuses/" + headSHA)},
		"author_association": "MEMBER", "auto_merge": nil, "draft": p.Draft,
	}
	if !full {
		return m
	}
	commits := 0
	inBase := s.ancestors(baseSHA)
	for c := range s.ancestors(headSHA) {
		if !inBase[c] {
			commits++
		}
	}
	mb := s.files(s.mergeBase(headSHA, baseSHA))
	changed, additions, deletions := diffStat(mb, s.files(headSHA))
	var mergeable any
	state := "unknown"
	if p.State == "open" {
		_, ok := merge3(mb, s.files(baseSHA), s.files(headSHA))
		mergeable, state = ok, "clean"
		if !ok {
			state = "dirty"
		}
	}
	var mergedBy any
	if p.Merged {
		mergedBy = s.user("octocat", 1, "User")
	}
	m["merged"], m["mergeable"], m["rebaseable"], m["mergeable_state"], m["merged_by"] = p.Merged, mergeable, mergeable, state, mergedBy
	m["comments"], m["review_comments"], m["maintainer_can_modify"] = 0, 0, false
	m["commits"], m["additions"], m["deletions"], m["changed_files"] = commits, additions, deletions, changed
	return m
}

func (s *Server) listPulls(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	perPage, page := pageOf(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	// head is "owner:branch", or an owner alone.
	headOwner, headBranch, _ := strings.Cut(q.Get("head"), ":")
	var ps []*pull
	for _, p := range r.pulls {
		if (state != "all" && p.State != state) || (headOwner != "" && !strings.EqualFold(headOwner, r.org)) ||
			(headBranch != "" && headBranch != p.Head) || (q.Get("base") != "" && q.Get("base") != p.Base) {
			continue
		}
		ps = append(ps, p)
	}
	// Newest first by default; sort=updated, popularity and long-running default to ascending.
	sortBy, desc := q.Get("sort"), true
	if sortBy != "" && sortBy != "created" {
		desc = false
	}
	if d := q.Get("direction"); d != "" {
		desc = d == "desc"
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if sortBy == "updated" && !a.updatedAt.Equal(b.updatedAt) {
			return a.updatedAt.Before(b.updatedAt) != desc
		}
		return (a.Number < b.Number) != desc
	})
	last := max((len(ps)+perPage-1)/perPage, 1)
	out := []map[string]any{}
	for i := (page - 1) * perPage; i < len(ps) && i < page*perPage; i++ {
		out = append(out, s.pullJSON(r, ps[i], false))
	}
	setLinks(w, s.URL+"/repos/"+r.org+"/"+r.Name+"/pulls", q, perPage, page, last)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPull(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	n, err := strconv.Atoi(req.PathValue("number"))
	if r == nil || err != nil || n < 1 || n > len(r.pulls) {
		problem(w, http.StatusNotFound, "Not Found", docsPulls+"#get-a-pull-request")
		return
	}
	writeJSON(w, http.StatusOK, s.pullJSON(r, r.pulls[n-1], true))
}

func (s *Server) createPull(w http.ResponseWriter, req *http.Request) {
	docs := docsPulls + "#create-a-pull-request"
	var in struct {
		Title, Head, Base, Body string
		Draft                   bool
	}
	if !decodeBody(w, req, &in, docs) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	missing := func(field string) map[string]any {
		return map[string]any{"resource": "PullRequest", "code": "missing_field", "field": field}
	}
	invalid := func(field string) map[string]any {
		return map[string]any{"resource": "PullRequest", "code": "invalid", "field": field}
	}
	custom := func(msg string) map[string]any {
		return map[string]any{"resource": "PullRequest", "code": "custom", "message": msg}
	}
	var errs []map[string]any
	for field, v := range map[string]string{"title": in.Title, "head": in.Head, "base": in.Base} {
		if v == "" {
			errs = append(errs, missing(field))
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i]["field"].(string) < errs[j]["field"].(string) })
		validationFailed(w, docs, errs...)
		return
	}
	head := in.Head
	if owner, branch, ok := strings.Cut(in.Head, ":"); ok {
		if !strings.EqualFold(owner, r.org) { // forks are not modelled
			validationFailed(w, docs, invalid("head"))
			return
		}
		head = branch
	}
	headSHA, okHead := r.branch(head)
	baseSHA, okBase := r.branch(in.Base)
	switch {
	case !okHead:
		validationFailed(w, docs, invalid("head"))
		return
	case !okBase:
		validationFailed(w, docs, invalid("base"))
		return
	case s.ancestors(baseSHA)[headSHA]:
		validationFailed(w, docs, custom("No commits between "+in.Base+" and "+head))
		return
	}
	for _, p := range r.pulls {
		if p.State == "open" && p.Head == head && p.Base == in.Base {
			validationFailed(w, docs, custom("A pull request already exists for "+r.org+":"+head+"."))
			return
		}
	}
	now := s.tick()
	s.nextID++
	p := &pull{PullRequest: PullRequest{Number: len(r.pulls) + 1, Title: in.Title, Body: in.Body, Head: head,
		Base: in.Base, State: "open", Draft: in.Draft}, id: s.nextID, createdAt: now, updatedAt: now}
	r.pulls = append(r.pulls, p)
	w.Header().Set("Location", s.URL+"/repos/"+r.org+"/"+r.Name+"/pulls/"+strconv.Itoa(p.Number))
	writeJSON(w, http.StatusCreated, s.pullJSON(r, p, true))
}
