// Package frontend embeds the built UI (frontend/dist). Build it with `task ui` (or `npm ci && npm run build` in
// this directory) before building Atrium. A clone where the UI was never built still compiles — dist holds a
// committed placeholder, .gitkeep — and its binary serves a page saying how to build the UI instead.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed notbuilt
var notBuilt embed.FS

// Built reports whether the UI was built into dist when this binary was compiled.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Dist is the built UI, rooted at index.html; without a built UI, a page saying "UI not built: run task ui".
func Dist() fs.FS {
	root, dir := fs.FS(dist), "dist"
	if !Built() {
		root, dir = notBuilt, "notbuilt"
	}
	sub, err := fs.Sub(root, dir)
	if err != nil {
		panic(err) // both directories are embedded at build time
	}
	return sub
}
