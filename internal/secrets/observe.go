package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sphera/atrium/internal/catalog"
	"github.com/sphera/atrium/internal/store"
)

// Observed is a secret a backend lists, with what it says of it — never its value.
type Observed struct {
	// Object is the backend's name of the secret.
	Object string
	// Service, Name and Environment are its Atrium tags; a secret without them is not Atrium's and is ignored.
	Service, Name, Environment, Team string
	CreatedAt, ChangedAt             time.Time
	// LastReadAt is when the backend says the value was last read (AWS Secrets Manager: the day).
	LastReadAt time.Time
}

// Lister lists the secrets of an environment's region (AWS Secrets Manager): the AWS collector does
// (awssm.Observer), and so may a Backend.
type Lister interface {
	List(ctx context.Context, env, region string) ([]Observed, error)
}

// lister is what lists backend's secrets: the Observer for AWS, else the backend itself if it lists; nil for none.
func (s *Service) lister(backend string) Lister {
	if backend == catalog.SecretBackendAWS && s.Observer != nil {
		return s.Observer
	}
	l, _ := s.Backends[backend].(Lister)
	return l
}

// Observes reports whether some environment's backend can be listed, so that Observe has something to do.
func (s *Service) Observes() bool {
	for _, name := range s.Config.EnvironmentNames() {
		if s.lister(s.Config.Environments[name].Backend) != nil {
			return true
		}
	}
	return false
}

// Observe compares the metadata with what each listable backend holds: a location the backend no longer lists was
// deleted outside Atrium (it is dropped, so the secret shows as missing there), one it lists that the metadata lacks
// is added (written by another portal, or before this database), and the backend's last read is recorded. Each
// environment's regions are listed one by one; the errors of those that could not be listed are joined.
func (s *Service) Observe(ctx context.Context) error {
	var errs []error
	for _, envName := range s.Config.EnvironmentNames() {
		env := s.Config.Environments[envName]
		l := s.lister(env.Backend)
		if l == nil {
			continue
		}
		for _, region := range env.Regions {
			start := s.now()
			list, err := l.List(ctx, envName, region)
			if err != nil {
				errs = append(errs, fmt.Errorf("list secrets of %s %s: %w", envName, region, err))
				continue
			}
			if err := s.reconcile(ctx, envName, region, env.Backend, list, start); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Service) reconcile(ctx context.Context, env, region, backend string, list []Observed, start time.Time) error {
	place := catalog.SecretPlace{Environment: env, Region: region, Backend: backend}
	seen := map[string]Observed{}
	for _, o := range list {
		if o.Service == "" || o.Name == "" || (o.Environment != "" && o.Environment != env) {
			continue
		}
		seen[catalog.SecretID(o.Service, o.Name)] = o
	}
	known, err := s.DB.ListSecrets(ctx, store.SecretQuery{})
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, sec := range known {
		if _, ok := sec.Location(place.Key()); ok {
			ids[sec.ID] = true
		}
	}
	for id := range seen {
		ids[id] = true
	}
	for id := range ids {
		o, listed := seen[id]
		if _, err := s.DB.UpdateSecret(ctx, id, func(sec *catalog.Secret, exists bool) (bool, error) {
			now := s.now()
			if !exists {
				if !listed {
					return false, nil
				}
				*sec = catalog.Secret{Service: o.Service, Team: o.Team, Name: o.Name, FullName: o.Object}
			}
			i, ok := sec.Location(place.Key())
			switch {
			case !listed && ok && sec.Locations[i].RotatedAt.Before(start):
				sec.Locations = append(sec.Locations[:i], sec.Locations[i+1:]...)
			case listed && !ok:
				sec.Locations = append(sec.Locations, catalog.SecretLocation{SecretPlace: place, Object: o.Object,
					CreatedAt: o.CreatedAt, RotatedAt: o.ChangedAt, Source: backend + ":" + region})
				i = len(sec.Locations) - 1
				fallthrough
			case listed:
				l := &sec.Locations[i]
				l.SeenAt = now
				if o.LastReadAt.After(l.LastReadAt) {
					l.LastReadAt, l.LastReadBy = o.LastReadAt, ""
				}
			}
			if len(sec.Locations) == 0 {
				return false, nil
			}
			sec.UpdatedAt = now
			sec.Normalize()
			s.refreshMissing(ctx, sec)
			return true, nil
		}); err != nil {
			return fmt.Errorf("record what %s %s holds of %s: %w", env, region, id, err)
		}
	}
	return nil
}
