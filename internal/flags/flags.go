// Package flags holds Atrium's feature flags: flagd-compatible flag definitions (state, variants, defaultVariant,
// JsonLogic targeting with $evaluators and $ref, metadata), a validator that names the JSON path of every problem,
// and an evaluator that compiles a flag set once into an in-memory form and then resolves flags without parsing
// JSON or copying the evaluation context.
//
// The package knows nothing of HTTP or SQL: the portal's store, its OFREP endpoint and the Go OpenFeature provider
// are adapters around it. Semantics follow flagd (https://flagd.dev/reference/flag-definitions/): reasons and
// error codes are OpenFeature's, `fractional` uses the current bucketing ((murmur3 × total weight) >> 32), and
// operators return null on bad input so that evaluation falls back to the default variant instead of failing.
package flags

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sphera/atrium/internal/problem"
)

// Reason says why a flag resolved to its value (OpenFeature's resolution reasons).
type Reason string

// Resolution reasons.
const (
	ReasonStatic         Reason = "STATIC"          // no targeting: the default variant, safe to cache
	ReasonTargetingMatch Reason = "TARGETING_MATCH" // a targeting rule chose the variant
	ReasonSplit          Reason = "SPLIT"           // a fractional (percentage) split chose the variant
	ReasonDefault        Reason = "DEFAULT"         // targeting ran and fell through to the default
	ReasonDisabled       Reason = "DISABLED"        // the flag is disabled: the caller's default applies
	ReasonError          Reason = "ERROR"           // see the error code
)

// ErrorCode says why an evaluation failed (OpenFeature's error codes).
type ErrorCode string

// Error codes.
const (
	ErrFlagNotFound        ErrorCode = "FLAG_NOT_FOUND"
	ErrTypeMismatch        ErrorCode = "TYPE_MISMATCH"
	ErrParse               ErrorCode = "PARSE_ERROR"
	ErrTargetingKeyMissing ErrorCode = "TARGETING_KEY_MISSING"
	ErrInvalidContext      ErrorCode = "INVALID_CONTEXT"
	ErrGeneral             ErrorCode = "GENERAL"
)

// Flag states.
const (
	StateEnabled  = "ENABLED"
	StateDisabled = "DISABLED"
)

// File is a flagd flag-definition file: a flag set.
type File struct {
	Schema     string                     `json:"$schema,omitempty"`
	Flags      map[string]*Flag           `json:"flags"`
	Evaluators map[string]json.RawMessage `json:"$evaluators,omitempty"`
	Metadata   map[string]any             `json:"metadata,omitempty"`
}

// Flag is one flag's definition.
type Flag struct {
	State    string                     `json:"state"`
	Variants map[string]json.RawMessage `json:"variants"`
	// DefaultVariant names the variant served when targeting is absent or returns null; nil (JSON null or absent)
	// means the caller's code default.
	DefaultVariant *string         `json:"defaultVariant"`
	Targeting      json.RawMessage `json:"targeting,omitempty"`
	Metadata       map[string]any  `json:"metadata,omitempty"`
}

// ErrInvalid is wrapped by errors of invalid flag definitions (Invalid); errors.As finds their problem.Problems,
// each at a JSON Pointer into the definition ("" for the whole of it).
var ErrInvalid = errors.New("invalid flag definition")

// Invalid is the error of a definition refused for its problems (nil when none is an error): it wraps ErrInvalid
// and ps, and says that nothing was stored.
func Invalid(ps problem.Problems) error {
	if !ps.HasErrors() {
		return nil
	}
	//nolint:errorlint // ps is part of the contract: the API lists the problems (backend/api/errors.go)
	return fmt.Errorf("%w: %d problem(s); nothing was stored: %w", ErrInvalid, len(ps), ps)
}

// Pointer builds a JSON Pointer from path segments, escaping ~ and /.
func Pointer(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func child(path, segment string) string { return path + Pointer(segment) }

func childIndex(path string, i int) string { return path + "/" + strconv.Itoa(i) }

// ParseFile decodes a flag-definition file. Syntax errors are reported with line and column; the structure is
// checked only as far as decoding needs (Validate checks the rest).
func ParseFile(data []byte) (*File, error) {
	if err := syntaxCheck(data); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, problem.Problems{problem.At("", "a flag-definition file must be a JSON object with a \"flags\" object")}
	}
	var ps problem.Problems
	f := &File{}
	keys := sortedKeys(top)
	for _, k := range keys {
		raw := top[k]
		switch k {
		case "$schema":
			if err := json.Unmarshal(raw, &f.Schema); err != nil {
				ps = append(ps, problem.At(Pointer(k), "must be a string"))
			}
		case "flags":
			var flagsRaw map[string]json.RawMessage
			if err := json.Unmarshal(raw, &flagsRaw); err != nil || flagsRaw == nil {
				ps = append(ps, problem.At(Pointer(k), "must be an object mapping flag keys to flags"))
				continue
			}
			f.Flags = make(map[string]*Flag, len(flagsRaw))
			for _, key := range sortedKeys(flagsRaw) {
				fl, fps := parseFlag(flagsRaw[key], Pointer("flags", key))
				ps = append(ps, fps...)
				if fl != nil {
					f.Flags[key] = fl
				}
			}
		case "$evaluators":
			if err := json.Unmarshal(raw, &f.Evaluators); err != nil || (f.Evaluators == nil && !isNull(raw)) {
				ps = append(ps, problem.At(Pointer(k), "must be an object mapping evaluator names to JsonLogic rules"))
			}
		case "metadata":
			if err := decodeInto(raw, &f.Metadata); err != nil || (f.Metadata == nil && !isNull(raw)) {
				ps = append(ps, problem.At(Pointer(k), "must be an object"))
			}
		default:
			if !strings.HasPrefix(k, "$") {
				ps = append(ps, problem.At(Pointer(k), "unknown property (expected flags, $evaluators, metadata or $schema)"))
			}
		}
	}
	if _, ok := top["flags"]; !ok {
		ps = append(ps, problem.At("", "missing \"flags\": a flag-definition file needs a \"flags\" object"))
	}
	return f, ps.Err()
}

// ParseFlag decodes one flag's definition (the value under "flags" → key in a file).
func ParseFlag(data []byte) (*Flag, error) {
	if err := syntaxCheck(data); err != nil {
		return nil, err
	}
	f, ps := parseFlag(data, "")
	return f, ps.Err()
}

func parseFlag(raw json.RawMessage, path string) (*Flag, problem.Problems) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, problem.Problems{problem.At(path, "a flag must be an object with state, variants and defaultVariant")}
	}
	var ps problem.Problems
	f := &Flag{}
	for _, k := range sortedKeys(fields) {
		v := fields[k]
		switch k {
		case "state":
			if err := json.Unmarshal(v, &f.State); err != nil {
				ps = append(ps, problem.At(child(path, k), "must be \"ENABLED\" or \"DISABLED\""))
			}
		case "variants":
			if err := json.Unmarshal(v, &f.Variants); err != nil || f.Variants == nil {
				ps = append(ps, problem.At(child(path, k), "must be an object mapping variant names to values"))
			}
		case "defaultVariant":
			if !isNull(v) {
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					ps = append(ps, problem.At(child(path, k), "must be a variant name or null"))
				} else {
					f.DefaultVariant = &s
				}
			}
		case "targeting":
			if !isNull(v) {
				f.Targeting = compact(v)
			}
		case "metadata":
			if err := decodeInto(v, &f.Metadata); err != nil || (f.Metadata == nil && !isNull(v)) {
				ps = append(ps, problem.At(child(path, k), "must be an object"))
			}
		default:
			ps = append(ps, problem.At(child(path, k), "unknown property (expected state, variants, defaultVariant, targeting or metadata)"))
		}
	}
	for k, v := range f.Variants {
		f.Variants[k] = compact(v)
	}
	return f, ps
}

// syntaxCheck reports invalid JSON with its line and column.
func syntaxCheck(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return problem.Problems{problem.Atf("", "invalid JSON at line %d, column %d: %v", line, col, se)}
	}
	if err == nil {
		err = errors.New("trailing data")
	}
	return problem.Problems{problem.At("", "invalid JSON: "+err.Error())}
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// decodeInto decodes JSON keeping numbers exact (json.Number), then turns them into float64 or int64.
func decodeInto(raw json.RawMessage, out *map[string]any) error {
	v, err := decodeValue(raw)
	if err != nil {
		return err
	}
	if v == nil {
		*out = nil
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("not an object")
	}
	*out = m
	return nil
}

// decodeValue decodes one JSON value into nil, bool, float64, string, []any and map[string]any.
func decodeValue(raw []byte) (any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeNumbers decodes one JSON value keeping numbers as json.Number, for checks that need their text.
func decodeNumbers(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Marshal encodes f as an indented flagd file with keys in a stable order.
func (f *File) Marshal() ([]byte, error) {
	out := *f
	if out.Flags == nil {
		out.Flags = map[string]*Flag{}
	}
	b, err := json.Marshal(&out)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Canonical encodes a flag compactly with keys sorted, so equal definitions encode equally.
func (f *Flag) Canonical() []byte {
	b, _ := json.Marshal(f)
	v, err := decodeNumbers(b)
	if err != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

// Clone returns a deep copy of f.
func (f *Flag) Clone() *Flag {
	c, _ := ParseFlag(f.Canonical())
	return c
}
