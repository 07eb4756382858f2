package golden

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/sphera/atrium/internal/scaffold"
)

// treeSHA is git's SHA of the tree holding files (every one a regular file, mode 100644), computed as git does,
// so push_initial_commit can tell a branch that already holds the plan's files without writing anything.
func treeSHA(files []scaffold.File) (string, error) {
	type node struct {
		files map[string][]byte
		dirs  map[string]*node
	}
	newNode := func() *node { return &node{files: map[string][]byte{}, dirs: map[string]*node{}} }
	root := newNode()
	for _, f := range files {
		p := f.Path
		if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.HasPrefix(p, "../") {
			return "", fmt.Errorf("file path %q is not a clean path inside the repository", f.Path)
		}
		parts := strings.Split(p, "/")
		n := root
		for _, d := range parts[:len(parts)-1] {
			if n.dirs[d] == nil {
				n.dirs[d] = newNode()
			}
			n = n.dirs[d]
		}
		name := parts[len(parts)-1]
		if _, dup := n.files[name]; dup {
			return "", fmt.Errorf("file %q twice in the plan", f.Path)
		}
		n.files[name] = []byte(f.Content)
	}
	hash := func(kind string, body []byte) []byte {
		h := sha1.New()
		fmt.Fprintf(h, "%s %d\x00", kind, len(body))
		h.Write(body)
		return h.Sum(nil)
	}
	var tree func(n *node) ([]byte, error)
	tree = func(n *node) ([]byte, error) {
		type entry struct {
			mode, name string
			sha        []byte
			dir        bool
		}
		var es []entry
		for name, c := range n.files {
			if n.dirs[name] != nil {
				return nil, fmt.Errorf("%q is both a file and a directory", name)
			}
			es = append(es, entry{"100644", name, hash("blob", c), false})
		}
		for name, d := range n.dirs {
			sha, err := tree(d)
			if err != nil {
				return nil, err
			}
			es = append(es, entry{"40000", name, sha, true})
		}
		// git sorts entries by name, a directory as if its name ended in "/".
		key := func(e entry) string {
			if e.dir {
				return e.name + "/"
			}
			return e.name
		}
		sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
		var body []byte
		for _, e := range es {
			body = append(body, e.mode+" "+e.name+"\x00"...)
			body = append(body, e.sha...)
		}
		return hash("tree", body), nil
	}
	sha, err := tree(root)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sha), nil
}
