package kube

import (
	"context"
	"log/slog"

	"k8s.io/klog/v2"
)

// LogClientGoTo sends client-go's own log lines (klog: reflector warnings and the like) to log instead of stderr,
// its informational lines at debug level: the collector reports what matters as cluster states. It changes
// process-wide state, so the server calls it once.
func LogClientGoTo(log *slog.Logger) {
	klog.SetSlogLogger(slog.New(demote{log.Handler()}))
}

// demote lowers informational records to debug.
type demote struct{ slog.Handler }

func (d demote) Enabled(ctx context.Context, l slog.Level) bool {
	return d.Handler.Enabled(ctx, lower(l))
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	r.Level = lower(r.Level)
	return d.Handler.Handle(ctx, r)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.Handler.WithAttrs(as)} }
func (d demote) WithGroup(g string) slog.Handler       { return demote{d.Handler.WithGroup(g)} }

func lower(l slog.Level) slog.Level {
	if l < slog.LevelWarn {
		return slog.LevelDebug
	}
	return l
}
