package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sphera/atrium/backend/api"
	"github.com/sphera/atrium/internal/fleet"
	"github.com/sphera/atrium/internal/sources/github"
	"github.com/sphera/atrium/internal/store"
)

// FleetConfig configures the fleet configuration's side of the portal: usage events and the developer directory
// (docs/fleet.md).
//
//	fleet:
//	  usage_retention_days: 400   # how long usage events are kept (default 400: the KPI's trend and a year back)
//	  directory_refresh: 6h       # how often the GitHub organisations' members are read (default 6h)
//	  signing_key_file: /etc/atrium/fleet-signing.key  # default DATA/fleet-signing.key; replicas share one
type FleetConfig struct {
	UsageRetentionDays int      `yaml:"usage_retention_days"`
	DirectoryRefresh   Duration `yaml:"directory_refresh"`
	// SigningKeyFile is the key that signs fleet configurations (default DATA/fleet-signing.key, made at first
	// start). Replicas of one portal must all use the same file (docs/operations.md).
	SigningKeyFile string `yaml:"signing_key_file"`
}

func (c FleetConfig) check() error {
	if c.UsageRetentionDays != 0 && (c.UsageRetentionDays < 7 || c.UsageRetentionDays > 3650) {
		return fmt.Errorf("fleet.usage_retention_days must be 7 to 3650 days (the KPI needs a week), not %d",
			c.UsageRetentionDays)
	}
	if c.DirectoryRefresh != 0 && time.Duration(c.DirectoryRefresh) < time.Minute {
		return errors.New("fleet.directory_refresh must be at least 1m")
	}
	return nil
}

// newFleet opens the fleet's side of a portal whose database is db: its signing key is fc.SigningKeyFile, or
// fleet.KeyFile in dataDir (mode 0600), created at first start.
func newFleet(db *store.DB, fc FleetConfig, dataDir string, s *Server) (*api.Fleet, error) {
	path := fc.SigningKeyFile
	if path == "" {
		if dataDir == "" {
			dataDir = filepath.Dir(db.Path())
		}
		path = filepath.Join(dataDir, fleet.KeyFile)
	}
	signer, created, err := fleet.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	s.checkFleetKey(signer.KeyID(), path)
	if created {
		s.Log.Info("fleet signing key created; installs pin it on first connect", "file", path, "key_id", signer.KeyID())
	} else {
		s.Log.Debug("fleet signing key", "file", path, "key_id", signer.KeyID())
	}
	return api.NewFleet(db, signer, fc.UsageRetentionDays, s.Log), nil
}

// checkFleetKey warns when the newest configuration was signed by another key than keyID: on a portal of several
// replicas, one whose key file is not the others' (installs would refuse what it serves, or what they serve); on one
// portal, a key replaced since the last push (installs refuse configurations until they trust the new key).
func (s *Server) checkFleetKey(keyID, path string) {
	c, ok, err := s.DB.LatestFleetConfig(s.ctx)
	if err != nil || !ok || c.KeyID == keyID {
		return
	}
	msg := "the fleet signing key is not the one that signed the newest configuration; installs refuse configurations " +
		"signed by it until they trust it (docs/fleet.md)"
	if s.DB.Engine() == store.Postgres {
		msg = "this replica's fleet signing key is not the one that signed the newest configuration: every replica " +
			"must use the same key file (fleet.signing_key_file, docs/operations.md), or installs refuse what one of " +
			"them serves"
	}
	s.Log.Warn(msg, "file", path, "key_id", keyID, "newest_signed_by", c.KeyID, "version", c.Version)
}

// startDirectory keeps the developer directory in step with the GitHub organisations' members until Close.
func (s *Server) startDirectory(hub *github.Hub, every time.Duration) {
	if every <= 0 {
		every = 6 * time.Hour
	}
	s.lead(func(ctx context.Context) { // a collector: one replica reads GitHub's members at a time
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.refreshDirectory(ctx, hub)
			t.Reset(every)
		}
	})
}

// refreshDirectory replaces each organisation's snapshot with its members now.
func (s *Server) refreshDirectory(ctx context.Context, hub *github.Hub) {
	got, err := hub.Members(ctx)
	if err != nil && ctx.Err() == nil {
		s.Log.Warn("developer directory: some GitHub organisations could not be read; their last snapshot stays", "err", err)
	}
	for source, members := range got {
		ms := make([]fleet.Member, len(members))
		for i, m := range members {
			ms[i] = fleet.Member{Login: m.Login, Teams: m.Teams}
		}
		ch, err := s.Fleet.Directory.Replace(ctx, source, ms)
		if err != nil {
			s.Log.Warn("developer directory not updated", "source", source, "err", err)
			continue
		}
		if ch.Added > 0 || ch.Removed > 0 {
			s.Log.Info("developer directory updated", "source", source, "developers", ch.Developers, "added", ch.Added,
				"removed", ch.Removed)
		}
	}
}
