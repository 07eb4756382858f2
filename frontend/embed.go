// Package frontend embeds the built UI (frontend/dist). Build it first: `npm ci && npm run build` in this
// directory, or `task ui` — a fresh clone has no dist/ and this package does not compile until then.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built UI, rooted at index.html.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is embedded at build time
	}
	return sub
}
