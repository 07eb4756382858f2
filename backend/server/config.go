package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/actions/flagchange"
	"github.com/sphera/atrium/internal/auth"
	"github.com/sphera/atrium/internal/drift"
	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/scaffold"
	"github.com/sphera/atrium/internal/scorecard"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/sources/kube"
)

// Config configures a portal server.
type Config struct {
	Addr    string // listen address, e.g. 127.0.0.1:8080
	DataDir string // holds portal.db
	// AdminToken, when set, is stored (hashed) as the seeded admin API token on start unless it already exists;
	// a new value revokes the previous seeded admin token.
	AdminToken string
	// Demo seeds the demo catalog: "on", "off", or "auto" (on when no collector is configured).
	Demo string
	// ConfigFile is the portal's YAML configuration (OIDC, actions, flags, sources).
	ConfigFile string
	// File is the parsed ConfigFile, completed from the environment by FromEnv.
	File FileConfig
	// FlagEnvironments are the environments flags are managed in (default dev, staging, production).
	FlagEnvironments []string
	// FlagStaleDays is how long a fully rolled-out or disabled flag stays unchanged before it is marked stale.
	FlagStaleDays int
	// KubeClusters is the path of the Kubernetes cluster registry (see kube.Config); FromEnv reads it into Kube.
	KubeClusters string
	Kube         kube.Config
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client whose failed authentications
	// are limited; by default nobody's is trusted (see api.AuthLimiter).
	TrustedProxies []netip.Prefix
	// NoWorker starts no action worker: the portal answers and records, and runnable actions wait in the database
	// for a portal that runs one. For processes that only read (the CLI's catalog commands in local mode).
	NoWorker bool
	// VaultKey gives local mode's secrets vault its key (the desktop's OS keyring); nil: a key file in DataDir.
	VaultKey func() ([]byte, error)
	Log      *slog.Logger

	// templates is the golden path's template registry, which Open shares between the golden path and the
	// templates repositories' syncs; nil: the built-in templates only.
	templates *scaffold.Registry
}

// FileConfig is the portal's configuration file.
//
//	oidc:                        # optional; ATRIUM_OIDC_ISSUER and ATRIUM_OIDC_AUDIENCE override issuer and audience
//	  issuer: https://login.sphera.example
//	  audience: atrium
//	  subject_claim: email       # default sub
//	  groups_claim: groups       # default groups
//	  grants:                    # group → grants, "role" (all teams) or "role@team"
//	    platform-team: [platform_approver]
//	    payments-devs: [developer@payments]
//	actions: ...                 # see actions.Config and docs/self-service.md
//	flags: ...                   # see flagchange.Config and docs/flags.md
//	github: ...                  # see GitHubConfig and docs/github.md
//	versions: ...                # see VersionsConfig
//	golden_path: ...             # see golden.go and docs/golden-path.md
//	scorecards: ...              # see scorecard.Config and docs/scorecards.md
//	fleet: ...                   # see FleetConfig and docs/fleet.md
//	secrets: ...                 # see secrets.Config and docs/secrets.md
//	aws: ...                     # see AWSConfig and docs/drift.md
//	drift: ...                   # see drift.Config and docs/drift.md
type FileConfig struct {
	OIDC       *auth.OIDCConfig  `yaml:"oidc"`
	Actions    actions.Config    `yaml:"actions"`
	Flags      flagchange.Config `yaml:"flags"`
	GitHub     GitHubConfig      `yaml:"github"`
	Versions   VersionsConfig    `yaml:"versions"`
	Scorecards scorecard.Config  `yaml:"scorecards"`
	// GoldenPath is where the golden path puts new services, and the templates repositories it syncs; nil: no
	// golden path on this portal.
	GoldenPath *GoldenPathConfig `yaml:"golden_path"`
	Fleet      FleetConfig       `yaml:"fleet"`
	// Secrets are the secrets conventions (docs/secrets.md); nil: no secrets on this portal.
	Secrets *secrets.Config `yaml:"secrets"`
	// AWS is the AWS collector (awsconfig.go, docs/drift.md).
	AWS AWSConfig `yaml:"aws"`
	// Drift is drift detection (drift.go, docs/drift.md).
	Drift drift.Config `yaml:"drift"`
}

// LoadFileConfig reads and checks a configuration file; unknown keys are errors, so a typo is not ignored.
func LoadFileConfig(path string) (FileConfig, error) {
	var fc FileConfig
	f, err := os.Open(path)
	if err != nil {
		return fc, fmt.Errorf("read config: %w", err)
	}
	defer f.Close() //nolint:errcheck // read only: closing loses nothing
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, fmt.Errorf("config %s: %w", path, err)
	}
	return fc, nil
}

// RegisterFlags defines the server's flags on fs, with defaults from the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", envOr("ATRIUM_ADDR", "127.0.0.1:8080"), "address to listen on ($ATRIUM_ADDR)")
	fs.StringVar(&c.DataDir, "data", envOr("ATRIUM_DATA", "atrium-data"), "directory of the portal database ($ATRIUM_DATA)")
	fs.StringVar(&c.Demo, "demo", envOr("ATRIUM_DEMO", "auto"),
		"seed the demo catalog: auto (when no collector is configured), on, off ($ATRIUM_DEMO)")
	fs.StringVar(&c.ConfigFile, "config", os.Getenv("ATRIUM_CONFIG"),
		"YAML configuration: OIDC sign-in, action environments, approval policy, GitHub organisations, registries ($ATRIUM_CONFIG)")
	fs.Func("flag-environments", "comma-separated environments of feature flags (default dev,staging,production; "+
		"$ATRIUM_FLAG_ENVIRONMENTS)", func(v string) error {
		envs, err := ParseEnvironments(v)
		c.FlagEnvironments = envs
		return err
	})
	fs.IntVar(&c.FlagStaleDays, "flag-stale-days", envInt("ATRIUM_FLAG_STALE_DAYS", 30),
		"days a fully rolled-out or disabled flag stays unchanged before it is marked stale ($ATRIUM_FLAG_STALE_DAYS)")
	fs.StringVar(&c.KubeClusters, "kube-clusters", os.Getenv("ATRIUM_KUBE_CLUSTERS"),
		"YAML file registering the Kubernetes clusters to collect ($ATRIUM_KUBE_CLUSTERS)")
	fs.Func("trusted-proxies", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For "+
		"names the client (default none; $ATRIUM_TRUSTED_PROXIES)", func(v string) error {
		ps, err := ParseProxies(v)
		c.TrustedProxies = ps
		return err
	})
}

// ParseProxies reads a comma-separated list of addresses ("10.0.0.5") and CIDR ranges ("10.0.0.0/8").
func ParseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or CIDR range", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ParseEnvironments reads a comma-separated list of flag environments.
func ParseEnvironments(v string) ([]string, error) {
	var envs []string
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !flags.ValidKey(e) {
			return nil, fmt.Errorf("flag environment %q: use letters, digits, and _ . : -", e)
		}
		if slices.Contains(envs, e) {
			return nil, fmt.Errorf("flag environment %q is listed twice", e)
		}
		envs = append(envs, e)
	}
	if len(envs) == 0 {
		return nil, fmt.Errorf("no flag environments given")
	}
	return envs, nil
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

// FromEnv completes c from the environment (secrets are never flags, so they stay out of process listings) and
// checks it.
func (c *Config) FromEnv() error {
	switch c.Demo {
	case "auto", "on", "off":
	default:
		return fmt.Errorf("--demo must be auto, on or off, not %q", c.Demo)
	}
	c.AdminToken = os.Getenv("ATRIUM_ADMIN_TOKEN")
	if len(c.FlagEnvironments) == 0 {
		if v := os.Getenv("ATRIUM_FLAG_ENVIRONMENTS"); v != "" {
			envs, err := ParseEnvironments(v)
			if err != nil {
				return fmt.Errorf("$ATRIUM_FLAG_ENVIRONMENTS: %w", err)
			}
			c.FlagEnvironments = envs
		}
	}
	if len(c.TrustedProxies) == 0 {
		ps, err := ParseProxies(os.Getenv("ATRIUM_TRUSTED_PROXIES"))
		if err != nil {
			return fmt.Errorf("$ATRIUM_TRUSTED_PROXIES: %w", err)
		}
		c.TrustedProxies = ps
	}
	if c.FlagStaleDays < 0 {
		return fmt.Errorf("--flag-stale-days must not be negative, not %d", c.FlagStaleDays)
	}
	if c.KubeClusters != "" {
		k, err := kube.LoadConfig(c.KubeClusters)
		if err != nil {
			return err
		}
		c.Kube = k
	}
	if c.ConfigFile != "" {
		fc, err := LoadFileConfig(c.ConfigFile)
		if err != nil {
			return err
		}
		c.File = fc
	}
	return c.File.complete()
}

// complete fills the configuration from the environment and checks it.
func (fc *FileConfig) complete() error {
	iss, aud := os.Getenv("ATRIUM_OIDC_ISSUER"), os.Getenv("ATRIUM_OIDC_AUDIENCE")
	if iss != "" || aud != "" {
		if fc.OIDC == nil {
			fc.OIDC = &auth.OIDCConfig{}
		}
		if iss != "" {
			fc.OIDC.Issuer = iss
		}
		if aud != "" {
			fc.OIDC.Audience = aud
		}
	}
	if fc.OIDC != nil {
		if fc.OIDC.Issuer == "" || fc.OIDC.Audience == "" {
			return errors.New("OIDC needs an issuer and an audience (oidc.issuer/oidc.audience in the config file, or $ATRIUM_OIDC_ISSUER/$ATRIUM_OIDC_AUDIENCE)")
		}
		if _, err := auth.NewOIDC(*fc.OIDC, nil); err != nil {
			return err
		}
	}
	if fc.Actions.Environments == nil {
		fc.Actions.Environments = map[string]actions.Environment{}
	}
	if err := fc.Actions.Check(); err != nil {
		return err
	}
	if err := fc.Flags.Check(); err != nil {
		return err
	}
	fc.Actions.GitHub.Token = os.Getenv("ATRIUM_GITHUB_TOKEN")
	if err := fc.applyEnv(); err != nil {
		return err
	}
	if fc.GitHubEnabled() {
		if _, err := fc.githubConfig(); err != nil {
			return err
		}
	}
	if u := os.Getenv("ATRIUM_SCORECARD_WEBHOOK_URL"); u != "" {
		fc.Scorecards.Webhook.URL = u
	}
	if _, err := fc.scorecardEngine(); err != nil {
		return err
	}
	if err := fc.Fleet.check(); err != nil {
		return err
	}
	if err := fc.checkGoldenPath(); err != nil {
		return err
	}
	if err := fc.checkAWS(); err != nil {
		return err
	}
	if err := fc.checkDrift(); err != nil {
		return err
	}
	return fc.checkSecrets()
}

// scorecardEngine compiles the scorecard rules (nil when scorecards are off): a rule that does not compile refuses
// the configuration, naming the rule and where in it.
func (fc *FileConfig) scorecardEngine() (*scorecard.Engine, error) {
	if fc.Scorecards.Off {
		return nil, nil
	}
	if u := fc.Scorecards.Webhook.URL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return nil, errors.New("scorecards.webhook.url (or $ATRIUM_SCORECARD_WEBHOOK_URL) must be an http(s) URL")
		}
	}
	return scorecard.New(fc.Scorecards)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// LocalConfig is the portal configuration of local mode: the demo's environments, whose actions are previewed
// (the Terraform a pull request would add is shown) rather than carried out, with the approval rules a team
// portal would typically have.
func LocalConfig() FileConfig {
	none := []string{}
	owners := []string{"team_owner"}
	regions := []string{"eu-west-1", "us-east-1"}
	fc := FileConfig{Actions: actions.Config{
		Environments: map[string]actions.Environment{
			"dev":        {Regions: regions, Delivery: actions.DeliveryPreview, Approvers: &none},
			"staging":    {Regions: regions, Delivery: actions.DeliveryPreview, Approvers: &owners},
			"production": {Regions: regions, Delivery: actions.DeliveryPreview}, // a platform approver
		},
		Worker: actions.WorkerConfig{Poll: 2 * time.Second},
	},
		// Production's flag changes wait for a platform approver, as every production change does; the demo
		// personas (app/personas.go) let one person request and approve them.
		Flags: flagchange.Config{Approvers: map[string][]string{"production": {auth.RolePlatformApprover}}},
		// The whole flow of a new service, through the real pipeline: the catalog entry is real, the rest previewed.
		GoldenPath: &GoldenPathConfig{Target: *localTarget()},
		// Scorecards on, with the demo's core packages: some services are below the threshold and the gate
		// refuses them in production (docs/scorecards.md).
		Scorecards: scorecard.Config{CorePackages: []scorecard.CorePackage{
			{Name: "react", AllowedLag: "minor"}, {Name: "go.opentelemetry.io/otel", AllowedLag: "minor"},
			{Name: "google.golang.org/grpc", AllowedLag: "minor"}}},
		// Secrets in a vault of the data directory, encrypted at rest: the whole flow without a cluster or AWS.
		Secrets: localSecrets(),
	}
	if err := fc.Actions.Check(); err != nil {
		panic(err) // a constant configuration
	}
	return fc
}
