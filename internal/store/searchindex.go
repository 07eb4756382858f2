package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The catalog table in memory: every service's row and search text, so that a keystroke in the search box costs a
// scan of strings (about 0.1 ms for 10,000 services) instead of an FTS5 query and a row per match read from SQLite
// (2–5 ms). ListServices answers from it.
//
// The index follows the database, whoever writes it (this process, another process on the same file): before each
// answer it reads the change feed's newest sequence number and the sources' sync times (one query), and when they
// moved it reloads just the services whose feed entries moved — every write of a service, its dependencies,
// findings or deployments advances its entry (services.go, kube.go) — or everything, the first time and after many
// changes. A change is therefore seen by the next search, as with SQL.

// reloadAll is how many changed services are reloaded one by one; more reload the whole table.
const reloadAll = 500

type searchIndex struct {
	mu   sync.Mutex // held while refreshing; readers use the snapshot they got
	snap *indexSnapshot
}

// indexSnapshot is the index at one feed position; it is never modified once published.
type indexSnapshot struct {
	seq     int64            // the feed's newest sequence number it reflects
	sources string           // the sources' sync times it reflects
	synced  map[string]int64 // each source's last sync, ms
	rows    []*indexRow      // by name
	// orders holds the rows sorted by a SortColumns key (then by name), made when first asked.
	orderMu sync.Mutex
	orders  map[string][]int32
	// post is the words' inverted index, made in the background after a change (searches scan the rows until
	// it is there) and at once on a full load.
	post atomic.Pointer[postings]
}

type indexRow struct {
	row       ServiceRow // SyncedAt is the service's own; answers use the later of it and its source's
	source    string
	synced    int64
	text      string // searchText
	nameTitle int
}

// syncedMs is the catalog's "last synced": the later of the service's last change and its source's last sync.
func (s *indexSnapshot) syncedMs(r *indexRow) int64 {
	return max(r.synced, s.synced[r.source])
}

// current brings the index up to date with the database and returns it.
func (ix *searchIndex) current(ctx context.Context, d *DB) (*indexSnapshot, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var seq int64
	var sources string
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM feed), 0),
		COALESCE((SELECT `+concatSources(d)+`), '')`).
		Scan(&seq, &sources); err != nil {
		return nil, d.classify(err)
	}
	old := ix.snap
	if old != nil && old.seq == seq && old.sources == sources {
		return old, nil
	}
	next := &indexSnapshot{seq: seq, sources: sources}
	var err error
	if next.synced, err = sourceTimes(ctx, d); err != nil {
		return nil, err
	}
	full := false
	switch {
	case old != nil && old.seq == seq:
		// Only the sources' sync times moved: the rows, and so their words, are the previous snapshot's.
		next.rows = old.rows
		next.post.Store(old.post.Load())
	case old != nil && old.seq < seq:
		full, err = reloadChanged(ctx, d, old, next)
	default:
		next.rows, err = loadRows(ctx, d, "", nil)
		full = true
	}
	if err != nil {
		return nil, err
	}
	if full {
		// A full load took a while already; the words' index adds a few per cent to it.
		next.buildPostings()
	} else if next.post.Load() == nil {
		// After services came or went, searches scan the rows (about 1 ms for 10,000) until the words' index is
		// rebuilt.
		go next.buildPostings()
	}
	ix.snap = next
	return next, nil
}

// concatSources is a subquery's select list joining every source's name and sync time in name order.
func concatSources(d *DB) string {
	if d.engine == Postgres {
		return `string_agg(name || '=' || synced_at, ',' ORDER BY name) FROM sources`
	}
	return `group_concat(name || '=' || synced_at, ',') FROM (SELECT name, synced_at FROM sources ORDER BY name)`
}

func sourceTimes(ctx context.Context, d *DB) (map[string]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT name, synced_at FROM sources`)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var name string
		var at int64
		if err := rows.Scan(&name, &at); err != nil {
			return nil, d.classify(err)
		}
		m[name] = at
	}
	return m, d.classify(rows.Err())
}

// reloadChanged fills next from old with the services whose feed entries moved after old.seq read again (or
// dropped, when gone). Services changed in place keep their positions, and the words' index is patched; when
// services came or went, next gets no words' index (it is rebuilt in the background). full says every row was
// read instead (many changes, or a replica that started over).
func reloadChanged(ctx context.Context, d *DB, old, next *indexSnapshot) (full bool, err error) {
	names, _, err := d.ServiceNamesChangedSince(ctx, old.seq)
	if err != nil {
		return false, err
	}
	if len(names) > reloadAll {
		next.rows, err = loadRows(ctx, d, "", nil)
		return true, err
	}
	fresh := map[string]*indexRow{}
	for chunk := range slices.Chunk(names, MaxListValues) {
		var args []any
		cond, err := In("s.name", chunk, &args)
		if err != nil {
			return false, err
		}
		got, err := loadRows(ctx, d, " WHERE "+cond, args)
		if err != nil {
			return false, err
		}
		for _, r := range got {
			fresh[r.row.Name] = r
		}
	}
	changed := map[string]bool{}
	for _, n := range names {
		changed[n] = true
	}
	// In place: every changed service is still there and was there before.
	next.rows = slices.Clone(old.rows)
	var patches []rowChange
	inPlace := true
	seen := 0
	for i, r := range next.rows {
		if !changed[r.row.Name] {
			continue
		}
		f := fresh[r.row.Name]
		if f == nil {
			inPlace = false
			break
		}
		seen++
		patches = append(patches, rowChange{at: int32(i), old: r, new: f})
		next.rows[i] = f
	}
	if !inPlace || seen != len(fresh) {
		// Services came or went: merge the fresh rows into the others, in name order.
		next.rows = make([]*indexRow, 0, len(old.rows)+len(fresh))
		added := make([]*indexRow, 0, len(fresh))
		for _, r := range fresh {
			added = append(added, r)
		}
		slices.SortFunc(added, func(a, b *indexRow) int { return strings.Compare(a.row.Name, b.row.Name) })
		j := 0
		for _, r := range old.rows {
			if changed[r.row.Name] {
				continue
			}
			for j < len(added) && added[j].row.Name < r.row.Name {
				next.rows = append(next.rows, added[j])
				j++
			}
			next.rows = append(next.rows, r)
		}
		next.rows = append(next.rows, added[j:]...)
		patches = nil
	}
	// Every service that is there was written with a feed entry, but a replica starting over deletes its services
	// without one: when the count disagrees, read everything.
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM services`).Scan(&n); err != nil {
		return false, d.classify(err)
	}
	if n != len(next.rows) {
		next.rows, err = loadRows(ctx, d, "", nil)
		return true, err
	}
	if p := old.post.Load(); p != nil && patches != nil {
		next.post.Store(p.patch(patches))
	}
	return false, nil
}

// rowChange is a service changed in place: its position, its row before and after.
type rowChange struct {
	at       int32
	old, new *indexRow
}

// loadRows reads the index rows of the services matching where (all with ""), by name.
func loadRows(ctx context.Context, d *DB, where string, args []any) ([]*indexRow, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT s.name, s.title, s.description, s.owner, s.language, s.lifecycle,
		s.type, s.system, s.repo_url, s.tags, s.source, s.synced_at,
		(SELECT COUNT(*) FROM findings fi WHERE fi.service_id = s.id),
		(SELECT COUNT(*) FROM dependencies dp WHERE dp.service_id = s.id AND dp.behind != ''),
		(SELECT COUNT(*) FROM deployments dl WHERE dl.service_id = s.id AND dl.health IN ('degraded', 'unavailable'))
		FROM services s`+where+` ORDER BY s.name`, args...)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	var out []*indexRow
	for rows.Next() {
		r := &indexRow{}
		var tags string
		if err := rows.Scan(&r.row.Name, &r.row.Title, &r.row.Description, &r.row.Owner, &r.row.Language,
			&r.row.Lifecycle, &r.row.Type, &r.row.System, &r.row.Repository, &tags, &r.source, &r.synced, &r.row.Findings,
			&r.row.Outdated, &r.row.Degraded); err != nil {
			return nil, d.classify(err)
		}
		if err := json.Unmarshal([]byte(tags), &r.row.Tags); err != nil || r.row.Tags == nil {
			r.row.Tags = []string{}
		}
		r.text, r.nameTitle = searchText(r.row.Name, r.row.Title, r.row.Description, r.row.Owner, tags)
		out = append(out, r)
	}
	return out, d.classify(rows.Err())
}

// ordered is the positions of the snapshot's rows in the order of sort key col (ascending, then by name), made
// once.
func (s *indexSnapshot) ordered(col string) []int32 {
	s.orderMu.Lock()
	defer s.orderMu.Unlock()
	if o, ok := s.orders[col]; ok {
		return o
	}
	o := make([]int32, len(s.rows))
	for i := range o {
		o[i] = int32(i)
	}
	key := sortKey(col)
	// Stable: rows that tie stay in name order.
	slices.SortStableFunc(o, func(a, b int32) int { return key(s, s.rows[a], s.rows[b]) })
	if s.orders == nil {
		s.orders = map[string][]int32{}
	}
	s.orders[col] = o
	return o
}

// sortKey compares two rows by a SortColumns key, as SQL's ORDER BY would (byte order for text).
func sortKey(col string) func(s *indexSnapshot, a, b *indexRow) int {
	text := func(f func(r *ServiceRow) string) func(*indexSnapshot, *indexRow, *indexRow) int {
		return func(_ *indexSnapshot, a, b *indexRow) int { return strings.Compare(f(&a.row), f(&b.row)) }
	}
	switch col {
	case "owner":
		return text(func(r *ServiceRow) string { return r.Owner })
	case "language":
		return text(func(r *ServiceRow) string { return r.Language })
	case "lifecycle":
		return text(func(r *ServiceRow) string { return r.Lifecycle })
	case "repository":
		return text(func(r *ServiceRow) string { return r.Repository })
	case "synced_at":
		return func(s *indexSnapshot, a, b *indexRow) int { return cmp.Compare(s.syncedMs(a), s.syncedMs(b)) }
	case "signals":
		return func(_ *indexSnapshot, a, b *indexRow) int {
			return cmp.Or(cmp.Compare(a.row.Degraded, b.row.Degraded), cmp.Compare(a.row.Findings, b.row.Findings),
				cmp.Compare(a.row.Outdated, b.row.Outdated))
		}
	default: // name: the rows' own order
		return func(*indexSnapshot, *indexRow, *indexRow) int { return 0 }
	}
}

// query answers q from the snapshot: the same rows, order and total as searchFTS.
func (s *indexSnapshot) query(q ServiceQuery) (ServicePage, error) {
	for _, l := range [][]string{q.Owners, q.Languages, q.Lifecycles, q.Systems, q.Signals} {
		if len(l) > MaxListValues {
			return ServicePage{}, fmt.Errorf("%w: %d values, at most %d", ErrTooManyValues, len(l), MaxListValues)
		}
	}
	terms := searchTerms(q.Q)
	if len(terms) == 0 && strings.TrimSpace(q.Q) != "" {
		return ServicePage{Items: []ServiceRow{}}, nil // only punctuation typed: nothing can match
	}
	owners, languages, lifecycles, systems := set(q.Owners), set(q.Languages), set(q.Lifecycles), set(q.Systems)
	signals, err := signalFilter(q.Signals)
	if err != nil {
		return ServicePage{}, err
	}
	all, first := s.match(terms)
	if owners != nil || languages != nil || lifecycles != nil || systems != nil || signals != nil {
		for i := range all.each() {
			r := &s.rows[i].row
			if owners != nil && !owners[r.Owner] || languages != nil && !languages[r.Language] ||
				lifecycles != nil && !lifecycles[r.Lifecycle] || systems != nil && !systems[r.System] ||
				signals != nil && !signals(r) {
				all.remove(i)
			}
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	page := ServicePage{Total: all.count(), Items: make([]ServiceRow, 0, min(limit, max(0, all.count()-q.Offset)))}
	skip := max(0, q.Offset)
	// add puts row i on the page once the offset is passed; false when the page is full.
	add := func(i int) bool {
		if skip > 0 {
			skip--
			return true
		}
		if len(page.Items) == limit {
			return false
		}
		r := s.rows[i]
		row := r.row
		row.Tags = slices.Clone(row.Tags)
		row.SyncedAt = time.UnixMilli(s.syncedMs(r)).UTC()
		page.Items = append(page.Items, row)
		return true
	}
	if _, ok := SortColumns[q.Sort]; ok {
		// DESC on the column and then on the name is the ascending order read backwards.
		order := s.ordered(q.Sort)
		for k := range order {
			if q.Desc {
				k = len(order) - 1 - k
			}
			if i := int(order[k]); all.has(i) && !add(i) {
				break
			}
		}
		return page, nil
	}
	// Relevance: services whose name or title hold every term first, then the others; by name within each.
	rest := all
	if len(terms) > 0 {
		first.and(all)
		rest = slices.Clone(all)
		rest.andNot(first)
		for i := range first.each() {
			if !add(i) {
				return page, nil
			}
		}
	}
	for i := range rest.each() {
		if !add(i) {
			break
		}
	}
	return page, nil
}

func set(vals []string) map[string]bool {
	if len(vals) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// rowSet is a set of a snapshot's row positions.
type rowSet []uint64

func newRowSet(n int) rowSet    { return make(rowSet, (n+63)/64) }
func (b rowSet) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b rowSet) add(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b rowSet) remove(i int)   { b[i>>6] &^= 1 << (uint(i) & 63) }
func (b rowSet) and(o rowSet) {
	for i := range b {
		b[i] &= o[i]
	}
}

func (b rowSet) andNot(o rowSet) {
	for i := range b {
		b[i] &^= o[i]
	}
}

func (b rowSet) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// each yields the positions in the set, ascending; removing the one yielded is allowed.
func (b rowSet) each() iter.Seq[int] {
	return func(yield func(int) bool) {
		for w, set := range b {
			for set != 0 {
				if !yield(w<<6 | bits.TrailingZeros64(set)) {
					return
				}
				set &= set - 1
			}
		}
	}
}

func (b rowSet) fill(n int) {
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n & 63; r != 0 {
		b[len(b)-1] = 1<<uint(r) - 1
	}
}

// postings is the inverted index of a snapshot's words: each distinct word, in byte order, with the rows holding it
// anywhere and in their name or title.
type postings struct {
	words     []string
	rows      [][]int32
	nameTitle [][]int32
}

// buildPostings makes the snapshot's inverted index, once.
func (s *indexSnapshot) buildPostings() {
	if s.post.Load() != nil {
		return
	}
	type lists struct{ all, nt []int32 }
	byWord := map[string]*lists{}
	for i, r := range s.rows {
		at := int32(i)
		r.words(func(w string, inNameTitle bool) {
			l := byWord[w]
			if l == nil {
				l = &lists{}
				byWord[w] = l
			}
			if n := len(l.all); n == 0 || l.all[n-1] != at {
				l.all = append(l.all, at)
			}
			if inNameTitle {
				if n := len(l.nt); n == 0 || l.nt[n-1] != at {
					l.nt = append(l.nt, at)
				}
			}
		})
	}
	p := &postings{words: make([]string, 0, len(byWord))}
	for w := range byWord {
		p.words = append(p.words, w)
	}
	slices.Sort(p.words)
	p.rows = make([][]int32, len(p.words))
	p.nameTitle = make([][]int32, len(p.words))
	for i, w := range p.words {
		p.rows[i], p.nameTitle[i] = byWord[w].all, byWord[w].nt
	}
	s.post.CompareAndSwap(nil, p)
}

// words calls fn with each word of the row's text (repeats included) and whether it is in the name or title.
func (r *indexRow) words(fn func(w string, inNameTitle bool)) {
	for start := 0; start < len(r.text); {
		if r.text[start] != wordSep[0] {
			start++
			continue
		}
		end := start + 1
		for end < len(r.text) && r.text[end] != wordSep[0] && r.text[end] != columnSep[0] {
			end++
		}
		fn(r.text[start+1:end], start < r.nameTitle)
		start = end
	}
}

// patch is p after services changed in place: the lists of the words they lost or gained are copied and corrected,
// the others shared with p.
func (p *postings) patch(changes []rowChange) *postings {
	// Per word and changed position: whether the changed row holds the word now (anywhere; in name or title).
	type edit struct{ all, nt map[int32]bool }
	edits := map[string]*edit{}
	entry := func(w string) *edit {
		e := edits[w]
		if e == nil {
			e = &edit{all: map[int32]bool{}, nt: map[int32]bool{}}
			edits[w] = e
		}
		return e
	}
	for _, c := range changes {
		c.old.words(func(w string, _ bool) {
			e := entry(w)
			e.all[c.at], e.nt[c.at] = false, false
		})
	}
	for _, c := range changes {
		c.new.words(func(w string, inNT bool) {
			e := entry(w)
			e.all[c.at] = true
			e.nt[c.at] = e.nt[c.at] || inNT
		})
	}
	apply := func(list []int32, e map[int32]bool) []int32 {
		out := make([]int32, 0, len(list)+len(e))
		for _, at := range list {
			if _, edited := e[at]; !edited {
				out = append(out, at)
			}
		}
		for at, now := range e {
			if now {
				out = append(out, at)
			}
		}
		slices.Sort(out)
		return out
	}
	var added []string
	for w := range edits {
		if _, ok := slices.BinarySearch(p.words, w); !ok {
			added = append(added, w)
		}
	}
	next := &postings{words: p.words, rows: slices.Clone(p.rows), nameTitle: slices.Clone(p.nameTitle)}
	if len(added) > 0 {
		slices.Sort(added)
		next.words = make([]string, 0, len(p.words)+len(added))
		next.rows = make([][]int32, 0, cap(next.words))
		next.nameTitle = make([][]int32, 0, cap(next.words))
		j := 0
		for i, w := range p.words {
			for j < len(added) && added[j] < w {
				next.words, next.rows, next.nameTitle = append(next.words, added[j]), append(next.rows, nil), append(next.nameTitle, nil)
				j++
			}
			next.words, next.rows, next.nameTitle = append(next.words, w), append(next.rows, p.rows[i]), append(next.nameTitle, p.nameTitle[i])
		}
		for ; j < len(added); j++ {
			next.words, next.rows, next.nameTitle = append(next.words, added[j]), append(next.rows, nil), append(next.nameTitle, nil)
		}
	}
	for w, e := range edits {
		i, _ := slices.BinarySearch(next.words, w)
		next.rows[i] = apply(next.rows[i], e.all)
		next.nameTitle[i] = apply(next.nameTitle[i], e.nt)
	}
	return next
}

// match is the rows holding every term (all) and those holding every term in their name or title (first).
func (s *indexSnapshot) match(terms [][]string) (all, first rowSet) {
	n := len(s.rows)
	all, first = newRowSet(n), newRowSet(n)
	all.fill(n)
	first.fill(n)
	p := s.post.Load()
	for _, term := range terms {
		needle := wordSep + strings.Join(term, wordSep)
		if p == nil {
			s.scan(needle, all, first)
		} else {
			all.and(p.find(n, term, false))
			first.and(p.find(n, term, true))
			if len(term) > 1 {
				// The words are there; whether in this order, side by side, the rows' text says.
				s.verify(needle, all, first)
			}
		}
	}
	return all, first
}

// scan narrows all and first to the rows whose text holds needle, reading every row.
func (s *indexSnapshot) scan(needle string, all, first rowSet) {
	for i := range s.rows {
		if all.has(i) {
			s.scan1(i, needle, all, first)
		}
	}
}

// verify narrows all and first to the rows whose text holds needle, reading the rows still in all.
func (s *indexSnapshot) verify(needle string, all, first rowSet) {
	for i := range all.each() {
		s.scan1(i, needle, all, first)
	}
}

func (s *indexSnapshot) scan1(i int, needle string, all, first rowSet) {
	r := s.rows[i]
	at := strings.Index(r.text, needle)
	if at < 0 {
		all.remove(i)
		first.remove(i)
	} else if at >= r.nameTitle && !strings.Contains(r.text[:r.nameTitle], needle) {
		first.remove(i)
	}
}

// find is the rows holding term's words: the last as a prefix, the others (of a phrase) whole; in the name or
// title only when nameTitle.
func (p *postings) find(n int, term []string, nameTitle bool) rowSet {
	lists := p.rows
	if nameTitle {
		lists = p.nameTitle
	}
	out := newRowSet(n)
	last := term[len(term)-1]
	// The words starting with last: from last up to last followed by a byte no UTF-8 text holds.
	lo, _ := slices.BinarySearch(p.words, last)
	hi, _ := slices.BinarySearch(p.words, last+"\xff")
	for _, l := range lists[lo:hi] {
		for _, i := range l {
			out.add(int(i))
		}
	}
	for _, w := range term[:len(term)-1] {
		j, ok := slices.BinarySearch(p.words, w)
		whole := newRowSet(n)
		if ok {
			for _, i := range lists[j] {
				whole.add(int(i))
			}
		}
		out.and(whole)
	}
	return out
}
