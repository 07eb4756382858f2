package api

import (
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCSVQuotesOnlyWhatASpreadsheetWouldRun: a cell starting with = + - @ tab or CR is what a spreadsheet reads as a
// formula (CSV injection), so it gets a leading quote — and no other cell does. A scoped npm package name
// (@types/node) starts with @ but is a name, not a formula: npm allows in it only lower-case letters, digits and
// - . _ ~ around one slash, nothing a formula could call or reach out with, so it is written as it is.
func TestCSVQuotesOnlyWhatASpreadsheetWouldRun(t *testing.T) {
	tests := []struct{ cell, want string }{
		{"react", "react"},
		{"@types/node", "@types/node"},
		{"@babel/core", "@babel/core"},
		{"@sphera/ui-kit.v2~beta", "@sphera/ui-kit.v2~beta"},
		{"github.com/spf13/cobra", "github.com/spf13/cobra"},
		{"^18.2.0", "^18.2.0"},
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"@types/node(1)", "'@types/node(1)"},
		{"@Types/Node", "'@Types/Node"}, // npm names are lower case: not one
		{"@a/b/c", "'@a/b/c"},
		{"@/x", "'@/x"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
	}
	rows := [][]string{{"n", "cell"}}
	for _, tt := range tests {
		rows = append(rows, []string{"1", tt.cell})
	}
	w := httptest.NewRecorder()
	writeCSV(w, "t.csv", rows)
	got, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil || len(got) != len(tests)+1 {
		t.Fatalf("csv: %v %q", err, w.Body.String())
	}
	for i, tt := range tests {
		if got[i+1][1] != tt.want {
			t.Errorf("%q written as %q, want %q", tt.cell, got[i+1][1], tt.want)
		}
	}
}
