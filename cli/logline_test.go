package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

func TestLineHandler(t *testing.T) {
	at := time.Date(2026, 3, 14, 10, 42, 1, 0, time.Local)
	tests := []struct {
		name  string
		log   func(*slog.Logger)
		level slog.Level
		want  string
	}{
		{"routed", func(l *slog.Logger) {
			l.Info("routed", "file", "x", "id", "3f2a9c1b04de", "to", []string{"bob", "carol"})
		}, slog.LevelInfo, "10:42:01 routed x → bob, carol  id=3f2a9c1b04de\n"},
		{"warning with error", func(l *slog.Logger) {
			l.Warn("route failed; will retry", "file", "y", "err", errors.New("disk full"))
		}, slog.LevelInfo, "10:42:01 warning: route failed; will retry y  err=\"disk full\"\n"},
		{"no attributes", func(l *slog.Logger) { l.Info("stopped") }, slog.LevelInfo, "10:42:01 stopped\n"},
		{"below the level", func(l *slog.Logger) { l.Info("routed", "file", "x") }, slog.LevelWarn, ""},
		{"attrs and groups", func(l *slog.Logger) {
			l.With("pid", 42).WithGroup("g").Info("leading", "spool", "/s", slog.Group("sub", "n", 1))
		}, slog.LevelInfo, "10:42:01 leading  pid=42 g.spool=/s g.sub.n=1\n"},
		{"a hostile file name", func(l *slog.Logger) {
			l.Info("routed", "file", "\x1b[2Jx\r", "to", []string{"bob"})
		}, slog.LevelInfo, "10:42:01 routed ^[[2Jx^M → bob\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		h := newLineHandler(&b, tt.level)
		l := slog.New(timeHandler{h, at})
		tt.log(l)
		if b.String() != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, b.String(), tt.want)
		}
	}
}

// timeHandler stamps every record with a fixed time.
type timeHandler struct {
	slog.Handler
	at time.Time
}

func (h timeHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Time = h.at
	return h.Handler.Handle(ctx, r)
}

func (h timeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return timeHandler{h.Handler.WithAttrs(as), h.at}
}

func (h timeHandler) WithGroup(name string) slog.Handler {
	return timeHandler{h.Handler.WithGroup(name), h.at}
}
