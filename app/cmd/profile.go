package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/sphera/atrium/app"
)

// startProfiler serves Go's runtime profiles (net/http/pprof: heap, CPU, goroutines) on $ATRIUM_PPROF, an address
// on the loopback interface, for measuring where a long-running atrium (the window, atrium web) spends its memory
// and time — bench/desktop-memory.sh reads the heap there. Without the variable nothing listens; an address off the loopback
// interface is refused, since profiles show what the process holds. It stops serving when ctx ends.
func startProfiler(ctx context.Context, log *slog.Logger) error {
	addr := os.Getenv("ATRIUM_PPROF")
	if addr == "" {
		return nil
	}
	if err := app.LoopbackOnly(addr); err != nil {
		return fmt.Errorf("$ATRIUM_PPROF: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("$ATRIUM_PPROF: %w", err)
	}
	log.Info("profiles served", "addr", ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close() // the listener's close error says nothing the caller can act on
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("profiles no longer served", "err", err)
		}
	}()
	return nil
}
