package flags

import (
	"encoding/json"
	"math"
	"math/bits"
)

// Murmur3 is MurmurHash3 x86_32 with seed 0, the hash flagd buckets with.
func Murmur3(data []byte) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h uint32
	n := len(data) / 4
	for i := 0; i < n; i++ {
		k := uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	tail := data[4*n:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// Bucket maps a hash into [0, totalWeight) the way flagd's current fractional does: (hash × total) >> 32.
func Bucket(hash uint32, totalWeight uint32) uint32 {
	return uint32((uint64(hash) * uint64(totalWeight)) >> 32)
}

// Pick returns the index of the weighted entry a bucketing key falls into, or -1 when all weights are zero.
func Pick(key []byte, weights []uint32) int {
	var total uint64
	for _, w := range weights {
		total += uint64(w)
	}
	if total == 0 || total > math.MaxInt32 {
		return -1
	}
	b := uint64(Bucket(Murmur3(key), uint32(total)))
	var end uint64
	for i, w := range weights {
		end += uint64(w)
		if b < end {
			return i
		}
	}
	return -1
}

// fractionalNode is flagd's "fractional": [bucketing key expression?, [variant, weight?]...]. Its arguments are
// evaluated first (variant names and weights may themselves be expressions); a string first argument is the
// bucketing key, otherwise the key is the flag key followed by the targeting key.
type fractionalNode struct {
	key     node // first argument when it is not a literal bucket
	cat     *catNode
	buckets []bucketDef
	// static weights: all weights literal, so the total is known at compile time.
	static bool
	total  uint64
}

type bucketDef struct {
	whole  node // a bucket written as an expression rather than a literal array
	name   node
	weight node // nil: weight 1
	lit    int64
	isLit  bool
}

func (c *compiler) fractional(args []any, path string, single bool) node {
	n := &fractionalNode{static: true}
	if len(args) == 0 {
		c.problem(path, "fractional needs at least one bucket: [\"variant\", weight]")
		return errNode{"fractional needs at least one bucket"}
	}
	rest := args
	if _, isBucket := args[0].([]any); !isBucket {
		p := childIndex(path, 0)
		if single {
			p = path
		}
		n.key = c.compile(args[0], p)
		if cn, ok := n.key.(catNode); ok {
			n.cat = &cn
		}
		rest = args[1:]
		if len(rest) == 0 {
			c.problem(path, "fractional needs at least one bucket after the bucketing key")
		}
	}
	offset := len(args) - len(rest)
	for i, b := range rest {
		bp := childIndex(path, i+offset)
		arr, ok := b.([]any)
		if !ok {
			c.problem(bp, "a fractional bucket must be an array [\"variant\", weight]")
			n.buckets = append(n.buckets, bucketDef{whole: c.compile(b, bp)})
			n.static = false
			continue
		}
		if len(arr) == 0 || len(arr) > 2 {
			c.problem(bp, "a fractional bucket is [\"variant\", weight] or [\"variant\"] (weight 1)")
		}
		if len(arr) == 0 {
			n.buckets = append(n.buckets, bucketDef{whole: lit{vArr(arr)}})
			n.static = false
			continue
		}
		d := bucketDef{name: c.compile(arr[0], childIndex(bp, 0)), isLit: true, lit: 1}
		if len(arr) >= 2 {
			wp := childIndex(bp, 1)
			switch w := arr[1].(type) {
			case json.Number:
				f, err := w.Float64()
				switch {
				case err != nil || f != math.Trunc(f):
					c.problem(wp, "weight %s is not an integer", w)
					d.weight = lit{literal(w)}
					d.isLit = false
				case f < 0:
					c.problem(wp, "weight %s is negative; weights are integers from 0 up", w)
					d.lit = 0
				case f > math.MaxInt32:
					c.problem(wp, "weight %s is larger than %d", w, math.MaxInt32)
					d.weight = lit{literal(w)}
					d.isLit = false
				default:
					d.lit = int64(f)
				}
			case nil:
			case map[string]any:
				d.weight = c.compile(w, wp)
				d.isLit = false
			default:
				c.problem(wp, "weight must be an integer, not %s", jsonKind(w))
				d.weight = c.compile(w, wp)
				d.isLit = false
			}
		}
		if !d.isLit {
			n.static = false
		} else {
			n.total += uint64(d.lit)
		}
		n.buckets = append(n.buckets, d)
	}
	if n.static && n.total > math.MaxInt32 {
		c.problem(path, "fractional weights add up to %d, more than %d", n.total, math.MaxInt32)
	}
	if n.static && n.total == 0 && len(n.buckets) > 0 {
		c.problem(path, "fractional weights add up to 0, so every evaluation falls back to the default variant")
	}
	return n
}

// bucketName reports whether v may name a bucket: strings, booleans, numbers and null.
func bucketName(v val) bool { return v.k <= kStr }

func (n *fractionalNode) eval(s *state) val {
	// The key goes into the state's scratch buffer unless a fractional nested in this one's key holds it.
	var buf []byte
	if !s.bufBusy {
		s.bufBusy = true
		defer func() { s.bufBusy = false }()
		buf = s.buf[:0]
	}
	buckets := n.buckets
	var dynamicFirst *val
	if n.key != nil {
		var k val
		if n.cat != nil {
			buf = n.cat.appendTo(s, buf)
			k = val{k: kStr}
		} else {
			k = n.key.eval(s)
		}
		switch k.k {
		case kStr:
			if n.cat == nil {
				buf = append(buf, k.s...)
			}
		case kNull:
			// A missing bucketing value: fall back to the targeting key, as flagd does.
			if !appendTargetingKey(s, &buf) {
				return null
			}
		default:
			// Not a key: flagd treats it as the first bucket and buckets by the targeting key.
			if !appendTargetingKey(s, &buf) {
				return null
			}
			dynamicFirst = &k
		}
	} else if !appendTargetingKey(s, &buf) {
		return null
	}

	// Weights: known at compile time, or evaluated once each.
	var total uint64
	var weightsArr [16]uint64
	var weights []uint64
	if n.static && dynamicFirst == nil {
		total = n.total
	} else {
		weights = weightsArr[:0]
		if dynamicFirst != nil {
			_, w, ok := bucketFromValue(*dynamicFirst)
			if !ok {
				return null
			}
			weights = append(weights, w)
			total += w
		}
		for i := range buckets {
			w, ok := n.weight(s, i)
			if !ok {
				return null
			}
			weights = append(weights, w)
			total += w
		}
		if total > math.MaxInt32 {
			return null
		}
	}
	if total == 0 {
		return null
	}
	b := uint64(Bucket(Murmur3(buf), uint32(total)))
	var end uint64
	j := 0
	if dynamicFirst != nil {
		end += weights[0]
		j = 1
		if b < end {
			name, _, _ := bucketFromValue(*dynamicFirst)
			name.split = true
			return name
		}
	}
	for i := range buckets {
		if weights != nil {
			end += weights[i+j]
		} else {
			end += uint64(buckets[i].lit)
		}
		if b < end {
			v := n.name(s, i)
			if !bucketName(v) {
				return null
			}
			v.split = true
			return v
		}
	}
	return null
}

func appendTargetingKey(s *state, buf *[]byte) bool {
	tk, ok := s.root["targetingKey"].(string)
	if !ok || tk == "" {
		return false
	}
	*buf = append(*buf, s.flagKey...)
	*buf = append(*buf, tk...)
	return true
}

func (n *fractionalNode) weight(s *state, i int) (uint64, bool) {
	d := &n.buckets[i]
	if d.whole != nil {
		_, w, ok := bucketFromValue(d.whole.eval(s))
		return w, ok
	}
	if d.isLit {
		return uint64(d.lit), true
	}
	w := d.weight.eval(s)
	switch w.k {
	case kNull:
		return 1, true
	case kNum:
		if w.n != math.Trunc(w.n) || w.n > math.MaxInt32 {
			return 0, false
		}
		if w.n < 0 {
			return 0, true
		}
		return uint64(w.n), true
	}
	return 0, false
}

func (n *fractionalNode) name(s *state, i int) val {
	d := &n.buckets[i]
	if d.whole != nil {
		v, _, _ := bucketFromValue(d.whole.eval(s))
		return v
	}
	return d.name.eval(s)
}

// bucketFromValue reads a bucket that was computed as a whole: an array [name, weight?].
func bucketFromValue(v val) (val, uint64, bool) {
	if v.k != kArr {
		return null, 0, false
	}
	a := v.r.([]any)
	if len(a) == 0 {
		return null, 0, false
	}
	name := fromAny(a[0])
	if !bucketName(name) {
		return null, 0, false
	}
	if len(a) < 2 || a[1] == nil {
		return name, 1, true
	}
	w := fromAny(a[1])
	if w.k != kNum || w.n != math.Trunc(w.n) || w.n > math.MaxInt32 {
		return null, 0, false
	}
	if w.n < 0 {
		return name, 0, true
	}
	return name, uint64(w.n), true
}
