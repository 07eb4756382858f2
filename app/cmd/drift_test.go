package cmd

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDriftContract is issue #13's contract checked from outside, on the local demo: `atrium drift --json` prints
// {"items": [{"kind": "missing"|"unmanaged"|"changed", "service", "resource", "environment", "region", ...}]}, the
// demo has at least one item of each kind, and a "changed" item names the fields that differ. The command runs
// read-only on a fresh data directory: the items come from the replica, as offline.
func TestDriftContract(t *testing.T) {
	dir := t.TempDir()
	r := atriumRun(t, "drift", "--json", "--data", dir)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("drift --json: %+v", r)
	}
	var out struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.out)
	}
	kinds := map[string]int{}
	for _, it := range out.Items {
		for _, key := range []string{"kind", "service", "resource", "environment", "region"} {
			if _, ok := it[key].(string); !ok {
				t.Errorf("item without %q: %v", key, it)
			}
		}
		kind, _ := it["kind"].(string)
		kinds[kind]++
		switch kind {
		case "missing", "unmanaged":
		case "changed":
			fields, _ := it["fields"].([]any)
			if len(fields) == 0 {
				t.Errorf("a changed item names no field: %v", it)
			}
			for _, f := range fields {
				fm, _ := f.(map[string]any)
				if fm["path"] == "" || fm["desired"] == nil || fm["live"] == nil || fm["desired"] == fm["live"] {
					t.Errorf("a field without path, desired and live values: %v", f)
				}
			}
		default:
			t.Errorf("kind %q", kind)
		}
	}
	if kinds["missing"] == 0 || kinds["unmanaged"] == 0 || kinds["changed"] == 0 {
		t.Fatalf("the demo lacks a kind: %v", kinds)
	}
	// Filters, and the text for people.
	r = atriumRun(t, "drift", "--data", dir, "--kind", "changed")
	if r.code != 0 || !strings.Contains(r.out, "spec.maxReplicas 10 → 25") || strings.Contains(r.out, "unmanaged") {
		t.Fatalf("drift --kind changed: %+v", r)
	}
	r = atriumRun(t, "drift", "--json", "--data", dir, "--service", "payments-api")
	if err := json.Unmarshal([]byte(r.out), &out); r.code != 0 || err != nil || len(out.Items) == 0 {
		t.Fatalf("drift --service payments-api: %+v", r)
	}
	for _, it := range out.Items {
		if it["service"] != "payments-api" {
			t.Errorf("another service's item: %v", it)
		}
	}
	if r = atriumRun(t, "drift", "--data", dir, "--service", "payments-apj"); r.code != 1 || !strings.Contains(r.stderr, "payments-api") {
		t.Fatalf("a mistyped service: %+v", r)
	}
	if r = atriumRun(t, "drift", "--data", dir, "--kind", "odd"); r.code != 2 {
		t.Fatalf("a bad kind: %+v", r)
	}
}
