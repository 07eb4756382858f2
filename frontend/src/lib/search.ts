// The catalog's search text, as the portal and the replica read it (internal/store/search.go): each typed word
// matches as the prefix of a word of a service's name, title, description, owner or tags; a word typed with inner
// punctuation ("payments-api", "v1.2") matches those words in that order, the last as a prefix. Words are compared
// folded: lower case, Latin letters without their diacritics. The UI uses the same rules to answer a narrower query
// from rows it holds (refineServices) and to show why a row matched (highlight).
import type { ServiceQuery, ServiceRow } from '../api/client';

/** A term: the folded words of one typed word, the last matching as a prefix. */
export type Term = string[];

const QUERY_WORD = /[\p{L}\p{Nd}\-_.]+/gu;
const WORD = /[\p{L}\p{N}\p{Co}\p{Mn}]+/gu;
const MARK = /\p{Mn}/u;

/** Whether c (one code point) is a Latin letter whose diacritics folding removes, as unicode61 does. */
function latin(c: number): boolean {
  return c < 0x250 || (c >= 0x1e00 && c <= 0x1eff);
}

function foldChar(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c < 0x80) return ch.toLowerCase();
  if (MARK.test(ch)) return '';
  let base = ch;
  if (latin(c)) {
    const d = ch.normalize('NFD');
    const first = String.fromCodePoint(d.codePointAt(0) ?? c);
    if (d !== ch && !MARK.test(first)) base = first;
  }
  // One code point lower-cased, as Go's unicode.ToLower (JavaScript's may make two: "İ" → "i̇").
  const lower = base.toLowerCase();
  return [...lower].length === 1 ? lower : base === 'İ' ? 'i' : base;
}

/** The folded form of one word. */
export function foldWord(w: string): string {
  let out = '';
  for (const ch of w) out += foldChar(ch);
  return out;
}

/** The folded words of s, with where each starts and ends in s (UTF-16 offsets). */
export function words(s: string): { word: string; start: number; end: number }[] {
  const out: { word: string; start: number; end: number }[] = [];
  for (const m of s.matchAll(WORD)) {
    const word = foldWord(m[0]);
    // A run of combining marks alone folds to nothing, and is no word.
    if (word !== '') out.push({ word, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** The terms of typed text; empty when nothing searchable was typed. */
export function searchTerms(q: string): Term[] {
  const terms: Term[] = [];
  for (const m of q.matchAll(QUERY_WORD)) {
    const w = m[0].replace(/^[-_.]+|[-_.]+$/g, '');
    if (!w) continue;
    const t = words(w).map((x) => x.word);
    if (t.length > 0) terms.push(t);
  }
  return terms;
}

/** Whether the words hold term: its words side by side, the last as a prefix. */
function holds(ws: readonly string[], term: Term): boolean {
  const last = term.length - 1;
  outer: for (let i = 0; i + last < ws.length; i++) {
    for (let j = 0; j < last; j++) if (ws[i + j] !== term[j]) continue outer;
    if ((ws[i + last] ?? '').startsWith(term[last] ?? '')) return true;
  }
  return false;
}

/** A service's searched columns as words: name and title (matches there rank first), and the rest. */
function columns(row: ServiceRow): string[][] {
  return [row.name, row.title ?? '', row.description, row.owner, tagsJSON(row.tags)].map((c) => words(c).map((w) => w.word));
}

/**
 * Tags as the server stores and reads them: JSON as Go writes it, which escapes <, > and & ("<beta>" holds the
 * words "u003cbeta" and "u003e").
 */
function tagsJSON(tags: readonly string[]): string {
  return JSON.stringify(tags).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Whether row matches every term (some column holds each), and whether its name or title hold them all. */
export function matchRow(row: ServiceRow, terms: readonly Term[]): { matches: boolean; first: boolean } {
  const cols = columns(row);
  let matches = true;
  let first = terms.length > 0;
  for (const term of terms) {
    const inNameTitle = holds(cols[0]!, term) || holds(cols[1]!, term);
    if (!inNameTitle) first = false;
    if (!inNameTitle && !cols.slice(2).some((c) => holds(c, term))) {
      matches = false;
      break;
    }
  }
  return { matches, first: matches && first };
}

/** Whether a query filters like another apart from its search text. */
function sameFilters(a: ServiceQuery, b: ServiceQuery): boolean {
  const keys = ['owner', 'language', 'lifecycle', 'system', 'signal', 'sort', 'order'] as const;
  return keys.every((k) => (a[k] ?? '') === (b[k] ?? ''));
}

/** Byte order of UTF-8 text, which is the code points' order (the server's order of names). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]!.codePointAt(0) ?? 0) - (y[i]!.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The answer to query worked out from the complete answer to an earlier, wider one (all its rows at hand): the
 * same filters and order, and search text that extends the earlier one ("pa" → "pay", "" → anything). A longer
 * query never matches more (the portal guarantees it), so its rows are among those. Null when from cannot say.
 */
export function refineServices(query: ServiceQuery, from: { query: ServiceQuery; total: number; rows: readonly ServiceRow[] }): { total: number; rows: ServiceRow[] } | null {
  if (from.rows.length !== from.total || !sameFilters(query, from.query)) return null;
  const q = query.q ?? '';
  const was = from.query.q ?? '';
  if (!q.startsWith(was)) return null;
  const terms = searchTerms(q);
  if (terms.length === 0 && q.trim() !== '') return { total: 0, rows: [] };
  const first: ServiceRow[] = [];
  const rest: ServiceRow[] = [];
  for (const row of from.rows) {
    const m = matchRow(row, terms);
    if (!m.matches) continue;
    (m.first && !query.sort ? first : rest).push(row);
  }
  if (!query.sort) {
    // Relevance: name or title matches first, then the others, by name within each.
    first.sort((a, b) => byCodePoint(a.name, b.name));
    rest.sort((a, b) => byCodePoint(a.name, b.name));
  }
  const rows = [...first, ...rest];
  return { total: rows.length, rows };
}

/** A piece of displayed text, marked when a search term matched it. */
export interface Piece {
  text: string;
  hit: boolean;
}

/**
 * text cut into pieces, the words the terms match marked: a term's last word as a prefix (only that prefix is
 * marked), its other words whole.
 */
export function highlight(text: string, terms: readonly Term[]): Piece[] {
  if (terms.length === 0 || !text) return [{ text, hit: false }];
  const marks: [number, number][] = [];
  for (const w of words(text)) {
    // How many folded characters of the word a term's word matches: a prefix for a term's last word, else all.
    let len = 0;
    for (const term of terms) {
      term.forEach((t, i) => {
        const last = i === term.length - 1;
        if (last ? w.word.startsWith(t) : w.word === t) len = Math.max(len, [...(last ? t : w.word)].length);
      });
    }
    if (len > 0) marks.push([w.start, w.start + originalLength(text.slice(w.start, w.end), len)]);
  }
  if (marks.length === 0) return [{ text, hit: false }];
  const pieces: Piece[] = [];
  let at = 0;
  for (const [s, e] of marks) {
    if (s > at) pieces.push({ text: text.slice(at, s), hit: false });
    pieces.push({ text: text.slice(s, e), hit: true });
    at = e;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), hit: false });
  return pieces;
}

/** How many UTF-16 units of word (as written) fold to its first n folded characters. */
function originalLength(word: string, n: number): number {
  let folded = 0;
  let i = 0;
  for (const ch of word) {
    if (folded >= n && !MARK.test(ch)) break;
    folded += [...foldChar(ch)].length;
    i += ch.length;
  }
  return i;
}
