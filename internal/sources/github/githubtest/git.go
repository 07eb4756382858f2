package githubtest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Git object hashing, as git itself does it, so the SHAs the fake hands out behave like GitHub's: equal content has
// equal blob SHA in every repository.

func objectSHA(kind string, body []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(body))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// BlobSHA is git's SHA of a file's content.
func BlobSHA(content []byte) string { return objectSHA("blob", content) }

// treeEntry is one entry of a tree as the REST API lists it.
type treeEntry struct {
	Path string
	Mode string // 100644, 040000, 120000 (a symbolic link) or 160000 (a submodule)
	Type string // blob, tree or commit (a submodule)
	SHA  string
	Size int
}

// Special are tree entries that are not regular files: symbolic links (slash path → the link's target, stored as
// the blob git stores) and submodules (slash path → the commit SHA they pin, an object of another repository).
type Special struct {
	Symlinks   map[string]string
	Submodules map[string]string
}

// buildTrees hashes every directory of files (slash paths → content) bottom-up. It returns the root tree's SHA and
// each tree's direct entries by SHA.
func buildTrees(files map[string][]byte) (string, map[string][]treeEntry) {
	return buildTreesSpecial(files, Special{})
}

// buildTreesSpecial is buildTrees with the special entries of sp besides the files.
func buildTreesSpecial(files map[string][]byte, sp Special) (string, map[string][]treeEntry) {
	children := map[string]map[string]treeEntry{"": {}} // dir → name → entry
	var ensureDir func(dir string)
	ensureDir = func(dir string) {
		if _, ok := children[dir]; ok {
			return
		}
		children[dir] = map[string]treeEntry{}
		parent := path.Dir(dir)
		if parent == "." {
			parent = ""
		}
		ensureDir(parent)
		children[parent][path.Base(dir)] = treeEntry{Path: path.Base(dir), Mode: "040000", Type: "tree"}
	}
	for p, content := range files {
		dir := path.Dir(p)
		if dir == "." {
			dir = ""
		}
		ensureDir(dir)
		children[dir][path.Base(p)] = treeEntry{Path: path.Base(p), Mode: "100644", Type: "blob",
			SHA: BlobSHA(content), Size: len(content)}
	}
	special := func(p string, e treeEntry) {
		dir := path.Dir(p)
		if dir == "." {
			dir = ""
		}
		ensureDir(dir)
		e.Path = path.Base(p)
		children[dir][e.Path] = e
	}
	for p, target := range sp.Symlinks {
		special(p, treeEntry{Mode: "120000", Type: "blob", SHA: BlobSHA([]byte(target)), Size: len(target)})
	}
	for p, sha := range sp.Submodules {
		special(p, treeEntry{Mode: "160000", Type: "commit", SHA: sha})
	}
	trees := map[string][]treeEntry{}
	var hash func(dir string) string
	hash = func(dir string) string {
		var entries []treeEntry
		for name, e := range children[dir] {
			if e.Type == "tree" {
				e.SHA = hash(strings.TrimPrefix(dir+"/"+name, "/"))
			}
			entries = append(entries, e)
		}
		// git orders tree entries by name, directories compared as if they ended in "/".
		key := func(e treeEntry) string {
			if e.Type == "tree" {
				return e.Path + "/"
			}
			return e.Path
		}
		sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
		var body []byte
		for _, e := range entries {
			raw, _ := hex.DecodeString(e.SHA)
			mode := e.Mode
			if e.Type == "tree" {
				mode = "40000"
			}
			body = append(body, mode+" "+e.Path+"\x00"...)
			body = append(body, raw...)
		}
		sha := objectSHA("tree", body)
		trees[sha] = entries
		return sha
	}
	return hash(""), trees
}

// commitSHA hashes a commit object by the fake's own author.
func commitSHA(tree string, parents []string, message string, at time.Time) string {
	return commitSHAOf(tree, parents, message, at, "", "")
}

// commitSHAOf hashes a commit object by name <email> ("" for the fake's Octo Cat).
func commitSHAOf(tree string, parents []string, message string, at time.Time, name, email string) string {
	if name == "" {
		name, email = "Octo Cat", "octocat@users.noreply.invalid"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	sig := fmt.Sprintf("%s <%s> %d +0000", name, email, at.Unix())
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s\n", sig, sig, message)
	return objectSHA("commit", []byte(b.String()))
}

func parentsOf(sha string) []string {
	if sha == "" {
		return nil
	}
	return []string{sha}
}

// branch is the head commit of a branch of r.
func (r *repo) branch(name string) (string, bool) {
	if name == r.DefaultBranch {
		return r.head, r.head != ""
	}
	sha, ok := r.branches[name]
	return sha, ok
}

// commitBlobs stores the objects of a commit holding files and returns its SHA; s.mu is held.
func (s *Server) commitBlobs(files map[string][]byte, parents []string, message string) string {
	strs := make(map[string]string, len(files))
	for p, c := range files {
		strs[p] = string(c)
	}
	return s.commitFiles(strs, parents, message)
}

// moveBranch points branch name of r at commit sha, as a push does: pushed_at moves (to the fake clock's now, which
// the caller advanced before committing); for the default branch so do its head, files and updated_at. s.mu is held.
func (s *Server) moveBranch(r *repo, name, sha string) {
	r.pushedAt = s.clock
	if name != r.DefaultBranch {
		r.branches[name] = sha
		return
	}
	r.prevHead, r.head = r.head, sha
	r.Files = map[string]string{}
	for p, c := range s.files(sha) {
		r.Files[p] = string(c)
	}
	r.updatedAt = s.clock
}

// files returns the files of a commit (slash paths → content); s.mu is held.
func (s *Server) files(commitSHA string) map[string][]byte {
	out := map[string][]byte{}
	if commitSHA == "" {
		return out
	}
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
	walk("", s.commits[commitSHA].tree)
	return out
}

// lookup finds the tree entry at slash path p in commit; "" is the root directory. s.mu is held.
func (s *Server) lookup(commitSHA, p string) (treeEntry, bool) {
	e := treeEntry{Mode: "040000", Type: "tree", SHA: s.commits[commitSHA].tree}
	if p == "" {
		return e, true
	}
	for _, name := range strings.Split(p, "/") {
		if e.Type != "tree" {
			return treeEntry{}, false
		}
		found := false
		for _, c := range s.trees[e.SHA] {
			if c.Path == name {
				e, found = c, true
				break
			}
		}
		if !found {
			return treeEntry{}, false
		}
	}
	return e, true
}

// ancestors is every commit reachable from sha, sha included; s.mu is held.
func (s *Server) ancestors(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := parentsOf(sha)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[c] {
			continue
		}
		seen[c] = true
		stack = append(stack, s.commits[c].parents...)
	}
	return seen
}

// mergeBase is the nearest commit reachable from both a and b (breadth first from a); "" when there is none.
// s.mu is held.
func (s *Server) mergeBase(a, b string) string {
	inB := s.ancestors(b)
	seen := map[string]bool{}
	queue := parentsOf(a)
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if inB[c] {
			return c
		}
		if !seen[c] {
			seen[c] = true
			queue = append(queue, s.commits[c].parents...)
		}
	}
	return ""
}

// merge3 merges theirs into ours file by file relative to their merge base; ok is false on a conflict (both sides
// changed a file differently).
func merge3(base, ours, theirs map[string][]byte) (merged map[string][]byte, ok bool) {
	merged = map[string][]byte{}
	paths := map[string]bool{}
	for _, m := range []map[string][]byte{base, ours, theirs} {
		for p := range m {
			paths[p] = true
		}
	}
	same := func(m1, m2 map[string][]byte, p string) bool {
		a, inA := m1[p]
		b, inB := m2[p]
		return inA == inB && bytes.Equal(a, b)
	}
	for p := range paths {
		from := ours
		switch {
		case same(base, theirs, p), same(ours, theirs, p):
		case same(base, ours, p):
			from = theirs
		default:
			return nil, false
		}
		if c, in := from[p]; in {
			merged[p] = c
		}
	}
	return merged, true
}

// diffStat counts the files that differ between two file sets and the lines added and deleted.
func diffStat(from, to map[string][]byte) (files, additions, deletions int) {
	paths := map[string]bool{}
	for p := range from {
		paths[p] = true
	}
	for p := range to {
		paths[p] = true
	}
	for p := range paths {
		a, b := from[p], to[p]
		_, inA := from[p]
		_, inB := to[p]
		if inA == inB && bytes.Equal(a, b) {
			continue
		}
		files++
		lines := map[string]int{}
		for _, l := range strings.SplitAfter(string(a), "\n") {
			if l != "" {
				lines[l]++
			}
		}
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if l == "" {
				continue
			}
			if lines[l] > 0 {
				lines[l]--
			} else {
				additions++
			}
		}
		for _, n := range lines {
			deletions += n
		}
	}
	return files, additions, deletions
}
