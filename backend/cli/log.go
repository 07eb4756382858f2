package cli

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// NewLogger returns the log of a command, written to w (standard error). Commands that keep running — the portal,
// the window, `atrium web` — log from INFO up: their log is their record. Commands that answer and exit (quiet)
// log only warnings and errors, so that their standard error is empty when all went well. ATRIUM_LOG=debug logs
// everything, for both.
func NewLogger(w io.Writer, quiet bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	if strings.EqualFold(os.Getenv("ATRIUM_LOG"), "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
