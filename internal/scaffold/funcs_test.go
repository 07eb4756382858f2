package scaffold_test

import (
	"strings"
	"testing"
	"text/template"

	"github.com/sphera/atrium/internal/scaffold"
)

func TestFuncs(t *testing.T) {
	data := map[string]any{"name": "orders-api", "words": "OrdersAPI v2", "list": []any{"dev", "staging"},
		"empty": "", "n": int64(0), "m": map[string]any{"b": 1, "a": []any{"x"}}, "quoted": `say "hi"`}
	tests := []struct{ src, want string }{
		{`{{ lower "ABC" }}|{{ upper .name }}`, "abc|ORDERS-API"},
		{`{{ title "orders api" }}|{{ capitalize "oRDERS" }}`, "Orders Api|Orders"},
		{`{{ kebab .words }}|{{ snake .words }}|{{ camel .words }}|{{ pascal .name }}`, "orders-api-v2|orders_api_v2|ordersApiV2|OrdersApi"},
		{`{{ quote .quoted }}|{{ toJson .quoted }}`, `"say \"hi\""|"say \"hi\""`},
		{`{{ default "none" .empty }}|{{ default 8080 .n }}|{{ .name | default "x" }}`, "none|8080|orders-api"},
		{`{{ join ", " .list }}|{{ .list | join "+" }}`, "dev, staging|dev+staging"},
		{`{{ toJson .m }}`, `{"a":["x"],"b":1}`},
		{"{{ toYaml .m | indent 2 }}", "  a:\n      - x\n  b: 1"},
		{`{{ gha "github.sha" }}`, "${{ github.sha }}"},
		{`{{ trim "  x " }}|{{ replace "-" "_" .name }}`, "x|orders_api"},
		{`{{ (parseRepoUrl "github.com?owner=sphera&repo=orders").owner }}|{{ projectSlug "github.com?owner=a&repo=b" }}`, "sphera|a/b"},
	}
	for _, tc := range tests {
		tmpl, err := template.New("t").Funcs(scaffold.Funcs()).Parse(tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, data); err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if b.String() != tc.want {
			t.Errorf("%s = %q, want %q", tc.src, b.String(), tc.want)
		}
	}
	// No function reaches outside the template's data.
	for name := range scaffold.Funcs() {
		for _, forbidden := range []string{"env", "file", "read", "http", "exec", "now", "rand"} {
			if strings.Contains(strings.ToLower(name), forbidden) {
				t.Errorf("function %s may reach the outside world", name)
			}
		}
	}
}
