package githubtest

import (
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
	Mode string // 100644 or 040000
	Type string // blob or tree
	SHA  string
	Size int
}

// buildTrees hashes every directory of files (slash paths → content) bottom-up. It returns the root tree's SHA and
// each tree's direct entries by SHA.
func buildTrees(files map[string][]byte) (string, map[string][]treeEntry) {
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

// commitSHA hashes a commit object.
func commitSHA(tree, parent, message string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tree %s\n", tree)
	if parent != "" {
		fmt.Fprintf(&b, "parent %s\n", parent)
	}
	sig := fmt.Sprintf("Octo Cat <octocat@users.noreply.invalid> %d +0000", at.Unix())
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s\n", sig, sig, message)
	return objectSHA("commit", []byte(b.String()))
}
