package delivery

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := NewLogger(&b, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hi")
	if out := b.String(); !strings.Contains(out, `"msg":"hi"`) || !strings.Contains(out, `Z","level"`) {
		t.Errorf("json log = %s", out)
	}
	if _, err := NewLogger(&b, "xml", slog.LevelInfo); err == nil {
		t.Error("format xml accepted")
	}
}
