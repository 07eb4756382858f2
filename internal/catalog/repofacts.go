package catalog

import (
	"path"
	"sort"
	"strings"
)

// RepoFacts are what a platform team requires of a service's repository, as a collector saw them at the head of
// its default branch. Paths are slash paths from the repository's root; "" means there is none.
type RepoFacts struct {
	// Readme is the README covering the service: the one in its directory, else the repository's.
	Readme string `json:"readme"`
	// CodeOwners is the CODEOWNERS file GitHub uses (.github/, the root, then docs/, as GitHub looks).
	CodeOwners string `json:"codeowners"`
	// Workflows are the CI workflow files (.github/workflows/*.yml and *.yaml).
	Workflows []string `json:"workflows"`
	// BranchProtection of the default branch; nil when unknown (the collector's credentials may not read it).
	BranchProtection *BranchProtection `json:"branch_protection,omitempty"`
}

// BranchProtection is how a branch is protected. Enabled false: not protected at all.
type BranchProtection struct {
	Enabled bool `json:"enabled"`
	// RequiredReviews is the approving reviews a pull request needs (0: none required).
	RequiredReviews int `json:"required_reviews"`
	// RequiredChecks are the status checks that must pass before merging.
	RequiredChecks []string `json:"required_checks"`
	// EnforceAdmins: the rules apply to administrators too.
	EnforceAdmins bool `json:"enforce_admins"`
}

// RepoTree is what RepoFacts take from a repository's tree listing, for every service in it: the README of each
// directory that has one, the CODEOWNERS file and the workflow files. A collector keeps it with the tree's commit
// and derives each service's facts with For.
type RepoTree struct {
	Readmes    map[string]string `json:"readmes"` // directory ("" for the root) → README path
	CodeOwners string            `json:"codeowners"`
	Workflows  []string          `json:"workflows"`
}

// maxTreeReadmes bounds the READMEs kept of one repository: a monorepo with thousands of documented directories
// keeps the first ones by path (services' directories are rarely deep).
const maxTreeReadmes = 2000

// codeOwnersOrder is where GitHub looks for CODEOWNERS, first match wins.
var codeOwnersOrder = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// ScanTree collects a RepoTree from the blob paths of a tree listing.
func ScanTree(paths []string) RepoTree {
	t := RepoTree{Readmes: map[string]string{}, Workflows: []string{}}
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	owners := map[string]bool{}
	for _, p := range sorted {
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case isReadme(base):
			if _, ok := t.Readmes[dir]; !ok && len(t.Readmes) < maxTreeReadmes {
				t.Readmes[dir] = p
			}
		case base == "CODEOWNERS":
			owners[p] = true
		case dir == ".github/workflows" && (strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml")):
			t.Workflows = append(t.Workflows, p)
		}
	}
	for _, p := range codeOwnersOrder {
		if owners[p] {
			t.CodeOwners = p
			break
		}
	}
	return t
}

func isReadme(base string) bool {
	name := strings.ToLower(base)
	if ext := path.Ext(name); ext != "" {
		switch ext {
		case ".md", ".markdown", ".rst", ".txt", ".adoc", ".org":
			name = strings.TrimSuffix(name, ext)
		default:
			return false
		}
	}
	return name == "readme"
}

// For is the facts of the service whose descriptor is in directory dir ("" at the root), with the branch
// protection the collector read (nil: unknown).
func (t RepoTree) For(dir string, protection *BranchProtection) *RepoFacts {
	f := &RepoFacts{CodeOwners: t.CodeOwners, Workflows: append([]string{}, t.Workflows...), BranchProtection: protection}
	if r, ok := t.Readmes[dir]; ok {
		f.Readme = r
	} else {
		f.Readme = t.Readmes[""]
	}
	return f
}
