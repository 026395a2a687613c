package delivery

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// crashChild is the minimal watcher that the real-process tests (kill -9, two watchers) run: the test
// binary itself, started with $CRASHTEST_MAILBOX set, so that no helper binary is built. It runs a
// Watcher on $CRASHTEST_MAILBOX with provider "test", whose sender appends "start <id>" to
// $CRASHTEST_LOG, then blocks until cancelled ($CRASHTEST_MODE=block; with $CRASHTEST_MODE=first,
// every send but the first) or returns at once (any other mode) and appends "done <id>". It appends
// "tick" after each periodic rescan, and stops cleanly on SIGTERM or SIGINT. It returns the exit code.
func crashChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	mb, err := mailbox.Open(os.Getenv("CRASHTEST_MAILBOX"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mode := os.Getenv("CRASHTEST_MODE")
	snd := &childSender{log: os.Getenv("CRASHTEST_LOG"), block: mode == "block", first: mode == "first"}
	w, err := New(mb, Config{
		Interval:      100 * time.Millisecond,
		SendTimeout:   time.Hour,
		ShutdownGrace: time.Second,
		Providers:     map[string]Provider{"test": {Sender: snd}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w.onTick = func() { snd.note("tick") }
	snd.note("ready")
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type childSender struct {
	mu    sync.Mutex
	log   string
	block bool
	first bool // block every send but the first
	sends int
}

func (s *childSender) note(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintln(f, line)
	f.Sync()
	f.Close()
}

func (s *childSender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	s.note("start " + m.ID)
	s.mu.Lock()
	s.sends++
	block := s.block || s.first && s.sends > 1
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	s.note("done " + m.ID)
	return "crash-" + m.ID, nil
}
