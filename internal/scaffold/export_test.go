package scaffold

import "strings"

// RenderNunjucks renders a Backstage skeleton file as a fetch:template step would: translated, then executed.
func RenderNunjucks(name, src string, data any) (string, error) {
	text, err := translateNunjucks(name, src, "values")
	if err != nil {
		return "", err
	}
	tmpl, err := newTemplate(name).Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = tmpl.Execute(&b, data)
	return b.String(), err
}
