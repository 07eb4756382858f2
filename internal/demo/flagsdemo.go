package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/sphera/atrium/internal/flags"
	"github.com/sphera/atrium/internal/flags/flagstore"
)

//go:embed flags
var flagFiles embed.FS

// FlagFile is the demo flag set of an environment (dev, staging, production), or an error when the demo has none.
func FlagFile(env string) (*flags.File, error) {
	b, err := fs.ReadFile(flagFiles, "flags/"+env+".flagd.json")
	if err != nil {
		return nil, fmt.Errorf("demo flags of %s: %w", env, err)
	}
	f, problems := flags.ValidateJSON(b)
	if len(problems) > 0 {
		return nil, fmt.Errorf("demo flags of %s: %w", env, problems)
	}
	return f, nil
}

// SeedFlags imports the demo flag set into every environment of envs that the demo has a file for and whose flag
// set is still empty: a portal's own flags are never overwritten. It returns the environments it seeded.
func SeedFlags(ctx context.Context, st *flagstore.Store, envs []string) ([]string, error) {
	var seeded []string
	for _, env := range envs {
		f, err := FlagFile(env)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return seeded, err
		}
		set, err := st.Load(ctx, env)
		if err != nil {
			return seeded, err
		}
		if set.File != nil && len(set.File.Flags) > 0 {
			continue
		}
		// The demo's flags were set up two months before the demo epoch, so the ones fully rolled out or switched
		// off show as stale, ready to close.
		aged := &flagstore.Store{DB: st.DB, InTx: st.InTx, Now: func() time.Time { return demoEpoch.AddDate(0, -2, 0) }}
		if err := aged.Apply(ctx, flags.Change{Action: flags.ActionImport, Environment: env, File: f,
			Team: "platform", Actor: "atrium-demo", Comment: "demo flag set"}); err != nil {
			return seeded, fmt.Errorf("seed demo flags of %s: %w", env, err)
		}
		seeded = append(seeded, env)
	}
	return seeded, nil
}
