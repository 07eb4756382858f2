package flags_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/sphera/atrium/internal/flags"
)

// testbedDir is the flagd-testbed evaluator suite, copied under testdata/ (see its README.md for the version).
func testbedDir(t *testing.T) string {
	t.Helper()
	tb := filepath.Join("testdata", "flagd-testbed", "evaluator")
	if _, err := os.Stat(tb); err != nil {
		t.Fatalf("flagd-testbed suite not found: %v", err)
	}
	return tb
}

// TestFlagdTestbed runs the flagd-testbed evaluator scenarios (gherkin, via godog) against this evaluator. The
// @fractional-v1 scenarios test flagd's retired bucketing formula and are excluded.
func TestFlagdTestbed(t *testing.T) {
	dir := testbedDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "flags", "testkit-flags.json"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := flags.CompileJSON(data)
	if err != nil {
		t.Fatalf("compile testkit flags: %v", err)
	}
	var out bytes.Buffer
	suite := godog.TestSuite{
		Name:                "flagd-testbed-evaluator",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { (&scenario{set: set}).register(sc) },
		Options: &godog.Options{
			Format:   "progress",
			NoColors: true,
			Output:   &out,
			Paths:    []string{filepath.Join(dir, "gherkin")},
			Tags:     "~@fractional-v1",
			Strict:   true,
			TestingT: t,
		},
	}
	if code := suite.Run(); code != 0 {
		t.Fatalf("flagd-testbed scenarios failed (status %d):\n%s", code, out.String())
	}
}

type scenario struct {
	set      *flags.Set
	key      string
	typ      string
	fallback any
	ctx      map[string]any
	detail   flags.Detail
	value    any
}

func (s *scenario) register(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		s.ctx = map[string]any{}
		s.detail = flags.Detail{}
		return ctx, nil
	})
	sc.Step(`^an evaluator$`, func() error { return nil })
	sc.Step(`^a (Boolean|String|Integer|Float|Object)-flag with key "([^"]*)" and a fallback value "(.*)"$`, s.flag)
	sc.Step(`^a context containing a key "([^"]*)", with type "([^"]*)" and with value "(.*)"$`, s.contextValue)
	sc.Step(`^a context containing a targeting key with value "(.*)"$`, func(v string) error {
		s.ctx["targetingKey"] = v
		return nil
	})
	sc.Step(`^a context containing a nested property with outer key "([^"]*)" and inner key "([^"]*)", with value "(.*)"$`,
		func(outer, inner, v string) error {
			m, _ := s.ctx[outer].(map[string]any)
			if m == nil {
				m = map[string]any{}
				s.ctx[outer] = m
			}
			m[inner] = v
			return nil
		})
	sc.Step(`^the flag was evaluated with details$`, s.evaluate)
	sc.Step(`^the resolved details value should be "(.*)"$`, s.valueShouldBe)
	sc.Step(`^the reason should be "([^"]*)"$`, func(want string) error {
		if string(s.detail.Reason) != want {
			return fmt.Errorf("reason %s, want %s (detail %+v)", s.detail.Reason, want, s.detail)
		}
		return nil
	})
	sc.Step(`^the error-code should be "([^"]*)"$`, func(want string) error {
		if string(s.detail.ErrorCode) != want {
			return fmt.Errorf("error code %q, want %q (detail %+v)", s.detail.ErrorCode, want, s.detail)
		}
		return nil
	})
	sc.Step(`^the resolved metadata should contain$`, s.metadataContains)
	sc.Step(`^the resolved metadata is empty$`, func() error {
		if len(s.detail.Metadata) != 0 {
			return fmt.Errorf("metadata %v, want none", s.detail.Metadata)
		}
		return nil
	})
}

func unescape(s string) string { return strings.ReplaceAll(s, `\"`, `"`) }

// parseTyped reads a step's value as the flag type says.
func parseTyped(typ, raw string) (any, error) {
	raw = unescape(raw)
	switch typ {
	case "Boolean":
		return strconv.ParseBool(raw)
	case "Integer":
		return strconv.ParseInt(raw, 10, 64)
	case "Float":
		return strconv.ParseFloat(raw, 64)
	case "Object":
		var v map[string]any
		err := json.Unmarshal([]byte(raw), &v)
		return v, err
	}
	return raw, nil
}

func (s *scenario) flag(typ, key, fallback string) error {
	v, err := parseTyped(typ, fallback)
	if err != nil {
		return fmt.Errorf("fallback %q: %w", fallback, err)
	}
	s.typ, s.key, s.fallback = typ, key, v
	return nil
}

func (s *scenario) contextValue(key, typ, raw string) error {
	switch typ {
	case "String":
		s.ctx[key] = raw
	case "Integer":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return err
		}
		s.ctx[key] = float64(n)
	case "Float":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return err
		}
		s.ctx[key] = f
	case "Boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		s.ctx[key] = b
	default:
		return fmt.Errorf("context type %q not supported", typ)
	}
	return nil
}

var types = map[string]flags.Type{"Boolean": flags.TypeBoolean, "String": flags.TypeString,
	"Integer": flags.TypeInteger, "Float": flags.TypeFloat, "Object": flags.TypeObject}

func (s *scenario) evaluate() error {
	s.detail = s.set.EvaluateAs(s.key, types[s.typ], s.ctx)
	s.value = s.fallback
	if s.detail.Value != nil && s.detail.ErrorCode == "" {
		s.value = s.detail.Value
		if s.typ == "Integer" {
			s.value = int64(s.detail.Value.(float64))
		}
	}
	return nil
}

func (s *scenario) valueShouldBe(raw string) error {
	want, err := parseTyped(s.typ, raw)
	if err != nil {
		return fmt.Errorf("expected value %q: %w", raw, err)
	}
	if !reflect.DeepEqual(s.value, want) {
		return fmt.Errorf("value %#v, want %#v (detail %+v)", s.value, want, s.detail)
	}
	return nil
}

func (s *scenario) metadataContains(table *godog.Table) error {
	for _, row := range table.Rows[1:] {
		key, typ, raw := row.Cells[0].Value, row.Cells[1].Value, row.Cells[2].Value
		got, ok := s.detail.Metadata[key]
		if !ok {
			return fmt.Errorf("metadata has no %q: %v", key, s.detail.Metadata)
		}
		switch typ {
		case "String":
			if got != raw {
				return fmt.Errorf("metadata %s = %#v, want %q", key, got, raw)
			}
		case "Boolean":
			b, _ := strconv.ParseBool(raw)
			if got != b {
				return fmt.Errorf("metadata %s = %#v, want %v", key, got, b)
			}
		case "Integer", "Float":
			f, _ := strconv.ParseFloat(raw, 64)
			g, ok := got.(float64)
			if !ok || math.Abs(g-f) > 1e-12 || (typ == "Integer" && g != math.Trunc(g)) {
				return fmt.Errorf("metadata %s = %#v, want %s %v", key, got, typ, f)
			}
		default:
			return fmt.Errorf("metadata type %q not supported", typ)
		}
	}
	return nil
}
