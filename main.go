// Atrium is the company's developer portal: a desktop app (the default), the same UI in a browser (`atrium web`),
// the portal server (`atrium serve`) and a command line over the same API. See README.md and `atrium --help`.
package main

import (
	"os"

	"github.com/sphera/atrium/app/cmd"
	"github.com/sphera/atrium/frontend"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], frontend.Dist()))
}
