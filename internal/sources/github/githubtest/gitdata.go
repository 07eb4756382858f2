package githubtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// What creating a service on GitHub needs, as GitHub answers it: an organisation repository (POST /orgs/{org}/repos,
// with auto_init), its metadata edited (PATCH /repos/{owner}/{repo}), the git data API (blobs, trees with
// base_tree, commits, references moved with PATCH), and branch protection (PUT and GET
// /repos/{owner}/{repo}/branches/{branch}/protection). Repositories created here are like those of AddRepo: the
// organisation's list, the commits, trees and blobs endpoints and the collector see them.

const (
	docsRepos      = "https://docs.github.com/rest/repos/repos"
	docsBlobs      = "https://docs.github.com/rest/git/blobs#create-a-blob"
	docsTrees      = "https://docs.github.com/rest/git/trees#create-a-tree"
	docsCommits    = "https://docs.github.com/rest/git/commits"
	docsProtection = "https://docs.github.com/rest/branches/branch-protection"
)

// failure is an answer the server gives instead of the real one (FailNext).
type failure struct {
	kind, method string
	n, status    int
	message      string
}

// FailNext makes the next n requests of kind (KindPulls, ...) with method answer status with message, as GitHub
// does when it refuses one: to test what a caller does with a refusal it did not cause.
func (s *Server) FailNext(kind, method string, n, status int, message string) {
	s.mu.Lock()
	s.failures = append(s.failures, failure{kind: kind, method: method, n: n, status: status, message: message})
	s.mu.Unlock()
}

// failing returns the failure a request of kind and method gets, if any; s.mu is held.
func (s *Server) failing(kind, method string) *failure {
	for i := range s.failures {
		f := &s.failures[i]
		if f.n > 0 && f.kind == kind && f.method == method {
			f.n--
			return f
		}
	}
	return nil
}

// Exists reports whether org/name exists.
func (s *Server) Exists(org, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.repos {
		if strings.EqualFold(r.org, org) && strings.EqualFold(r.Name, name) {
			return true
		}
	}
	return false
}

// RepoInfo is what a test may check of a repository's metadata.
type RepoInfo struct {
	ID            int64
	Description   string
	Private       bool
	Visibility    string
	DefaultBranch string
}

// Info returns the metadata of org/name.
func (s *Server) Info(org, name string) RepoInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(org, name)
	return RepoInfo{ID: r.id, Description: r.Description, Private: r.Private, Visibility: r.visibility(),
		DefaultBranch: r.DefaultBranch}
}

// History lists the commits of a branch of org/name from its head back to its root (first parents).
func (s *Server) History(org, name, branch string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, _ := s.find(org, name).branch(branch)
	var out []string
	for sha != "" {
		out = append(out, sha)
		ps := s.commits[sha].parents
		if len(ps) == 0 {
			break
		}
		sha = ps[0]
	}
	return out
}

// Protection is a branch's protection as a test may check it.
type Protection struct {
	RequiredChecks          []string
	Strict                  bool
	RequiredReviews         int
	RequireCodeOwnerReviews bool
	DismissStaleReviews     bool
	EnforceAdmins           bool
}

// BranchProtection returns the protection of a branch of org/name; false when it has none.
func (s *Server) BranchProtection(org, name, branch string) (Protection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.find(org, name).protections[branch]
	if !ok {
		return Protection{}, false
	}
	return *p, true
}

func (r *repo) visibility() string {
	if r.Visibility != "" {
		return r.Visibility
	}
	if r.Private {
		return "private"
	}
	return "public"
}

// empty answers 409 for a repository without commits, as GitHub's git data API does; s.mu is held.
func empty(w http.ResponseWriter, r *repo, docs string) bool {
	if r.head == "" && len(r.branches) == 0 {
		problem(w, http.StatusConflict, "Git Repository is empty.", docs)
		return true
	}
	return false
}

func (s *Server) createRepo(w http.ResponseWriter, req *http.Request) {
	docs := docsRepos + "#create-an-organization-repository"
	var in struct {
		Name        *string `json:"name"`
		Description string  `json:"description"`
		Private     *bool   `json:"private"`
		Visibility  string  `json:"visibility"`
		AutoInit    bool    `json:"auto_init"`
	}
	if !decodeBody(w, req, &in, docs) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	org := req.PathValue("org")
	if _, ok := s.orgs[strings.ToLower(org)]; !ok {
		notFound(w)
		return
	}
	if in.Name == nil || *in.Name == "" {
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"name\" wasn't supplied.", docs)
		return
	}
	name := *in.Name
	if !validRepoName(name) {
		validationFailed(w, docs, map[string]any{"resource": "Repository", "code": "custom", "field": "name",
			"message": "name is invalid"})
		return
	}
	for _, r := range s.repos {
		if strings.EqualFold(r.org, org) && strings.EqualFold(r.Name, name) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Repository creation failed.",
				"errors": []map[string]any{{"resource": "Repository", "code": "custom", "field": "name",
					"message": "name already exists on this account"}},
				"documentation_url": docs, "status": "422"})
			return
		}
	}
	switch in.Visibility {
	case "", "public", "private", "internal":
	default:
		validationFailed(w, docs, map[string]any{"resource": "Repository", "code": "invalid", "field": "visibility"})
		return
	}
	private := in.Visibility == "private" || in.Visibility == "internal" || (in.Visibility == "" && in.Private != nil && *in.Private)
	s.nextID++
	now := s.tick()
	rp := &repo{Repo: Repo{Name: name, Description: in.Description, DefaultBranch: "main", Private: private},
		Visibility: in.Visibility, id: s.nextID, org: s.orgName(org), createdAt: now, pushedAt: now, updatedAt: now,
		branches: map[string]string{}}
	if in.AutoInit {
		readme := "# " + name + "\n"
		if in.Description != "" {
			readme += "\n" + in.Description + "\n"
		}
		rp.Files = map[string]string{"README.md": readme}
		rp.head = s.commitFiles(rp.Files, nil, "Initial commit")
	}
	s.repos[rp.id] = rp
	w.Header().Set("Location", s.URL+"/repos/"+rp.org+"/"+rp.Name)
	out := s.repoJSON(rp)
	out["permissions"] = map[string]bool{"admin": true, "maintain": true, "push": true, "triage": true, "pull": true}
	writeJSON(w, http.StatusCreated, out)
}

// orgName is org as it was added (GitHub keeps the account's own spelling); s.mu is held.
func (s *Server) orgName(org string) string {
	for _, r := range s.repos {
		if strings.EqualFold(r.org, org) {
			return r.org
		}
	}
	return org
}

// validRepoName: GitHub's repository names are ASCII letters, digits, '.', '-' and '_', at most 100 characters,
// and not "." or "..".
func validRepoName(n string) bool {
	if n == "" || len(n) > 100 || n == "." || n == ".." {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) editRepo(w http.ResponseWriter, req *http.Request) {
	var in struct {
		Description *string `json:"description"`
		Private     *bool   `json:"private"`
		Visibility  *string `json:"visibility"`
		Archived    *bool   `json:"archived"`
	}
	if !decodeBody(w, req, &in, docsRepos+"#update-a-repository") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.Private != nil {
		r.Private = *in.Private
	}
	if in.Visibility != nil {
		r.Visibility, r.Private = *in.Visibility, *in.Visibility != "public"
	}
	if in.Archived != nil {
		r.Archived = *in.Archived
	}
	r.updatedAt = s.tick()
	writeJSON(w, http.StatusOK, s.repoJSON(r))
}

// Blobs.

func (s *Server) createBlob(w http.ResponseWriter, req *http.Request) {
	var in struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if !decodeBody(w, req, &in, docsBlobs) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if empty(w, r, docsBlobs) {
		return
	}
	if in.Content == nil {
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" wasn't supplied.", docsBlobs)
		return
	}
	content := []byte(*in.Content)
	switch in.Encoding {
	case "", "utf-8":
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(*in.Content, "\n", ""))
		if err != nil {
			problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" is not valid Base64.", docsBlobs)
			return
		}
		content = b
	default:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\nencoding must be utf-8 or base64.", docsBlobs)
		return
	}
	sha := BlobSHA(content)
	s.blobs[sha] = content
	r.objects()[sha] = true
	w.Header().Set("Location", s.URL+"/repos/"+r.org+"/"+r.Name+"/git/blobs/"+sha)
	writeJSON(w, http.StatusCreated, map[string]any{"url": s.URL + "/repos/" + r.org + "/" + r.Name + "/git/blobs/" + sha, "sha": sha})
}

// objects are the SHAs of the blobs, trees and commits written to r through the git data API.
func (r *repo) objects() map[string]bool {
	if r.written == nil {
		r.written = map[string]bool{}
	}
	return r.written
}

// Trees.

// treeFiles returns the files of a tree (slash paths → content); s.mu is held.
func (s *Server) treeFiles(tree string) map[string][]byte {
	out := map[string][]byte{}
	var walk func(prefix, tree string)
	walk = func(prefix, tree string) {
		for _, e := range s.trees[tree] {
			switch e.Type {
			case "tree":
				walk(prefix+e.Path+"/", e.SHA)
			case "blob":
				out[prefix+e.Path] = s.blobs[e.SHA]
			}
		}
	}
	walk("", tree)
	return out
}

func (s *Server) createTree(w http.ResponseWriter, req *http.Request) {
	var in struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path    string  `json:"path"`
			Mode    string  `json:"mode"`
			Type    string  `json:"type"`
			SHA     *string `json:"sha"`
			Content *string `json:"content"`
		} `json:"tree"`
	}
	if !decodeBody(w, req, &in, docsTrees) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if empty(w, r, docsTrees) {
		return
	}
	files := map[string][]byte{}
	if in.BaseTree != "" {
		if _, ok := s.trees[in.BaseTree]; !ok {
			problem(w, http.StatusUnprocessableEntity, "Invalid tree info", docsTrees)
			return
		}
		files = s.treeFiles(in.BaseTree)
	}
	for _, e := range in.Tree {
		p := strings.Trim(e.Path, "/")
		if p == "" || path.Clean(p) != p || strings.HasPrefix(p, "../") {
			problem(w, http.StatusUnprocessableEntity, "tree.path contains a malformed path component", docsTrees)
			return
		}
		switch {
		case e.SHA == nil && e.Content == nil: // delete
			delete(files, p)
			for q := range files {
				if strings.HasPrefix(q, p+"/") {
					delete(files, q)
				}
			}
		case e.Type == "tree" && e.SHA != nil:
			if _, ok := s.trees[*e.SHA]; !ok {
				problem(w, http.StatusUnprocessableEntity, "Invalid tree info", docsTrees)
				return
			}
			for q, c := range s.treeFiles(*e.SHA) {
				files[p+"/"+q] = c
			}
		case e.Type == "blob" || e.Type == "":
			if e.Mode != "100644" && e.Mode != "100755" {
				problem(w, http.StatusUnprocessableEntity, "Invalid tree info: mode "+strconv.Quote(e.Mode)+" is not a file mode", docsTrees)
				return
			}
			if e.Content != nil {
				if !utf8.ValidString(*e.Content) {
					problem(w, http.StatusUnprocessableEntity, "Invalid tree info", docsTrees)
					return
				}
				c := []byte(*e.Content)
				s.blobs[BlobSHA(c)] = c
				files[p] = c
				continue
			}
			c, ok := s.blobs[*e.SHA]
			if !ok {
				problem(w, http.StatusUnprocessableEntity, "Invalid tree info", docsTrees)
				return
			}
			files[p] = c
		default:
			problem(w, http.StatusUnprocessableEntity, "Invalid tree info: type "+strconv.Quote(e.Type)+" is not supported", docsTrees)
			return
		}
	}
	root, trees := buildTrees(files)
	for k, v := range trees {
		s.trees[k] = v
	}
	r.objects()[root] = true
	api := s.URL + "/repos/" + r.org + "/" + r.Name
	w.Header().Set("Location", api+"/git/trees/"+root)
	writeJSON(w, http.StatusCreated, s.treeJSON(api, root))
}

// treeJSON is a tree as the git data API describes it (not recursive).
func (s *Server) treeJSON(api, sha string) map[string]any {
	entries := []map[string]any{}
	for _, e := range s.trees[sha] {
		m := map[string]any{"path": e.Path, "mode": e.Mode, "type": e.Type, "sha": e.SHA}
		switch e.Type {
		case "blob":
			m["size"], m["url"] = e.Size, api+"/git/blobs/"+e.SHA
		case "tree":
			m["url"] = api + "/git/trees/" + e.SHA
		}
		entries = append(entries, m)
	}
	return map[string]any{"sha": sha, "url": api + "/git/trees/" + sha, "tree": entries, "truncated": false}
}

// Commits.

func (s *Server) createCommit(w http.ResponseWriter, req *http.Request) {
	docs := docsCommits + "#create-a-commit"
	type person struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Date  string `json:"date"`
	}
	var in struct {
		Message   *string  `json:"message"`
		Tree      *string  `json:"tree"`
		Parents   []string `json:"parents"`
		Author    *person  `json:"author"`
		Committer *person  `json:"committer"`
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
	case in.Message == nil:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" wasn't supplied.", docs)
		return
	case in.Tree == nil:
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"tree\" wasn't supplied.", docs)
		return
	}
	if _, ok := s.trees[*in.Tree]; !ok {
		problem(w, http.StatusUnprocessableEntity, "Tree SHA does not exist", docs)
		return
	}
	for _, p := range in.Parents {
		if _, ok := s.commits[p]; !ok {
			problem(w, http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object", docs)
			return
		}
	}
	at := s.tick()
	var c commit
	if in.Author != nil {
		c.author, c.email = in.Author.Name, in.Author.Email
		if in.Author.Date != "" {
			t, err := time.Parse(time.RFC3339, in.Author.Date)
			if err != nil {
				problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\nauthor.date is not an ISO 8601 time.", docs)
				return
			}
			at = t.UTC()
		}
	}
	c.tree, c.message, c.parents, c.at = *in.Tree, *in.Message, append([]string{}, in.Parents...), at
	sha := c.sha()
	s.commits[sha] = c
	r.objects()[sha] = true
	w.Header().Set("Location", s.URL+"/repos/"+r.org+"/"+r.Name+"/git/commits/"+sha)
	writeJSON(w, http.StatusCreated, s.gitCommitJSON(r, sha))
}

func (s *Server) getGitCommit(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	if empty(w, r, docsCommits+"#get-a-commit-object") {
		return
	}
	if _, ok := s.commits[req.PathValue("sha")]; !ok {
		problem(w, http.StatusNotFound, "Not Found", docsCommits+"#get-a-commit-object")
		return
	}
	writeJSON(w, http.StatusOK, s.gitCommitJSON(r, req.PathValue("sha")))
}

// References.

func (s *Server) updateRef(w http.ResponseWriter, req *http.Request) {
	docs := docsRefs + "#update-a-reference"
	var in struct {
		SHA   *string `json:"sha"`
		Force bool    `json:"force"`
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
	if in.SHA == nil {
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.", docs)
		return
	}
	name, isBranch := strings.CutPrefix(req.PathValue("ref"), "heads/")
	cur, ok := r.branch(name)
	if !isBranch || !ok {
		problem(w, http.StatusUnprocessableEntity, "Reference does not exist", docs)
		return
	}
	if _, ok := s.commits[*in.SHA]; !ok || !(s.reachable(r)[*in.SHA] || r.objects()[*in.SHA]) {
		problem(w, http.StatusUnprocessableEntity, "Object does not exist", docs)
		return
	}
	fastForward := s.ancestors(*in.SHA)[cur]
	switch {
	case !fastForward && !in.Force:
		problem(w, http.StatusUnprocessableEntity, "Update is not a fast forward", docs)
		return
	case !fastForward && r.protections[name] != nil:
		problem(w, http.StatusUnprocessableEntity, "Cannot force-push to this branch", docs)
		return
	}
	s.tick()
	s.moveBranch(r, name, *in.SHA)
	writeJSON(w, http.StatusOK, s.refJSON(r, name, *in.SHA))
}

// Branch protection.

func (s *Server) putProtection(w http.ResponseWriter, req *http.Request) {
	docs := docsProtection + "#update-branch-protection"
	var in map[string]json.RawMessage
	if !decodeBody(w, req, &in, docs) {
		return
	}
	// GitHub requires all four, each possibly null.
	for _, k := range []string{"required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions"} {
		if _, ok := in[k]; !ok {
			problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\""+k+"\" wasn't supplied.", docs)
			return
		}
	}
	var body struct {
		RequiredStatusChecks *struct {
			Strict   bool      `json:"strict"`
			Contexts *[]string `json:"contexts"`
			Checks   *[]struct {
				Context string `json:"context"`
			} `json:"checks"`
		} `json:"required_status_checks"`
		EnforceAdmins              *bool `json:"enforce_admins"`
		RequiredPullRequestReviews *struct {
			DismissStaleReviews          bool `json:"dismiss_stale_reviews"`
			RequireCodeOwnerReviews      bool `json:"require_code_owner_reviews"`
			RequiredApprovingReviewCount int  `json:"required_approving_review_count"`
		} `json:"required_pull_request_reviews"`
	}
	if err := remarshal(in, &body); err != nil {
		problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\n"+err.Error(), docs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	branch := req.PathValue("branch")
	if _, ok := r.branch(branch); !ok {
		problem(w, http.StatusNotFound, "Branch not found", docs)
		return
	}
	p := &Protection{EnforceAdmins: body.EnforceAdmins != nil && *body.EnforceAdmins}
	if c := body.RequiredStatusChecks; c != nil {
		p.Strict = c.Strict
		switch {
		case c.Checks != nil:
			for _, ch := range *c.Checks {
				p.RequiredChecks = append(p.RequiredChecks, ch.Context)
			}
		case c.Contexts != nil:
			p.RequiredChecks = append(p.RequiredChecks, *c.Contexts...)
		default:
			problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\nEither \"contexts\" or \"checks\" must be supplied.", docs)
			return
		}
		sort.Strings(p.RequiredChecks)
	}
	if rv := body.RequiredPullRequestReviews; rv != nil {
		if rv.RequiredApprovingReviewCount < 0 || rv.RequiredApprovingReviewCount > 6 {
			problem(w, http.StatusUnprocessableEntity, "Invalid request.\n\nrequired_approving_review_count must be 0 to 6.", docs)
			return
		}
		p.RequiredReviews, p.RequireCodeOwnerReviews, p.DismissStaleReviews =
			rv.RequiredApprovingReviewCount, rv.RequireCodeOwnerReviews, rv.DismissStaleReviews
	}
	if r.protections == nil {
		r.protections = map[string]*Protection{}
	}
	r.protections[branch] = p
	writeJSON(w, http.StatusOK, s.protectionJSON(r, branch, p))
}

func (s *Server) getProtection(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoOf(req)
	if r == nil {
		notFound(w)
		return
	}
	branch := req.PathValue("branch")
	if _, ok := r.branch(branch); !ok {
		problem(w, http.StatusNotFound, "Branch not found", docsProtection+"#get-branch-protection")
		return
	}
	if s.hiddenProtection[protectionKey(r.org, r.Name, branch)] {
		problem(w, http.StatusForbidden, "Resource not accessible by integration", docsProtection+"#get-branch-protection")
		return
	}
	p := r.protections[branch]
	if p == nil {
		problem(w, http.StatusNotFound, "Branch not protected", docsProtection+"#get-branch-protection")
		return
	}
	writeJSON(w, http.StatusOK, s.protectionJSON(r, branch, p))
}

// protectionJSON is a branch's protection as GitHub returns it ("branch-protection").
func (s *Server) protectionJSON(r *repo, branch string, p *Protection) map[string]any {
	u := s.URL + "/repos/" + r.org + "/" + r.Name + "/branches/" + branch + "/protection"
	enabled := func(b bool) map[string]any { return map[string]any{"enabled": b} }
	checks := []map[string]any{}
	contexts := []string{}
	for _, c := range p.RequiredChecks {
		checks = append(checks, map[string]any{"context": c, "app_id": nil})
		contexts = append(contexts, c)
	}
	body := map[string]any{
		"url": u,
		"required_status_checks": map[string]any{"url": u + "/required_status_checks", "strict": p.Strict,
			"contexts": contexts, "checks": checks, "contexts_url": u + "/required_status_checks/contexts"},
		"enforce_admins":                   map[string]any{"url": u + "/enforce_admins", "enabled": p.EnforceAdmins},
		"required_linear_history":          enabled(false),
		"allow_force_pushes":               enabled(false),
		"allow_deletions":                  enabled(false),
		"block_creations":                  enabled(false),
		"required_conversation_resolution": enabled(false),
		"lock_branch":                      enabled(false),
		"allow_fork_syncing":               enabled(false),
		"required_signatures":              map[string]any{"url": u + "/required_signatures", "enabled": false},
	}
	// GitHub leaves the member out when reviews are not required.
	if p.RequiredReviews > 0 || p.RequireCodeOwnerReviews {
		body["required_pull_request_reviews"] = map[string]any{"url": u + "/required_pull_request_reviews",
			"dismiss_stale_reviews": p.DismissStaleReviews, "require_code_owner_reviews": p.RequireCodeOwnerReviews,
			"required_approving_review_count": p.RequiredReviews, "require_last_push_approval": false}
	}
	return body
}

// remarshal decodes a JSON object read as raw members into v.
func remarshal(in map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
