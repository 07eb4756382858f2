package githubtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sphera/atrium/internal/sources/github/githubtest"
)

// TestSymlinksSubmodulesAndTruncatedTrees: trees list symbolic links (mode 120000, a blob holding the target) and
// submodules (type commit, mode 160000, no size) as GitHub does, the contents API does not make files of
// submodules, and a recursive listing past the tree limit is cut and says truncated.
func TestSymlinksSubmodulesAndTruncatedTrees(t *testing.T) {
	ctx := context.Background()
	s := githubtest.New(t)
	s.AddOrg("acme")
	s.AddRepo("acme", githubtest.Repo{Name: "templates"})
	sub := strings.Repeat("ab", 20)
	s.PushSpecial("acme", "templates", map[string]string{"a/file.txt": "hello\n", "b/c/d.txt": "deep\n"},
		githubtest.Special{Symlinks: map[string]string{"a/link": "../b"}, Submodules: map[string]string{"vendor/lib": sub}})
	c := client(t, s, s.Token)
	head := s.Head("acme", "templates")

	tree, _, err := c.Git.GetTree(ctx, "acme", "templates", head, true)
	if err != nil || tree.GetTruncated() {
		t.Fatalf("tree: %+v %v", tree, err)
	}
	got := map[string]string{}
	for _, e := range tree.Entries {
		got[e.GetPath()] = e.GetType() + " " + e.GetMode()
		switch e.GetPath() {
		case "a/link":
			if e.GetSHA() != githubtest.BlobSHA([]byte("../b")) || e.GetSize() != 4 {
				t.Errorf("symbolic link: %+v", e)
			}
			b, _, err := c.Git.GetBlobRaw(ctx, "acme", "templates", e.GetSHA())
			if err != nil || string(b) != "../b" {
				t.Errorf("the link's blob: %q %v", b, err)
			}
		case "vendor/lib":
			if e.GetSHA() != sub || e.Size != nil || e.URL != nil {
				t.Errorf("submodule: %+v", e)
			}
		}
	}
	want := map[string]string{"a": "tree 040000", "a/file.txt": "blob 100644", "a/link": "blob 120000", "b": "tree 040000",
		"b/c": "tree 040000", "b/c/d.txt": "blob 100644", "vendor": "tree 040000", "vendor/lib": "commit 160000"}
	if len(got) != len(want) {
		t.Errorf("entries: %v", got)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: %q, want %q", p, got[p], w)
		}
	}

	s.SetTreeLimit(2)
	tree, _, err = c.Git.GetTree(ctx, "acme", "templates", head, true)
	if err != nil || !tree.GetTruncated() || len(tree.Entries) != 2 {
		t.Errorf("past the limit: truncated=%v, %d entries, %v", tree.GetTruncated(), len(tree.Entries), err)
	}
	if tree, _, err = c.Git.GetTree(ctx, "acme", "templates", head, false); err != nil || tree.GetTruncated() || len(tree.Entries) != 3 {
		t.Errorf("a listing of one level is not cut: %+v %v", tree, err)
	}
}
