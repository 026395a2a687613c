package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWatchLogsStartAndStop: a running watcher says once, when it starts, which mailbox it serves,
// with which providers and on which address; and once when it stops.
func TestWatchLogsStartAndStop(t *testing.T) {
	repo := newRepo(t, "main")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r := courierCtx(ctx, t, repo, nil, "watch", "--listen", "127.0.0.1:0")
	wantCode(t, r, 0, "watch")
	got := lines(r.stderr)
	if len(got) != 2 {
		t.Fatalf("stderr has %d lines, want a start and a stop line\n%s", len(got), r)
	}
	for _, want := range []string{"watch started", "mailbox=" + repo, "providers=file", "listen=127.0.0.1:0"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("start line %q lacks %q", got[0], want)
		}
	}
	if !strings.Contains(got[1], "watch stopped") {
		t.Errorf("stop line %q lacks %q", got[1], "watch stopped")
	}
}
