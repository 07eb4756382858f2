package golden

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"

	"github.com/sphera/atrium/internal/catalog"
)

// CatalogChecker is the portal's Checker: the catalog for names and teams, GitHub (when the portal has it) for
// repositories.
type CatalogChecker struct {
	Catalog interface {
		GetService(ctx context.Context, name string) (catalog.Service, error)
		TeamKnown(ctx context.Context, team string) (bool, error)
	}
	// GitHub is nil on a portal without GitHub (local mode): no repository is taken there.
	GitHub *github.Client
}

// ServiceExists implements Checker.
func (c CatalogChecker) ServiceExists(ctx context.Context, name string) (bool, error) {
	_, err := c.Catalog.GetService(ctx, name)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// TeamExists implements Checker.
func (c CatalogChecker) TeamExists(ctx context.Context, team string) (bool, error) {
	return c.Catalog.TeamKnown(ctx, team)
}

// RepoExists implements Checker.
func (c CatalogChecker) RepoExists(ctx context.Context, owner, name string) (bool, error) {
	if c.GitHub == nil {
		return false, nil
	}
	_, _, err := c.GitHub.Repositories.Get(ctx, owner, name)
	switch {
	case err == nil:
		return true, nil
	case status(err) == http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("ask GitHub for %s/%s: %w", owner, name, err)
}
