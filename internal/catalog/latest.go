package catalog

import (
	"context"
	"fmt"
)

// VersionSource answers the newest released version of a package: a registry client, a cache in front of one, or
// a fixed table. It returns "" with a nil error when the package is unknown to it.
type VersionSource interface {
	Latest(ctx context.Context, ecosystem, name string) (string, error)
}

// FillLatest sets Latest on every dependency of svcs from src, asking once per distinct package. Lookup failures
// leave Latest empty and are returned together; they never stop the others.
func FillLatest(ctx context.Context, svcs []Service, src VersionSource) []error {
	type key struct{ eco, name string }
	known := map[key]string{}
	var errs []error
	for i := range svcs {
		for j := range svcs[i].Dependencies {
			d := &svcs[i].Dependencies[j]
			k := key{d.Ecosystem, d.Name}
			v, ok := known[k]
			if !ok {
				var err error
				v, err = src.Latest(ctx, d.Ecosystem, d.Name)
				if err != nil {
					errs = append(errs, fmt.Errorf("newest version of %s package %s: %w", d.Ecosystem, d.Name, err))
				}
				known[k] = v
			}
			d.Latest = v
		}
	}
	return errs
}

// VersionTable is a fixed VersionSource: ecosystem → package → newest version.
type VersionTable map[string]map[string]string

// Latest implements VersionSource.
func (t VersionTable) Latest(_ context.Context, ecosystem, name string) (string, error) {
	return t[ecosystem][name], nil
}
