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
type FleetConfig struct {
	UsageRetentionDays int      `yaml:"usage_retention_days"`
	DirectoryRefresh   Duration `yaml:"directory_refresh"`
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

// newFleet opens the fleet's side of a portal whose database is db: its signing key lives next to the database
// (fleet.KeyFile, mode 0600), created at first start.
func newFleet(db *store.DB, fc FleetConfig, s *Server) (*api.Fleet, error) {
	path := filepath.Join(filepath.Dir(db.Path()), fleet.KeyFile)
	signer, created, err := fleet.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	if created {
		s.Log.Info("fleet signing key created; installs pin it on first connect", "file", path, "key_id", signer.KeyID())
	} else {
		s.Log.Debug("fleet signing key", "file", path, "key_id", signer.KeyID())
	}
	return api.NewFleet(db, signer, fc.UsageRetentionDays, s.Log), nil
}

// startDirectory keeps the developer directory in step with the GitHub organisations' members until Close.
func (s *Server) startDirectory(hub *github.Hub, every time.Duration) {
	if every <= 0 {
		every = 6 * time.Hour
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
			s.refreshDirectory(s.ctx, hub)
			t.Reset(every)
		}
	}()
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
