package scorecard

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// CEL sees the service document and the platform as typed objects whose fields are their JSON names. The types are
// derived once, by reflection, from the Go structs (catalog.Document and what it holds, Platform); a value is
// converted to CEL once per service, so that fifteen rules reading the same dependencies share one conversion and
// no rule pays for reflection (cel-go's own NativeTypes reflects on every field access, several times slower).

// objType is a Go struct as a CEL object type.
type objType struct {
	name   string // CEL type name, e.g. "catalog.Document"
	cel    *types.Type
	goType reflect.Type
	fields []objField
	byName map[string]int
}

type objField struct {
	name  string // JSON name
	index int    // Go field index
	cel   *types.Type
	ft    *types.FieldType
}

// obj is a struct value seen by CEL. A lazy one converts each field when a rule first reads it and keeps it (one
// service's document is read by one goroutine); the platform, shared by all, is converted whole up front.
type obj struct {
	t      *objType
	s      *schema
	v      reflect.Value
	fields []ref.Val
	lazy   bool
}

func (o *obj) field(i int) ref.Val {
	if f := o.fields[i]; f != nil {
		return f
	}
	f := o.s.value(o.v.Field(o.t.fields[i].index), o.lazy)
	o.fields[i] = f
	return f
}

var _ ref.Val = (*obj)(nil)

func (o *obj) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if o.v.CanAddr() && o.v.Addr().Type() == typeDesc {
		return o.v.Addr().Interface(), nil
	}
	return nil, fmt.Errorf("type conversion error from %s to %v", o.t.name, typeDesc)
}

func (o *obj) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return o.t.cel
	}
	if t.TypeName() == o.t.name {
		return o
	}
	return types.NewErr("type conversion error from %s to %s", o.t.name, t.TypeName())
}

func (o *obj) Equal(other ref.Val) ref.Val {
	p, ok := other.(*obj)
	if !ok || p.t != o.t {
		return types.False
	}
	for i := range o.fields {
		if o.field(i).Equal(p.field(i)) != types.True {
			return types.False
		}
	}
	return types.True
}

func (o *obj) Type() ref.Type { return o.t.cel }
func (o *obj) Value() any     { return o }

// IsSet implements traits.FieldTester (has()).
func (o *obj) IsSet(field ref.Val) ref.Val {
	name, ok := field.(types.String)
	if !ok {
		return types.NewErr("no such field %v", field)
	}
	i, ok := o.t.byName[string(name)]
	if !ok {
		return types.NewErr("no such field %q", string(name))
	}
	return types.Bool(isSet(o.field(i)))
}

// Get implements traits.Indexer, for field access the checker could not resolve statically.
func (o *obj) Get(field ref.Val) ref.Val {
	name, ok := field.(types.String)
	if !ok {
		return types.NewErr("no such field %v", field)
	}
	i, ok := o.t.byName[string(name)]
	if !ok {
		return types.NewErr("no such field %q", string(name))
	}
	return o.field(i)
}

func isSet(v ref.Val) bool {
	switch x := v.(type) {
	case types.Null:
		return false
	case types.String:
		return x != ""
	case types.Int:
		return x != 0
	case types.Double:
		return x != 0
	case types.Bool:
		return bool(x)
	case types.Timestamp:
		return !x.IsZero()
	case interface{ Size() ref.Val }:
		return x.Size() != types.IntZero
	}
	return true
}

// errNull is what reading a field of a value that was not collected (null) says.
var errNull = errors.New("the value is null: not collected for this service")

// schema is the CEL view of a set of Go struct types.
type schema struct {
	byName map[string]*objType
	byType map[reflect.Type]*objType
}

func newSchema(roots ...reflect.Type) (*schema, error) {
	s := &schema{byName: map[string]*objType{}, byType: map[reflect.Type]*objType{}}
	for _, t := range roots {
		if _, err := s.add(t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *schema) add(t reflect.Type) (*objType, error) {
	if ot, ok := s.byType[t]; ok {
		return ot, nil
	}
	pkg := t.PkgPath()
	name := pkg[strings.LastIndex(pkg, "/")+1:] + "." + t.Name()
	ot := &objType{name: name, cel: types.NewObjectType(name), goType: t, byName: map[string]int{}}
	s.byType[t], s.byName[name] = ot, ot
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || tag == "-" || tag == "" {
			continue
		}
		ct, err := s.celType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", name, f.Name, err)
		}
		idx := len(ot.fields)
		ot.byName[tag] = idx
		ot.fields = append(ot.fields, objField{name: tag, index: i, cel: ct, ft: &types.FieldType{Type: ct,
			IsSet: func(target any) bool {
				o, ok := target.(*obj)
				return ok && isSet(o.field(idx))
			},
			GetFrom: func(target any) (any, error) {
				o, ok := target.(*obj)
				if !ok {
					return nil, fmt.Errorf("cannot read %q: %w", tag, errNull)
				}
				return o.field(idx), nil
			}}})
	}
	return ot, nil
}

var timeType = reflect.TypeFor[time.Time]()

func (s *schema) celType(t reflect.Type) (*types.Type, error) {
	if t == timeType {
		return types.TimestampType, nil
	}
	switch t.Kind() {
	case reflect.String:
		return types.StringType, nil
	case reflect.Bool:
		return types.BoolType, nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return types.IntType, nil
	case reflect.Float64:
		return types.DoubleType, nil
	case reflect.Pointer:
		return s.celType(t.Elem())
	case reflect.Struct:
		ot, err := s.add(t)
		if err != nil {
			return nil, err
		}
		return ot.cel, nil
	case reflect.Slice:
		et, err := s.celType(t.Elem())
		if err != nil {
			return nil, err
		}
		return types.NewListType(et), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map keys must be strings, not %s", t.Key())
		}
		vt, err := s.celType(t.Elem())
		if err != nil {
			return nil, err
		}
		return types.NewMapType(types.StringType, vt), nil
	}
	return nil, fmt.Errorf("no CEL type for %s", t)
}

// value converts a Go value of the schema's types to CEL; lazily, structs convert their fields when read.
func (s *schema) value(v reflect.Value, lazy bool) ref.Val {
	a := types.DefaultTypeAdapter
	if v.Type() == timeType {
		return types.Timestamp{Time: v.Interface().(time.Time)}
	}
	switch v.Kind() {
	case reflect.String:
		return types.String(v.String())
	case reflect.Bool:
		return types.Bool(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return types.Int(v.Int())
	case reflect.Float64:
		return types.Double(v.Float())
	case reflect.Pointer:
		if v.IsNil() {
			return types.NullValue
		}
		return s.value(v.Elem(), lazy)
	case reflect.Struct:
		ot := s.byType[v.Type()]
		o := &obj{t: ot, s: s, v: v, fields: make([]ref.Val, len(ot.fields)), lazy: lazy}
		if !lazy {
			for i := range ot.fields {
				o.field(i)
			}
		}
		return o
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			return types.NewStringList(a, v.Interface().([]string))
		}
		elems := make([]ref.Val, v.Len())
		for i := range elems {
			elems[i] = s.value(v.Index(i), lazy)
		}
		return types.NewRefValList(a, elems)
	case reflect.Map:
		m := make(map[ref.Val]ref.Val, v.Len())
		it := v.MapRange()
		for it.Next() {
			m[types.String(it.Key().String())] = s.value(it.Value(), lazy)
		}
		return types.NewRefValMap(a, m)
	}
	return types.NewErr("no CEL value for %s", v.Type())
}

// provider declares the schema's types to CEL and delegates everything else.
type provider struct {
	*types.Registry
	s *schema
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if ot, ok := p.s.byName[name]; ok {
		return types.NewTypeTypeWithParam(ot.cel), true
	}
	return p.Registry.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if ot, ok := p.s.byName[name]; ok {
		names := make([]string, len(ot.fields))
		for i, f := range ot.fields {
			names[i] = f.name
		}
		return names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if ot, ok := p.s.byName[name]; ok {
		i, ok := ot.byName[field]
		if !ok {
			return nil, false
		}
		return ot.fields[i].ft, true
	}
	return p.Registry.FindStructFieldType(name, field)
}

// NewValue refuses to build documents inside expressions: rules read them, they do not make them.
func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.s.byName[name]; ok {
		return types.NewErr("%s values cannot be created in an expression", name)
	}
	return p.Registry.NewValue(name, fields)
}
