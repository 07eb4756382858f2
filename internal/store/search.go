package store

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Search text, as the catalog's search box means it: each typed word matches as the prefix of a word of a service's
// name, title, description, owner or tags; a word typed with inner punctuation ("payments-api", "v1.2") matches
// those words in that order, the last as a prefix. Words are compared folded: lower case, without diacritics.
//
// These rules are SQLite FTS5's — the unicode61 tokenizer with remove_diacritics 2 and quoted prefix queries — so
// that the in-memory index (searchindex.go) answers exactly what the FTS5 table answers (searchFTS, kept as the
// reference and the benchmarks' baseline); TestSearchIndexAgreesWithFTS holds them to it.

// searchTerms splits typed text into terms, each a phrase of folded tokens whose last token matches as a prefix.
// A word is a run of letters, digits, '-', '_' and '.', with those three trimmed from its ends (ftsQuery's rule);
// nil when nothing searchable was typed.
func searchTerms(q string) [][]string {
	var terms [][]string
	for _, w := range strings.FieldsFunc(q, queryWordSeparator) {
		w = strings.Trim(w, "-_.")
		if w == "" {
			continue
		}
		if toks := appendTokens(nil, w); len(toks) > 0 {
			terms = append(terms, toks)
		}
	}
	return terms
}

func queryWordSeparator(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')
}

// ftsQuery turns typed text into an FTS5 query of quoted prefix terms, all required: `pay api` → `"pay"* "api"*`.
// Quoting makes every character literal, so no input is an FTS syntax error.
func ftsQuery(q string) string {
	var terms []string
	for _, w := range strings.FieldsFunc(q, queryWordSeparator) {
		w = strings.Trim(w, "-_.")
		if w == "" {
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	return strings.Join(terms, " ")
}

// appendTokens appends the folded words of s to toks. A word is a run of letters, numbers and private-use
// characters (unicode61's token characters), combining marks included; folding lower-cases it and removes the
// diacritics of Latin letters (remove_diacritics 2): "Café" is "cafe", "Łódź" is "łodz".
func appendTokens(toks []string, s string) []string {
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			toks = append(toks, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				b.WriteByte(byte(r))
			case 'A' <= r && r <= 'Z':
				b.WriteByte(byte(r + 'a' - 'A'))
			default:
				flush()
			}
		case unicode.Is(unicode.Mn, r):
			// A combining diacritic: part of the word, removed by folding.
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r):
			b.WriteRune(foldRune(r))
		default:
			flush()
		}
	}
	flush()
	return toks
}

// foldRune lower-cases r and, for a Latin letter, removes the marks of its canonical decomposition. Letters whose
// stroke is part of them (ø, đ, ł) keep it, as they do in FTS5.
func foldRune(r rune) rune {
	if r < 0x250 || (0x1E00 <= r && r <= 0x1EFF) {
		if d := norm.NFD.String(string(r)); d != string(r) {
			if base, _ := utf8.DecodeRuneInString(d); !unicode.Is(unicode.Mn, base) {
				r = base
			}
		}
	}
	return unicode.ToLower(r)
}

// Separators of an indexed service's search text: each word starts with wordSep, and the columns are joined by
// columnSep, so a phrase never runs from one column into the next.
const (
	wordSep   = "\x00"
	columnSep = "\x01"
)

// searchText is the text a service is matched against: its columns' folded words, "\x00pay\x00api\x01\x00...".
// The name and title come first; nameTitle is their length (matches there rank first).
func searchText(name, title, description, owner, tags string) (text string, nameTitle int) {
	var b strings.Builder
	for i, col := range []string{name, title, description, owner, tags} {
		if i > 0 {
			b.WriteString(columnSep)
		}
		for _, t := range appendTokens(nil, col) {
			b.WriteString(wordSep)
			b.WriteString(t)
		}
		if i == 1 {
			nameTitle = b.Len()
		}
	}
	return b.String(), nameTitle
}
