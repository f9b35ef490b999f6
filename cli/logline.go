package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// lineHandler is a slog.Handler for people at a terminal: one short line a
// record, "10:42:01 routed x → bob, carol  id=3f2a9c1b04de". The time is
// the local clock; warnings and errors say so; the file an action concerns
// comes bare after the message, its recipients after an arrow, the other
// attributes as key=value. Values pass through printable: a file's name in
// the outbox is anyone's choice.
type lineHandler struct {
	mu     *sync.Mutex // shared by the handlers derived with WithAttrs/WithGroup
	w      io.Writer
	level  slog.Leveler
	attrs  []slog.Attr // from WithAttrs, keys already prefixed with their group
	prefix string      // the open groups, "g1.g2."
}

// newLineHandler returns a lineHandler writing records at level and above
// to w.
func newLineHandler(w io.Writer, level slog.Leveler) *lineHandler {
	return &lineHandler{mu: new(sync.Mutex), w: w, level: level}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if !r.Time.IsZero() {
		b.WriteString(r.Time.Local().Format("15:04:05 "))
	}
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(printable(r.Message))
	var rest []string
	add := func(prefix string, a slog.Attr) {
		for _, a := range flatten(prefix, a) {
			switch a.Key {
			case "file":
				b.WriteString(" " + valueText(a.Value))
			case "to":
				b.WriteString(" → " + valueText(a.Value))
			default:
				v := valueText(a.Value)
				if strings.ContainsAny(v, " \t\n\"") {
					v = fmt.Sprintf("%q", v)
				}
				rest = append(rest, a.Key+"="+v)
			}
		}
	}
	for _, a := range h.attrs {
		add("", a) // prefixed already
	}
	r.Attrs(func(a slog.Attr) bool { add(h.prefix, a); return true })
	if len(rest) > 0 {
		b.WriteString("  " + strings.Join(rest, " "))
	}
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = slices.Clone(h.attrs)
	for _, a := range attrs {
		c.attrs = append(c.attrs, flatten(h.prefix, a)...)
	}
	return &c
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// flatten resolves a and spreads a group into one attribute per member,
// each key prefixed with the groups it is in. Empty attributes vanish, as
// slog asks of handlers.
func flatten(prefix string, a slog.Attr) []slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return nil
	}
	if a.Value.Kind() != slog.KindGroup {
		a.Key = prefix + a.Key
		return []slog.Attr{a}
	}
	if a.Key != "" {
		prefix += a.Key + "."
	}
	var out []slog.Attr
	for _, m := range a.Value.Group() {
		out = append(out, flatten(prefix, m)...)
	}
	return out
}

// valueText writes a value for people: lists joined by ", ", times as the
// clock, made printable.
func valueText(v slog.Value) string {
	var s string
	switch v.Kind() {
	case slog.KindTime:
		s = v.Time().Local().Format("15:04:05")
	case slog.KindDuration:
		s = v.Duration().String()
	case slog.KindAny:
		switch x := v.Any().(type) {
		case []string:
			s = strings.Join(x, ", ")
		case time.Time:
			s = x.Local().Format("15:04:05")
		case error:
			s = x.Error()
		default:
			s = fmt.Sprint(x)
		}
	default:
		s = v.String()
	}
	return printable(s)
}
