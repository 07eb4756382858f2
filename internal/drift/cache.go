package drift

import (
	"reflect"

	"github.com/sphera/atrium/internal/drift/diff"
)

// DiffCache remembers comparisons from one detection to the next: a declaration and a live object that are the
// very same objects as last time (not only equal: the parsed declaration of an unchanged commit, the projection of
// a cluster that did not change) compare the same, so a detection after one cluster changed compares that
// cluster's objects only. It holds the objects it remembers, so no address is reused for another object while an
// entry lives; what a detection did not use is forgotten when it ends.
type DiffCache struct {
	prev, next map[diffKey]diffEntry
}

type diffKey struct {
	decl, live uintptr
	owned      bool
}

type diffEntry struct {
	decl, live map[string]any
	fields     []diff.Field
}

func keyOf(decl, live map[string]any, owned bool) diffKey {
	return diffKey{reflect.ValueOf(decl).Pointer(), reflect.ValueOf(live).Pointer(), owned}
}

// compare returns fn's comparison of decl and live, from the cache when these objects were compared before.
func (c *DiffCache) compare(decl, live map[string]any, owned bool, fn func() []diff.Field) []diff.Field {
	if c == nil {
		return fn()
	}
	if c.next == nil {
		c.next = map[diffKey]diffEntry{}
	}
	k := keyOf(decl, live, owned)
	if e, ok := c.next[k]; ok {
		return e.fields
	}
	if e, ok := c.prev[k]; ok {
		c.next[k] = e
		return e.fields
	}
	fields := fn()
	c.next[k] = diffEntry{decl: decl, live: live, fields: fields}
	return fields
}

// done ends a detection: what it did not use is forgotten.
func (c *DiffCache) done() {
	if c == nil {
		return
	}
	c.prev, c.next = c.next, map[diffKey]diffEntry{}
}
