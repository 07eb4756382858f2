// Atrium is the company's developer portal: a desktop app (the default), the same UI in a browser (`atrium web`),
// and the portal server (`atrium serve`). See README.md.
package main

import (
	"os"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/frontend"
)

func main() {
	os.Exit(app.Main(os.Args[1:], frontend.Dist()))
}
