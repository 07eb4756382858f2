// Package leak finds what looks like a secret committed to a repository: private keys, cloud access keys, tokens
// with known prefixes. It reports the kind and the line of each hit, never the matched text, so that a finding can be
// stored, synced and shown without spreading the secret further (docs/github.md). Risky says which files of a
// repository are worth fetching to scan, by name.
package leak

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// Hit is one match: what it looks like and where. It never holds the matched text.
type Hit struct {
	Kind string `json:"kind"`
	Line int    `json:"line"`
}

// rule is one kind of secret with the pattern that finds it.
type rule struct {
	kind string
	re   *regexp.Regexp
}

var rules = []rule{
	{"private key", regexp.MustCompile(`-----BEGIN ((RSA|EC|DSA|OPENSSH|PGP|ENCRYPTED) )?PRIVATE KEY( BLOCK)?-----`)},
	{"AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"AWS secret access key", regexp.MustCompile(`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b`)},
	{"GitHub token", regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`)},
	{"GitHub fine-grained token", regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{82}\b`)},
	{"Slack token", regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`)},
	{"Slack webhook URL", regexp.MustCompile(`https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}`)},
	{"Stripe live key", regexp.MustCompile(`\b[rs]k_live_[0-9a-zA-Z]{20,}\b`)},
	{"Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"npm token", regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
}

// placeholder marks text that documentation and examples use instead of a real key.
var placeholder = regexp.MustCompile(`(?i)example|xxxxxxxx|dummy|placeholder|0000000000`)

// MaxHits bounds the hits reported for one file.
const MaxHits = 20

// Scan returns the hits in content, by line, at most MaxHits. Binary content (a NUL byte in its first 8 KiB) is
// not scanned.
func Scan(content []byte) []Hit {
	if bytes.IndexByte(content[:min(len(content), 8<<10)], 0) >= 0 {
		return nil
	}
	var hits []Hit
	line := 0
	for len(content) > 0 && len(hits) < MaxHits {
		line++
		var l []byte
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			l, content = content[:i], content[i+1:]
		} else {
			l, content = content, nil
		}
		for _, r := range rules {
			for _, m := range r.re.FindAll(l, -1) {
				if !placeholder.Match(m) {
					hits = append(hits, Hit{Kind: r.kind, Line: line})
					break
				}
			}
		}
	}
	return hits
}

// riskyNames are file names that commonly hold credentials.
var riskyNames = map[string]bool{
	".env": true, "id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "credentials": true,
	".npmrc": true, ".pypirc": true, ".netrc": true, ".git-credentials": true, "kubeconfig": true,
	"application.properties": true, "settings.py": true, "secrets.yml": true, "secrets.yaml": true,
	"secrets.json": true, "terraform.tfvars": true, "wp-config.php": true, ".dockercfg": true,
}

// riskyExts are extensions of files that hold keys or environment-specific settings.
var riskyExts = map[string]bool{".pem": true, ".key": true, ".tfvars": true, ".kubeconfig": true, ".env": true}

// Risky reports whether the file at slash path p is worth fetching to scan: .env files, keys, credential and
// settings files, and the YAML/JSON/properties files of config directories — outside vendored code, node_modules
// and test fixtures.
func Risky(p string) bool {
	lower := strings.ToLower(p)
	for _, skip := range []string{"node_modules/", "vendor/", "testdata/", "fixtures/", "__tests__/", "test/fixtures"} {
		if strings.HasPrefix(lower, skip) || strings.Contains(lower, "/"+skip) {
			return false
		}
	}
	base := path.Base(lower)
	if riskyNames[base] || riskyExts[path.Ext(base)] || strings.HasPrefix(base, ".env.") ||
		strings.HasPrefix(base, "application-") && (strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml") ||
			strings.HasSuffix(base, ".properties")) {
		return true
	}
	dir := path.Dir(lower)
	if dir == "config" || strings.HasSuffix(dir, "/config") {
		switch path.Ext(base) {
		case ".yml", ".yaml", ".json", ".properties", ".toml", ".ini":
			return true
		}
	}
	return false
}
