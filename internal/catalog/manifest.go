package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/sphera/atrium/internal/problem"
)

// attachManifests reads the package manifests next to a service's descriptor and records its dependencies and, when
// the descriptor did not say, its language.
func attachManifests(s *Service, snap RepoSnapshot, dir string) {
	lang := ""
	if data, ok := snap.Files[join(dir, "go.mod")]; ok {
		deps, err := ParseGoMod(join(dir, "go.mod"), data)
		if err != nil {
			s.Findings = append(s.Findings, manifestError(join(dir, "go.mod"), err))
		}
		s.Dependencies = append(s.Dependencies, deps...)
		lang = "Go"
	}
	if data, ok := snap.Files[join(dir, "package.json")]; ok {
		lock := snap.Files[join(dir, "package-lock.json")]
		deps, ts, findings := ParsePackageJSON(join(dir, "package.json"), data, lock)
		s.Findings = append(s.Findings, findings...)
		s.Dependencies = append(s.Dependencies, deps...)
		if lang == "" {
			lang = "JavaScript"
			if ts {
				lang = "TypeScript"
			}
		}
	}
	if s.Language == "" {
		s.Language = lang
	}
	if s.Language == "" {
		s.Language = snap.Language
	}
	if s.Language == "" {
		s.Language = "unknown"
	}
}

func manifestError(file string, err error) problem.Problem {
	return problem.Problem{
		Severity: problem.Error,
		Summary:  file + " could not be read",
		Detail:   err.Error() + ". Dependencies from this file are missing until it is fixed.",
		Source:   "manifest",
	}
}

// ParseGoMod lists the direct requirements of a go.mod file.
func ParseGoMod(name string, data []byte) ([]Dependency, error) {
	f, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		return nil, err
	}
	var deps []Dependency
	for _, r := range f.Require {
		if r.Indirect {
			continue
		}
		deps = append(deps, Dependency{Ecosystem: EcosystemGo, Name: r.Mod.Path, Version: r.Mod.Version})
	}
	return deps, nil
}

type packageJSON struct {
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

type packageLock struct {
	LockfileVersion int `json:"lockfileVersion"`
	Packages        map[string]struct {
		Version string `json:"version"`
	} `json:"packages"`
	Dependencies map[string]struct {
		Version string `json:"version"`
	} `json:"dependencies"`
}

// ParsePackageJSON lists the dependencies of a package.json, with the versions its package-lock.json (may be nil)
// resolves. typescript reports whether the package builds with TypeScript.
func ParsePackageJSON(name string, data, lock []byte) (deps []Dependency, typescript bool, findings problem.Problems) {
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, false, problem.Problems{manifestError(name, jsonProblem(data, err))}
	}
	resolved := map[string]string{}
	if lock != nil {
		lockName := strings.TrimSuffix(name, "package.json") + "package-lock.json"
		var pl packageLock
		if err := json.Unmarshal(lock, &pl); err != nil {
			findings = append(findings, manifestError(lockName, jsonProblem(lock, err)))
		} else {
			for k, v := range pl.Packages {
				if n, ok := strings.CutPrefix(k, "node_modules/"); ok && !strings.Contains(n, "/node_modules/") {
					resolved[n] = v.Version
				}
			}
			for k, v := range pl.Dependencies {
				if _, ok := resolved[k]; !ok {
					resolved[k] = v.Version
				}
			}
		}
	}
	add := func(m map[string]string, dev bool) {
		for n, c := range m {
			v := resolved[n]
			if v == "" {
				v = LowestVersion(c)
			}
			deps = append(deps, Dependency{Ecosystem: EcosystemNPM, Name: n, Version: v, Constraint: c, Dev: dev})
			if n == "typescript" {
				typescript = true
			}
		}
	}
	add(pj.Dependencies, false)
	add(pj.DevDependencies, true)
	return deps, typescript, findings
}

// jsonProblem adds the line of a JSON syntax error, which encoding/json reports only as a byte offset.
func jsonProblem(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + strings.Count(string(data[:min(int(se.Offset), len(data))]), "\n")
		return fmt.Errorf("line %d: %w", line, err)
	}
	return err
}

var versionInRange = regexp.MustCompile(`\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?`)

// LowestVersion is the smallest version an npm range accepts, as far as it can be read from the range alone
// ("^1.2.3" → "1.2.3", "~2.1" → "2.1.0"); "" for ranges that name none ("*", "latest", git URLs).
func LowestVersion(constraint string) string {
	c := strings.TrimSpace(constraint)
	if strings.Contains(c, "://") || strings.HasPrefix(c, "git") || strings.HasPrefix(c, "file:") ||
		strings.HasPrefix(c, "workspace:") {
		return ""
	}
	if i := strings.Index(c, "||"); i >= 0 {
		c = c[:i]
	}
	m := versionInRange.FindString(c)
	if m == "" {
		return ""
	}
	core, pre, _ := strings.Cut(m, "-")
	for strings.Count(core, ".") < 2 {
		core += ".0"
	}
	if pre != "" {
		return core + "-" + pre
	}
	return core
}
