package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/sphera/atrium/internal/actions"
	"github.com/sphera/atrium/internal/agent"
	"github.com/sphera/atrium/internal/audit"
	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/secrets"
	"github.com/sphera/atrium/internal/secrets/awssm"
	"github.com/sphera/atrium/internal/secrets/vault"
	awssrc "github.com/sphera/atrium/internal/sources/aws"
	"github.com/sphera/atrium/internal/store"
)

// The secrets section of the configuration file is secrets.Config (docs/secrets.md): the conventions (naming,
// environments and their backends, required environments, who may reveal where, the largest value). Writes are
// actions of the secrets delivery path; the portal's staging key (secrets.staging_key_file, default
// DATA/secrets-staging.key) seals values between their request and their write.

// checkSecrets checks the secrets section.
func (fc *FileConfig) checkSecrets() error {
	if fc.Secrets == nil {
		return nil
	}
	if ps := fc.Secrets.Check(); ps.HasErrors() {
		return fmt.Errorf("secrets conventions: %s", ps.Error())
	}
	return nil
}

// secretsOptions are what a portal's secrets need beyond the configuration file.
type secretsOptions struct {
	dataDir string
	// vaultKey gives local mode's vault its key (the OS keyring's); nil: a key file in dataDir.
	vaultKey func() ([]byte, error)
	// aws is the AWS collector, through which Secrets Manager is compared with the metadata.
	aws *awssrc.Collector
}

// newSecrets builds a portal's secrets service and its executor; nil when no secrets are configured.
func newSecrets(ctx context.Context, fc FileConfig, db *store.DB, acts *actions.Service, agents *agent.Queue,
	log *slog.Logger, opts secretsOptions) (*secrets.Service, *secrets.Executor, error) {
	c := fc.Secrets
	if !c.Enabled() {
		return nil, nil, nil
	}
	if ps := c.Check(); ps.HasErrors() {
		return nil, nil, fmt.Errorf("secrets conventions: %s", ps.Error())
	}
	keyPath := c.StagingKeyFile
	if keyPath == "" {
		keyPath = filepath.Join(opts.dataDir, "secrets-staging.key")
	}
	key, err := secrets.LoadStagingKey(keyPath)
	if err != nil {
		return nil, nil, err
	}
	backends := map[string]secrets.Backend{}
	for _, name := range c.EnvironmentNames() {
		switch c.Environments[name].Backend {
		case catalog.SecretBackendAWS:
			if backends[catalog.SecretBackendAWS] == nil {
				backends[catalog.SecretBackendAWS] = &awssm.Backend{Config: c, RecoveryDays: 7}
			}
		case catalog.SecretBackendLocal:
			if backends[catalog.SecretBackendLocal] != nil {
				continue
			}
			var k []byte
			if opts.vaultKey != nil {
				k, err = opts.vaultKey()
			} else {
				k, err = vault.KeyFile(filepath.Join(opts.dataDir, "secrets-vault.key"))
			}
			if err != nil {
				return nil, nil, fmt.Errorf("the local secrets vault's key: %w", err)
			}
			v, err := vault.Open(filepath.Join(opts.dataDir, "secrets-vault.json"), k)
			clear(k)
			if err != nil {
				return nil, nil, err
			}
			backends[catalog.SecretBackendLocal] = v
		}
	}
	svc := &secrets.Service{Config: c, DB: db, Actions: acts, Agents: agents, Backends: backends, Log: log,
		Staging: &secrets.Staging{DB: db.SQL(), Key: key}, Approvers: fc.Actions.ApproversOf,
		Audit: audit.Log{DB: db.SQL()}}
	if opts.aws != nil && backends[catalog.SecretBackendAWS] != nil {
		svc.Observer = awssm.Observer{Collector: opts.aws}
	}
	if err := svc.RefreshAll(ctx); err != nil {
		return nil, nil, fmt.Errorf("secrets: %w", err)
	}
	log.Info("secrets configured", "environments", strings.Join(c.EnvironmentNames(), ","), "staging_key", key.Public.ID())
	return svc, &secrets.Executor{Svc: svc}, nil
}

// sweepSecrets deletes, every hour until ctx ends, the staged values nothing will write any more.
func sweepSecrets(ctx context.Context, svc *secrets.Service, log *slog.Logger) {
	for {
		if n, err := svc.Staging.Sweep(ctx, svc.Config.RetryWindow); err != nil && ctx.Err() == nil {
			log.Warn("sweep staged secret values", "err", err)
		} else if n > 0 {
			log.Info("staged secret values discarded", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// observeSecrets compares, every ObserveInterval until ctx ends, the secrets' metadata with what the listable
// backends (AWS Secrets Manager) hold.
func observeSecrets(ctx context.Context, svc *secrets.Service, log *slog.Logger) {
	if !svc.Observes() {
		return
	}
	for {
		if err := svc.Observe(ctx); err != nil && ctx.Err() == nil {
			log.Warn("compare secrets with their backends", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(svc.Config.ObserveInterval):
		}
	}
}

// localSecrets are local mode's conventions: the demo's environments in a vault in the data directory, revealable
// in dev by the owning team; dev takes a secret for any service (the demo has no dev cluster).
func localSecrets() *secrets.Config {
	regions := []string{"eu-west-1", "us-east-1"}
	anywhere := false
	c := &secrets.Config{
		Required: []string{"dev", "production"},
		Environments: map[string]secrets.Environment{
			"dev": {Backend: catalog.SecretBackendLocal, Regions: regions, DeployedOnly: &anywhere,
				Reveal: []string{"developer", "team_owner"}},
			"staging":    {Backend: catalog.SecretBackendLocal, Regions: regions},
			"production": {Backend: catalog.SecretBackendLocal, Regions: regions},
		},
	}
	if ps := c.Check(); ps.HasErrors() {
		panic(ps) // a constant configuration
	}
	return c
}
