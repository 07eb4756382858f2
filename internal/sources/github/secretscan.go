package github

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/problem"
	"github.com/sphera/atrium/internal/secrets/leak"
)

// Secrets committed to repositories (docs/github.md): besides the descriptors and manifests it reads anyway, the
// collector fetches a bounded number of risky files of each repository (leak.Risky: .env files, keys, credential
// and config files) and scans all of them for secrets. Risky files are fetched without any cache — neither the
// blob table nor the HTTP answer cache ever holds them — and only when the default branch's head moved and the
// file's blob changed: what each scan found (kind and line, never the matched text) is kept per file with the blob's
// SHA. A hit is a finding of source "secrets-scan" on the service whose directory holds the file.

const (
	// ScanSource is the source of the findings the secrets scan reports.
	ScanSource = "secrets-scan"
	// maxRiskyFiles bounds the risky files fetched per repository and sync (each costs one request).
	maxRiskyFiles = 25
	// maxRiskyBytes bounds a risky file's size; larger ones are not fetched.
	maxRiskyBytes = 256 << 10
)

// scanRef is what the scan found in one file at one blob.
type scanRef struct {
	SHA  string     `json:"sha"`
	Hits []leak.Hit `json:"hits,omitempty"`
	// Skipped says why the file was not scanned (too large, over the per-repository budget).
	Skipped string `json:"skipped,omitempty"`
}

func (c *Collector) loadScans(ctx context.Context, id int64) (map[string]scanRef, error) {
	var raw string
	err := c.db.QueryRowContext(ctx, `SELECT scans FROM github_repos WHERE source = ? AND id = ?`, c.source, id).Scan(&raw)
	out := map[string]scanRef{}
	if err != nil {
		return out, nil // no row yet: nothing scanned
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return map[string]scanRef{}, nil // unreadable: scan again
	}
	return out, nil
}

func (c *Collector) saveScans(ctx context.Context, id int64, scans map[string]scanRef) error {
	b, _ := json.Marshal(scans)
	_, err := c.db.ExecContext(ctx, `UPDATE github_repos SET scans = ? WHERE source = ? AND id = ?`, string(b), c.source, id)
	return err
}

// scanForSecrets scans a repository at head: the files already read (contents) and its risky files (risky, from the
// tree; nil when the tree was not listed because head did not move, and then the last scans stand).
func (c *Collector) scanForSecrets(ctx context.Context, m repoMeta, files map[string]fileRef, risky map[string]fileRef,
	contents map[string][]byte) (map[string]scanRef, error) {
	prev, err := c.loadScans(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	if risky == nil {
		return prev, nil
	}
	out := map[string]scanRef{}
	for p, b := range contents {
		out[p] = scanRef{SHA: files[p].SHA, Hits: leak.Scan(b)}
	}
	paths := make([]string, 0, len(risky))
	for p := range risky {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	fetched := 0
	for _, p := range paths {
		f := risky[p]
		if old, ok := prev[p]; ok && old.SHA == f.SHA && old.Skipped == "" {
			out[p] = old
			continue
		}
		switch {
		case f.Size > maxRiskyBytes:
			out[p] = scanRef{SHA: f.SHA, Skipped: fmt.Sprintf("%d bytes, over %d", f.Size, maxRiskyBytes)}
			continue
		case fetched >= maxRiskyFiles:
			out[p] = scanRef{SHA: f.SHA, Skipped: fmt.Sprintf("over the %d risky files scanned per repository and sync", maxRiskyFiles)}
			continue
		}
		fetched++
		// Straight from GitHub: never through h.blob, whose table caches contents.
		b, _, err := call(ctx, func() ([]byte, *gh.Response, error) {
			return c.hub.client.Git.GetBlobRaw(ctx, m.Owner, m.Name, f.SHA)
		})
		if err != nil {
			return nil, fmt.Errorf("read %s to scan it for secrets: %w", p, err)
		}
		out[p] = scanRef{SHA: f.SHA, Hits: leak.Scan(b)}
		clear(b)
	}
	return out, nil
}

// attachSecretFindings adds a finding per file with hits to the service whose directory holds it (the deepest), or
// to every service of the repository for a file outside all of them.
func attachSecretFindings(svcs []catalog.Service, scans map[string]scanRef) {
	paths := make([]string, 0, len(scans))
	for p := range scans {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var skipped []string
	for _, p := range paths {
		s := scans[p]
		if s.Skipped != "" {
			skipped = append(skipped, p+" ("+s.Skipped+")")
			continue
		}
		if len(s.Hits) == 0 {
			continue
		}
		kinds := map[string][]string{}
		var order []string
		for _, h := range s.Hits {
			if _, ok := kinds[h.Kind]; !ok {
				order = append(order, h.Kind)
			}
			kinds[h.Kind] = append(kinds[h.Kind], fmt.Sprint(h.Line))
		}
		var where []string
		for _, k := range order {
			where = append(where, fmt.Sprintf("%s on line %s", k, strings.Join(kinds[k], ", ")))
		}
		f := problem.Problem{Severity: problem.Error, Source: ScanSource, Path: p,
			Summary: fmt.Sprintf("Possible secret committed in %s", p),
			Detail: strings.Join(where, "; ") + ". Remove it from the repository and its history, rotate it, and keep it " +
				"in Atrium's secrets instead (the matched text is not stored here)."}
		for _, i := range owners(svcs, p) {
			svcs[i].Findings = append(svcs[i].Findings, f)
		}
	}
	if len(skipped) > 0 {
		w := problem.Problem{Severity: problem.Warning, Source: ScanSource,
			Summary: fmt.Sprintf("%d risky files not scanned for secrets", len(skipped)), Detail: strings.Join(skipped, "; ")}
		for i := range svcs {
			svcs[i].Findings = append(svcs[i].Findings, w)
		}
	}
}

// owners are the indexes of the services a file at p belongs to.
func owners(svcs []catalog.Service, p string) []int {
	best, depth := -1, -1
	for i, s := range svcs {
		dir := strings.Trim(s.Repository.Path, "/")
		if (dir == "" || p == dir || strings.HasPrefix(p, dir+"/")) && len(dir) > depth {
			best, depth = i, len(dir)
		}
	}
	if best >= 0 && depth > 0 {
		return []int{best}
	}
	all := make([]int, len(svcs))
	for i := range svcs {
		all[i] = i
	}
	return all
}
