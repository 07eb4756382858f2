package server

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/sources/versions"
)

// The collectors' sections of the configuration file (github, versions), the environment variables that override
// them, and their checks. The Kubernetes cluster registry is a file of its own (kube.Config).

// GitHubConfig configures the GitHub collector.
type GitHubConfig struct {
	APIURL            string    `yaml:"api_url"` // default: GitHub's public API
	Orgs              []string  `yaml:"orgs"`
	Token             string    `yaml:"token"`
	TokenFile         string    `yaml:"token_file"`
	App               AppConfig `yaml:"app"`
	WebhookSecret     string    `yaml:"webhook_secret"`
	WebhookSecretFile string    `yaml:"webhook_secret_file"`
	IncludeArchived   bool      `yaml:"include_archived"`
	SyncInterval      Duration  `yaml:"sync_interval"` // default 15m
	Concurrency       int       `yaml:"concurrency"`   // default 8
	// ProtectionInterval is how often the default branch's protection of a repository nobody pushed to is read
	// again (a push reads it at once); default 6h.
	ProtectionInterval Duration `yaml:"protection_interval"`
}

// AppConfig authenticates as a GitHub App installation instead of a token.
type AppConfig struct {
	AppID          int64  `yaml:"app_id"`
	InstallationID int64  `yaml:"installation_id"`
	PrivateKeyFile string `yaml:"private_key_file"`
}

// VersionsConfig says where newest package versions come from.
type VersionsConfig struct {
	NPMRegistry string   `yaml:"npm_registry"` // default: registry= of ~/.npmrc or $NPM_CONFIG_REGISTRY
	GoProxy     string   `yaml:"goproxy"`      // default: first URL of $GOPROXY / `go env GOPROXY`
	Refresh     Duration `yaml:"refresh"`      // default 24h
}

// Duration reads "15m", "6h" in YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 15m or 6h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// applyEnv overrides fc with the ATRIUM_* environment variables that are set.
func (fc *FileConfig) applyEnv() error {
	g := &fc.GitHub
	str := func(key string, dst *string) {
		if v, ok := os.LookupEnv(key); ok && strings.TrimSpace(v) != "" {
			*dst = strings.TrimSpace(v)
		}
	}
	var problems []error
	integer := func(key string, set func(int64)) {
		if v := strings.TrimSpace(os.Getenv(key)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				problems = append(problems, fmt.Errorf("%s=%q is not a non-negative integer", key, v))
				return
			}
			set(n)
		}
	}
	duration := func(key string, dst *Duration) {
		if v := strings.TrimSpace(os.Getenv(key)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				problems = append(problems, fmt.Errorf("%s=%q is not a duration like 15m or 6h", key, v))
				return
			}
			*dst = Duration(d)
		}
	}
	str("ATRIUM_GITHUB_API_URL", &g.APIURL)
	if v := os.Getenv("ATRIUM_GITHUB_ORGS"); strings.TrimSpace(v) != "" {
		g.Orgs = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				g.Orgs = append(g.Orgs, o)
			}
		}
	}
	str("ATRIUM_GITHUB_TOKEN", &g.Token)
	str("ATRIUM_GITHUB_WEBHOOK_SECRET", &g.WebhookSecret)
	str("ATRIUM_GITHUB_APP_PRIVATE_KEY_FILE", &g.App.PrivateKeyFile)
	integer("ATRIUM_GITHUB_APP_ID", func(n int64) { g.App.AppID = n })
	integer("ATRIUM_GITHUB_APP_INSTALLATION_ID", func(n int64) { g.App.InstallationID = n })
	integer("ATRIUM_GITHUB_CONCURRENCY", func(n int64) { g.Concurrency = int(n) })
	duration("ATRIUM_GITHUB_SYNC_INTERVAL", &g.SyncInterval)
	if v := strings.TrimSpace(os.Getenv("ATRIUM_GITHUB_INCLUDE_ARCHIVED")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Errorf("ATRIUM_GITHUB_INCLUDE_ARCHIVED=%q is not true or false", v))
		}
		g.IncludeArchived = b
	}
	str("ATRIUM_NPM_REGISTRY", &fc.Versions.NPMRegistry)
	str("ATRIUM_GOPROXY", &fc.Versions.GoProxy)
	duration("ATRIUM_VERSIONS_REFRESH", &fc.Versions.Refresh)
	return errors.Join(problems...)
}

// GitHubEnabled reports whether any organisation is configured.
func (fc FileConfig) GitHubEnabled() bool { return len(fc.GitHub.Orgs) > 0 }

// githubHubNeeded reports whether the portal reads GitHub: organisations to catalog, or templates repositories.
func (fc FileConfig) githubHubNeeded() bool {
	return fc.GitHubEnabled() || (fc.GoldenPath != nil && len(fc.GoldenPath.Templates) > 0)
}

// githubConfig resolves secrets from files and checks the GitHub part.
func (fc FileConfig) githubConfig() (github.Config, error) {
	g := fc.GitHub
	cfg := github.Config{APIURL: g.APIURL, Orgs: g.Orgs, Token: g.Token, WebhookSecret: g.WebhookSecret,
		IncludeArchived: g.IncludeArchived, Interval: time.Duration(g.SyncInterval), Concurrency: g.Concurrency,
		ProtectionInterval: time.Duration(g.ProtectionInterval)}
	read := func(what, path string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("github %s: %w", what, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	var err error
	if cfg.Token == "" && g.TokenFile != "" {
		if cfg.Token, err = read("token_file", g.TokenFile); err != nil {
			return cfg, err
		}
	}
	if cfg.WebhookSecret == "" && g.WebhookSecretFile != "" {
		if cfg.WebhookSecret, err = read("webhook_secret_file", g.WebhookSecretFile); err != nil {
			return cfg, err
		}
	}
	if g.App.AppID != 0 || g.App.InstallationID != 0 || g.App.PrivateKeyFile != "" {
		if g.App.AppID == 0 || g.App.InstallationID == 0 || g.App.PrivateKeyFile == "" {
			return cfg, errors.New("github app: app_id, installation_id and private_key_file are all needed " +
				"(ATRIUM_GITHUB_APP_ID, ATRIUM_GITHUB_APP_INSTALLATION_ID, ATRIUM_GITHUB_APP_PRIVATE_KEY_FILE)")
		}
		key, err := os.ReadFile(g.App.PrivateKeyFile)
		if err != nil {
			return cfg, fmt.Errorf("github app private key: %w", err)
		}
		cfg.App = &github.AppAuth{AppID: g.App.AppID, InstallationID: g.App.InstallationID, PrivateKey: key}
	}
	if cfg.Token == "" && cfg.App == nil {
		return cfg, errors.New("the github section has no credentials: set ATRIUM_GITHUB_TOKEN " +
			"(or github.token / github.token_file, or a github.app installation)")
	}
	return cfg, nil
}

// versionsConfig fills registry defaults from the user's npm and Go configuration.
func (fc FileConfig) versionsConfig() versions.Config {
	v := fc.Versions
	if v.NPMRegistry == "" {
		v.NPMRegistry = versions.DefaultNPMRegistry()
	}
	if v.GoProxy == "" {
		v.GoProxy = versions.DefaultGoProxy()
	}
	return versions.Config{NPMRegistry: v.NPMRegistry, GoProxy: v.GoProxy, Refresh: time.Duration(v.Refresh)}
}
