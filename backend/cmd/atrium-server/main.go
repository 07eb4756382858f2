// Command atrium-server runs the portal API alone: no UI, no cgo, no GTK — the build for servers and containers.
// It takes the same flags and environment as `atrium serve`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sphera/atrium/backend/server"
)

func main() {
	cfg := server.Config{Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	cfg.RegisterFlags(flag.CommandLine)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cfg.FromEnv()
	if err == nil {
		err = server.Serve(ctx, cfg, nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "atrium-server:", err)
		os.Exit(1)
	}
}
