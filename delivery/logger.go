package delivery

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/monoco/courier/delivery/mailbox"
)

// NewLogger is the watcher's logger writing format text or json to w. Log times are RFC 3339 UTC
// with Z and milliseconds, like every other timestamp courier writes (docs/protocol.md, "Fields"),
// whatever the local time zone.
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
			return slog.String(slog.TimeKey, mailbox.At(a.Value.Time()).String())
		}
		return a
	}}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %s: want text or json", format)
}
