package cli

import (
	"runtime/debug"

	"github.com/sphera/atrium/backend/api"
)

// Version is the build's version: api.Version when the build set it
// (-ldflags "-X github.com/sphera/atrium/backend/api.Version=v1.2.0", as the Taskfile's builds do); else what the
// Go toolchain recorded — the module's version (go install ...@v1.2.0), or the commit (dev+0123456789ab, with
// -dirty for uncommitted changes); else "dev".
func Version() string {
	if api.Version != "dev" && api.Version != "" {
		return api.Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev+" + rev[:min(12, len(rev))] + dirty
}
