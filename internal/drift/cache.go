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

// lookup is the remembered comparison of decl and live, if these objects were compared before; it keeps it for the
// next detection.
func (c *DiffCache) lookup(decl, live map[string]any, owned bool) ([]diff.Field, bool) {
	if c == nil {
		return nil, false
	}
	if c.next == nil {
		c.next = map[diffKey]diffEntry{}
	}
	k := keyOf(decl, live, owned)
	if e, ok := c.next[k]; ok {
		return e.fields, true
	}
	if e, ok := c.prev[k]; ok {
		c.next[k] = e
		return e.fields, true
	}
	return nil, false
}

// store remembers a comparison of decl and live made outside compare.
func (c *DiffCache) store(decl, live map[string]any, owned bool, fields []diff.Field) {
	if c == nil {
		return
	}
	if c.next == nil {
		c.next = map[diffKey]diffEntry{}
	}
	c.next[keyOf(decl, live, owned)] = diffEntry{decl: decl, live: live, fields: fields}
}

// done ends a detection: what it did not use is forgotten.
func (c *DiffCache) done() {
	if c == nil {
		return
	}
	c.prev, c.next = c.next, map[diffKey]diffEntry{}
}
