package flags

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// kind is the JSON type of a value during evaluation.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNum
	kStr
	kArr
	kObj
	kOther // a Go value of no JSON type found in a context: truthy, not a number
)

// val is a JSON value during evaluation. Scalars live in the struct, so evaluating comparisons allocates nothing;
// arrays and objects keep the context's own []any / map[string]any.
type val struct {
	k kind
	b bool
	// split marks a value chosen by a fractional split, so the evaluator can answer SPLIT.
	split bool
	n     float64
	s     string
	r     any
}

var null = val{}

func vBool(b bool) val          { return val{k: kBool, b: b} }
func vNum(n float64) val        { return val{k: kNum, n: n} }
func vStr(s string) val         { return val{k: kStr, s: s} }
func vArr(a []any) val          { return val{k: kArr, r: a} }
func vObj(m map[string]any) val { return val{k: kObj, r: m} }

// fromAny reads a context value. Go numeric kinds count as numbers, so contexts built in Go need no conversion.
func fromAny(x any) val {
	switch v := x.(type) {
	case nil:
		return null
	case string:
		return val{k: kStr, s: v}
	case bool:
		return val{k: kBool, b: v}
	case float64:
		return val{k: kNum, n: v}
	case map[string]any:
		return val{k: kObj, r: v}
	case []any:
		return val{k: kArr, r: v}
	case int:
		return val{k: kNum, n: float64(v)}
	case int64:
		return val{k: kNum, n: float64(v)}
	case int32:
		return val{k: kNum, n: float64(v)}
	case int16:
		return val{k: kNum, n: float64(v)}
	case int8:
		return val{k: kNum, n: float64(v)}
	case uint:
		return val{k: kNum, n: float64(v)}
	case uint64:
		return val{k: kNum, n: float64(v)}
	case uint32:
		return val{k: kNum, n: float64(v)}
	case uint16:
		return val{k: kNum, n: float64(v)}
	case uint8:
		return val{k: kNum, n: float64(v)}
	case float32:
		return val{k: kNum, n: float64(v)}
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return val{k: kStr, s: string(v)}
		}
		return val{k: kNum, n: f}
	default:
		return val{k: kOther, r: x}
	}
}

// toAny returns the value as a Go value of a JSON type (boxing scalars, which allocates).
func (v val) toAny() any {
	switch v.k {
	case kBool:
		return v.b
	case kNum:
		return v.n
	case kStr:
		return v.s
	case kArr, kObj, kOther:
		return v.r
	}
	return nil
}

// truthy is JsonLogic's truthiness as flagd evaluates it: false, 0, "", [], {} and null are false.
func (v val) truthy() bool {
	switch v.k {
	case kBool:
		return v.b
	case kNum:
		return v.n != 0
	case kStr:
		return v.s != ""
	case kArr:
		return len(v.r.([]any)) > 0
	case kObj:
		return len(v.r.(map[string]any)) > 0
	case kOther:
		return true
	}
	return false
}

// num converts like JavaScript's Number(): null → 0, booleans → 0/1, numeric strings parse, the rest is NaN.
func (v val) num() float64 {
	switch v.k {
	case kNum:
		return v.n
	case kNull:
		return 0
	case kBool:
		if v.b {
			return 1
		}
		return 0
	case kStr:
		s := strings.TrimSpace(v.s)
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return math.NaN()
		}
		return f
	}
	return math.NaN()
}

func isRangeErr(err error) bool {
	return errors.Is(err, strconv.ErrRange) // a *strconv.NumError unwraps to its cause
}

// str converts for string operations (cat, substr): numbers in their shortest form, null as "".
func (v val) str() string {
	switch v.k {
	case kStr:
		return v.s
	case kNum:
		return formatNum(v.n)
	case kBool:
		if v.b {
			return "true"
		}
		return "false"
	case kNull:
		return ""
	}
	b, err := json.Marshal(v.r)
	if err != nil {
		return ""
	}
	return string(b)
}

func formatNum(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e21 {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return strconv.FormatFloat(n, 'g', -1, 64)
}

// looseEquals is JsonLogic's ==: strings compare as strings, null equals only null, everything else as numbers.
func looseEquals(a, b val) bool {
	if a.k == kNull || b.k == kNull {
		return a.k == b.k
	}
	if a.k == kStr && b.k == kStr {
		return a.s == b.s
	}
	if (a.k == kArr || a.k == kObj || a.k == kOther) && a.k == b.k {
		return sameRef(a.r, b.r)
	}
	return a.num() == b.num()
}

// strictEquals is ===: same JSON type and equal.
func strictEquals(a, b val) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case kNull:
		return true
	case kBool:
		return a.b == b.b
	case kNum:
		return a.n == b.n
	case kStr:
		return a.s == b.s
	}
	return sameRef(a.r, b.r)
}

func sameRef(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Kind() != rb.Kind() {
		return false
	}
	switch ra.Kind() {
	case reflect.Map, reflect.Slice:
		return ra.Pointer() == rb.Pointer() && ra.Len() == rb.Len()
	}
	return false
}

// less is JsonLogic's <: two strings compare as strings, anything else as numbers.
func less(a, b val) bool {
	if a.k == kStr && b.k == kStr {
		return a.s < b.s
	}
	return a.num() < b.num()
}

func lessEq(a, b val) bool {
	if a.k == kStr && b.k == kStr {
		return a.s <= b.s
	}
	return less(a, b) || looseEquals(a, b)
}

// variantName turns a targeting result into the name of a variant: strings as they are, booleans as "true" or
// "false" (flagd's boolean shorthand), numbers in their JSON form. ok is false for values that cannot name one.
func variantName(v val) (string, bool) {
	switch v.k {
	case kStr:
		return v.s, true
	case kBool:
		if v.b {
			return "true", true
		}
		return "false", true
	case kNum:
		return formatNum(v.n), true
	}
	return "", false
}

// jsonKind names a Go JSON value's type for messages.
func jsonKind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
