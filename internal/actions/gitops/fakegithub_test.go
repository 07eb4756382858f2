package gitops_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub speaks the slice of GitHub's REST API that the gitops path uses — refs, contents, pull requests —
// for one repository, in GitHub's wire format, on loopback. It stands in until the GitHub fake of
// internal/sources/github/githubtest (branch github) is merged; these handlers are meant to move there.
type fakeGitHub struct {
	t           testing.TB
	url         string
	owner, repo string
	token       string

	mu       sync.Mutex
	branches map[string]string            // name → head sha
	files    map[string]map[string][]byte // branch → path → content
	pulls    []*fakePull
	calls    map[string]int // "METHOD kind" → count
}

type fakePull struct {
	Number      int
	Title, Body string
	Head, Base  string
	State       string // open, closed
	Merged      bool
	MergeSHA    string
}

func newFakeGitHub(t testing.TB, owner, repo, token string) *fakeGitHub {
	f := &fakeGitHub{t: t, owner: owner, repo: repo, token: token, branches: map[string]string{"main": sha("init")},
		files: map[string]map[string][]byte{"main": {"README.md": []byte("infra\n")}}, calls: map[string]int{}}
	mux := http.NewServeMux()
	p := "/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+p+"/git/ref/{ref...}", f.getRef)
	mux.HandleFunc("POST "+p+"/git/refs", f.createRef)
	mux.HandleFunc("GET "+p+"/contents/{path...}", f.getContents)
	mux.HandleFunc("PUT "+p+"/contents/{path...}", f.putContents)
	mux.HandleFunc("GET "+p+"/pulls", f.listPulls)
	mux.HandleFunc("GET "+p+"/pulls/{number}", f.getPull)
	mux.HandleFunc("POST "+p+"/pulls", f.createPull)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func sha(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

func (f *fakeGitHub) repoOK(w http.ResponseWriter, r *http.Request, kind string) bool {
	f.calls[r.Method+" "+kind]++
	if r.PathValue("owner") != f.owner || r.PathValue("repo") != f.repo {
		notFound(w)
		return false
	}
	return true
}

func (f *fakeGitHub) refJSON(branch string) map[string]any {
	return map[string]any{"ref": "refs/heads/" + branch, "node_id": "REF_" + branch,
		"url":    fmt.Sprintf("%s/repos/%s/%s/git/refs/heads/%s", f.url, f.owner, f.repo, branch),
		"object": map[string]any{"type": "commit", "sha": f.branches[branch]}}
}

func (f *fakeGitHub) getRef(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "ref") {
		return
	}
	branch, ok := strings.CutPrefix(r.PathValue("ref"), "heads/")
	if _, exists := f.branches[branch]; !ok || !exists {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, f.refJSON(branch))
}

func (f *fakeGitHub) createRef(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "ref") {
		return
	}
	var in struct{ Ref, SHA string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	branch, ok := strings.CutPrefix(in.Ref, "refs/heads/")
	if !ok || in.SHA == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Reference update failed"})
		return
	}
	if _, exists := f.branches[branch]; exists {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Reference already exists"})
		return
	}
	var from string
	for b, s := range f.branches {
		if s == in.SHA {
			from = b
		}
	}
	if from == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Object does not exist"})
		return
	}
	f.branches[branch] = in.SHA
	f.files[branch] = map[string][]byte{}
	for p, c := range f.files[from] {
		f.files[branch][p] = c
	}
	writeJSON(w, http.StatusCreated, f.refJSON(branch))
}

func (f *fakeGitHub) contentJSON(path string, content []byte) map[string]any {
	return map[string]any{"type": "file", "encoding": "base64", "size": len(content), "name": path[strings.LastIndex(path, "/")+1:],
		"path": path, "content": base64.StdEncoding.EncodeToString(content), "sha": sha("blob " + string(content))}
}

func (f *fakeGitHub) getContents(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "contents") {
		return
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = "main"
	}
	c, ok := f.files[ref][r.PathValue("path")]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, f.contentJSON(r.PathValue("path"), c))
}

func (f *fakeGitHub) putContents(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "contents") {
		return
	}
	var in struct {
		Message, Branch, SHA string
		Content              []byte // base64 on the wire
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Message == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Invalid request"})
		return
	}
	path := r.PathValue("path")
	files, ok := f.files[in.Branch]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Branch " + in.Branch + " not found"})
		return
	}
	old, exists := files[path]
	if exists && in.SHA != sha("blob "+string(old)) {
		writeJSON(w, http.StatusConflict, map[string]string{"message": "sha does not match"})
		return
	}
	if !exists && in.SHA != "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "sha given for a new file"})
		return
	}
	files[path] = in.Content
	commit := sha(f.branches[in.Branch] + path + string(in.Content))
	f.branches[in.Branch] = commit
	status := http.StatusCreated
	if exists {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"content": f.contentJSON(path, in.Content),
		"commit": map[string]any{"sha": commit, "message": in.Message}})
}

func (f *fakeGitHub) pullJSON(p *fakePull) map[string]any {
	m := map[string]any{"number": p.Number, "state": p.State, "title": p.Title, "body": p.Body, "merged": p.Merged,
		"html_url": fmt.Sprintf("https://github.example/%s/%s/pull/%d", f.owner, f.repo, p.Number),
		"url":      fmt.Sprintf("%s/repos/%s/%s/pulls/%d", f.url, f.owner, f.repo, p.Number),
		"head":     map[string]any{"ref": p.Head, "sha": f.branches[p.Head], "label": f.owner + ":" + p.Head},
		"base":     map[string]any{"ref": p.Base, "label": f.owner + ":" + p.Base}}
	if p.Merged {
		m["merged_at"] = "2026-01-02T03:04:05Z"
		m["merge_commit_sha"] = p.MergeSHA
	}
	return m
}

func (f *fakeGitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "pulls") {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	out := []map[string]any{}
	for _, p := range f.pulls {
		if (state != "all" && p.State != state) || (q.Get("head") != "" && q.Get("head") != f.owner+":"+p.Head) ||
			(q.Get("base") != "" && q.Get("base") != p.Base) {
			continue
		}
		out = append(out, f.pullJSON(p))
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeGitHub) getPull(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "pull") {
		return
	}
	n, _ := strconv.Atoi(r.PathValue("number"))
	if n < 1 || n > len(f.pulls) {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, f.pullJSON(f.pulls[n-1]))
}

func (f *fakeGitHub) createPull(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.repoOK(w, r, "pulls") {
		return
	}
	var in struct{ Title, Head, Base, Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	if _, ok := f.branches[in.Head]; !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []map[string]string{{"resource": "PullRequest", "field": "head", "code": "invalid"}}})
		return
	}
	for _, p := range f.pulls {
		if p.Head == in.Head && p.Base == in.Base && p.State == "open" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []map[string]string{{"resource": "PullRequest", "code": "custom",
					"message": "A pull request already exists for " + f.owner + ":" + in.Head + "."}}})
			return
		}
	}
	p := &fakePull{Number: len(f.pulls) + 1, Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base, State: "open"}
	f.pulls = append(f.pulls, p)
	writeJSON(w, http.StatusCreated, f.pullJSON(p))
}

// merge merges pull request n into its base, as a person clicking Merge would.
func (f *fakeGitHub) merge(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n-1]
	for path, c := range f.files[p.Head] {
		f.files[p.Base][path] = c
	}
	p.State, p.Merged, p.MergeSHA = "closed", true, sha("merge"+strconv.Itoa(n))
	f.branches[p.Base] = p.MergeSHA
}

// close closes pull request n without merging.
func (f *fakeGitHub) close(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls[n-1].State = "closed"
}

func (f *fakeGitHub) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeGitHub) file(branch, path string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.files[branch][path]
}
