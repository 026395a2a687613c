package main

import (
	"fmt"
	"io/fs"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// hookServer is the webhook endpoint of TestCrashWatch: it records the webhook-id of every request
// as it arrives and answers 200 after a small random delay.
type hookServer struct {
	mu       sync.Mutex
	rng      *rand.Rand
	received map[string]int
	total    int
	inflight int
	problems []string
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	if r.URL.Path != "/hook" || r.Method != http.MethodPost || !strings.HasPrefix(id, "out_webhook_") {
		h.problems = append(h.problems, fmt.Sprintf("%s %s webhook-id %q", r.Method, r.URL.Path, id))
	}
	h.received[id]++
	h.total++
	h.inflight++
	delay := time.Duration(h.rng.Int63n(int64(15 * time.Millisecond)))
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inflight--
		h.mu.Unlock()
	}()
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func (h *hookServer) snapshot() (received map[string]int, total, inflight int, problems []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	received = make(map[string]int, len(h.received))
	for k, v := range h.received {
		received[k] = v
	}
	return received, h.total, h.inflight, append([]string(nil), h.problems...)
}

// claimsOf lists the message files held in the claim directories of the watcher with pid.
func claimsOf(t *testing.T, mb *mailbox.Mailbox, pid int) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(mb.StateDir(), "claims", strconv.Itoa(pid)+"-*", "*", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(dirs))
	for _, d := range dirs {
		names = append(names, filepath.Base(d))
	}
	return names
}

// TestCrashWatch: a watcher killed with kill -9 at random points leaves every message recoverable;
// a message is resent at most once per crash that caught it in flight (contract §7).
func TestCrashWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	bin := courierBinary(t)
	rng := crashRand(t)
	const rounds = 3
	kills, dups := 0, 0
	for i := range rounds {
		k, d := watchRound(t, bin, rng)
		kills, dups = kills+k, dups+d
		if t.Failed() {
			t.Fatalf("round %d failed", i)
		}
	}
	t.Logf("%d rounds: %d watchers killed, %d duplicate receipts", rounds, kills, dups)
}

// watchRound enqueues 30 webhook messages and kills watchers until they are all sent.
func watchRound(t *testing.T, bin string, rng *rand.Rand) (kills, dups int) {
	t.Helper()
	const n, concurrency = 30, 4
	hook := &hookServer{rng: rand.New(rand.NewSource(rng.Int63())), received: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()

	repo := newRepo(t, "FEAT-0001-x")
	writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), fmt.Sprintf(
		"providers:\n  webhook: {url: %q}\nwatch: {interval: 100ms, concurrency: %d}\n", srv.URL+"/hook", concurrency))
	wantCode(t, runIn(t, repo, nil, bin, "init"), 0, "courier init")
	for i := 1; i <= n; i++ {
		writeDraft(t, repo, "FEAT-0001", fmt.Sprintf("d%02d", i), fmt.Sprintf("---\nprovider: webhook\nto: anyone\n---\nmessage %02d\n", i))
	}
	wantCode(t, runIn(t, repo, nil, bin, "deliver"), 0, "courier deliver")
	c := openCrashMailbox(t, repo)
	queued := c.verified(mailbox.Outbound, "webhook")
	if len(queued) != n {
		t.Fatalf("deliver enqueued %d messages, want %d", len(queued), n)
	}
	ids := map[string]bool{}
	for _, m := range queued {
		ids[m.ID] = true
	}

	// Kill watchers until everything is archived. A message claimed by a killed watcher may be sent
	// once more; count, per message, the crashes that caught it claimed.
	runs, busyKills := 0, 0
	caught := map[string]int{} // message id → kills that found it in the killed watcher's claims
	for ; runs < 300 && len(messages(t, repo, "archive", "webhook")) < n; runs++ {
		delay := 5*time.Millisecond + time.Duration(rng.Int63n(int64(75*time.Millisecond)))
		r := runKilled(t, repo, delay, nil, bin, "watch")
		if !r.killed {
			t.Fatalf("courier watch exited by itself:\n%s", r)
		}
		kills++
		held := claimsOf(t, c.mb, r.pid)
		if len(held) > concurrency {
			t.Errorf("the killed watcher held %d claims, more than watch.concurrency %d: %v", len(held), concurrency, held)
		}
		if len(held) > 0 {
			busyKills++
		}
		for _, name := range held {
			caught[mailbox.IDFromName(name)]++
		}
	}
	archivedBeforeOnce := len(messages(t, repo, "archive", "webhook"))
	once := runIn(t, repo, nil, bin, "watch", "--once")
	wantCode(t, once, 0, "courier watch --once")

	// Every message is archived, sent, with its seal intact; nothing is left anywhere else.
	archived := c.verified(mailbox.Archive, "webhook")
	if len(archived) != n {
		t.Errorf("archive/webhook holds %d messages, want %d", len(archived), n)
	}
	for name, m := range archived {
		if m.Status != mailbox.StatusSent || m.SentAt == nil {
			t.Errorf("archive/webhook/%s: status %s, sent_at %v; want sent with sent_at", name, m.Status, m.SentAt)
		}
		if !ids[m.ID] {
			t.Errorf("archive/webhook/%s: id %s was never enqueued", name, m.ID)
		}
	}
	if left := messages(t, repo, "outbound", ""); len(left) > 0 {
		t.Errorf("outbound still holds %v", left)
	}
	if s := c.strays(mailbox.Outbound, mailbox.Archive, mailbox.DeadLetter); len(s) > 0 {
		t.Errorf("the mailbox holds files that are not message files: %v", s)
	}
	if dead, _ := os.ReadDir(filepath.Join(c.mb.Root, string(mailbox.DeadLetter))); len(dead) > 0 {
		var names []string
		_ = filepath.WalkDir(filepath.Join(c.mb.Root, string(mailbox.DeadLetter)), func(p string, _ fs.DirEntry, _ error) error {
			names = append(names, p)
			return nil
		})
		t.Errorf(".deadletter is not empty: %v", names)
	}
	if claims, err := os.ReadDir(filepath.Join(c.mb.StateDir(), "claims")); err != nil || len(claims) > 0 {
		var names []string
		for _, e := range claims {
			names = append(names, e.Name())
		}
		t.Errorf(".state/claims is not empty (%v): %v", err, names)
	}

	// At least once; at most one resend per crash that caught the message in flight.
	received, total, _, problems := hook.snapshot()
	if len(problems) > 0 {
		t.Errorf("unexpected requests: %v", problems)
	}
	for id := range ids {
		got := received[id]
		if got == 0 {
			t.Errorf("%s was never received", id)
			continue
		}
		dups += got - 1
		if got > 1+caught[id] {
			t.Errorf("%s was received %d times, but only %d crashes caught it in flight", id, got, caught[id])
		}
	}
	for id := range received {
		if !ids[id] {
			t.Errorf("received webhook-id %s, never enqueued", id)
		}
	}
	if dups > concurrency*kills {
		t.Errorf("%d duplicate receipts after %d kills: more than %d per kill", dups, kills, concurrency)
	}
	t.Logf("%d watchers killed (%d holding claims), %d archived before the final --once (%s); %d requests for %d messages: %d duplicates",
		kills, busyKills, archivedBeforeOnce, strings.TrimSpace(once.stdout), total, n, dups)
	return kills, dups
}
