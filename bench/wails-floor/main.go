// Command wails-floor is the memory floor of the desktop window: a Wails v2 window with Atrium's options (the same
// Wails release, build tags, GPU policy and size) showing one static page, and nothing of Atrium's. Measured with
// bench/desktop-memory.sh beside the real app, it says how much of the window process's memory any Wails window on
// WebKitGTK costs on that machine, and so how much is Atrium's own (bench/RESULTS.md, issue 17).
//
//	CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 -o build/bin/wails-floor ./bench/wails-floor
//	bench/desktop-memory.sh build/bin/wails-floor 600 bench/out/floor
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing/fstest"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

// page is a table of 75 rows, as many as the demo catalog shows, so the web process paints about as much.
func page() string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=utf-8><title>floor</title></head><body><table>")
	for i := 0; i < 75; i++ {
		fmt.Fprintf(&b, "<tr><td>service-%02d</td><td>team</td><td>go</td><td>passing</td></tr>", i)
	}
	b.WriteString("</table></body></html>")
	return b.String()
}

func main() {
	ui := fstest.MapFS{"index.html": {Data: []byte(page())}}
	err := wails.Run(&options.App{
		Title:            "Atrium (floor)",
		Width:            1320,
		Height:           860,
		AssetServer:      &assetserver.Options{Assets: ui},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		Linux:            &linux.Options{ProgramName: "atrium", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		// The line bench/desktop-memory.sh waits for, as the app logs once its first rows are painted.
		OnDomReady: func(context.Context) { fmt.Println("kind=ui.ready") },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "wails-floor:", err)
		os.Exit(1)
	}
}
