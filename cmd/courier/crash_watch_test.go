package main

import (
	"fmt"
	"io"
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
// as it arrives and answers 200 after a small random delay. It is also where most kill points are:
// a run can ask it (arm) to trigger a kill when its k-th request arrives (the watcher then dies with
// that request in flight, unanswered) or right after its k-th answer was written (the provider
// accepted the message; the watcher may not have archived it yet).
type hookServer struct {
	mu       sync.Mutex
	rng      *rand.Rand
	received map[string]int
	total    int
	inflight int
	problems []string

	// The current run's kill points (0: none), its counters, and the channel closed to kill it.
	atRequest, atAnswer int
	requests, answers   int
	kill                chan struct{}
}

// arm resets the per-run counters and returns the channel closed when a kill point is reached.
func (h *hookServer) arm(atRequest, atAnswer int) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.atRequest, h.atAnswer, h.requests, h.answers = atRequest, atAnswer, 0, 0
	h.kill = make(chan struct{})
	return h.kill
}

// trigger closes the kill channel once; h.mu is held.
func (h *hookServer) trigger() {
	select {
	case <-h.kill:
	default:
		close(h.kill)
	}
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the body first: only then does net/http notice a client that goes away (r.Context()).
	_, _ = io.Copy(io.Discard, r.Body)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	if r.URL.Path != "/hook" || r.Method != http.MethodPost || !strings.HasPrefix(id, "out_webhook_") {
		h.problems = append(h.problems, fmt.Sprintf("%s %s webhook-id %q", r.Method, r.URL.Path, id))
	}
	h.received[id]++
	h.total++
	h.inflight++
	h.requests++
	hold := h.requests == h.atRequest
	if hold {
		h.trigger()
	}
	delay := time.Duration(h.rng.Int63n(int64(15 * time.Millisecond)))
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inflight--
		h.mu.Unlock()
	}()
	if hold {
		<-r.Context().Done() // never answered: the watcher is killed with this request in flight
		return
	}
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	h.mu.Lock()
	h.answers++
	if h.answers == h.atAnswer {
		h.trigger()
	}
	h.mu.Unlock()
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

// TestCrashWatch: a watcher killed with kill -9 at any point leaves every message recoverable; a
// message is resent at most once per crash that caught it in flight (docs/protocol.md, "Guarantees").
//
// The kill points are chosen per run, in terms of the watcher's progress rather than wall-clock time
// (on a loaded machine a fixed delay mostly kills a watcher still starting): right after the start
// (start-up, recovery of the previous watcher's claims, first claims), when the k-th request reaches
// the provider (in flight), right after the k-th answer (accepted, maybe not archived), and right
// after the k-th "sent" log line (archived; the next claims under way). Every run makes progress
// unless it is killed in start-up, so a round needs tens of runs rather than hundreds.
// maxUnarchived is the watcher's bound on accepted messages not yet archived (delivery's maxArchiving).
const maxUnarchived = 16

func TestCrashWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	t.Parallel()
	bin := courierBinary(t)
	rng := crashRand(t)
	const rounds = 3
	for i := range rounds {
		seed := rng.Int63()
		t.Run(fmt.Sprintf("round%d", i), func(t *testing.T) {
			t.Parallel()
			watchRound(t, bin, rand.New(rand.NewSource(seed)))
		})
	}
}

// watchKill is where one run of the watcher is killed.
type watchKill struct {
	kind string // "start", "request", "answer", "sent"
	k    int    // the k-th request, answer or sent line of the run; for "start", unused
}

// watchKills are the kinds of kill point and how often each is drawn (out of their sum).
var watchKills = []struct {
	kind   string
	weight int
}{{"start", 2}, {"request", 3}, {"answer", 3}, {"sent", 3}}

// pickWatchKill draws a kill point for a run with left messages not yet archived.
func pickWatchKill(rng *rand.Rand, left, concurrency int) watchKill {
	total := 0
	for _, w := range watchKills {
		total += w.weight
	}
	n := rng.Intn(total)
	kind := ""
	for _, w := range watchKills {
		if n < w.weight {
			kind = w.kind
			break
		}
		n -= w.weight
	}
	return watchKill{kind: kind, k: 1 + rng.Intn(min(left, concurrency+2))}
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
	runs, busyKills, stuck := 0, 0, 0
	kinds := map[string]int{}
	caught := map[string]int{} // message id → kills that found it in the killed watcher's claims
	for ; runs < 300; runs++ {
		left := n - len(messages(t, repo, "archive", "webhook"))
		if left == 0 {
			break
		}
		kp := pickWatchKill(rng, left, concurrency)
		kw := killWhen{after: 5 * time.Second} // a kill point not reached by then: kill anyway
		switch kp.kind {
		case "start":
			kw.after = time.Duration(rng.Int63n(int64(40 * time.Millisecond)))
		case "request":
			kw.kill = hook.arm(kp.k, 0)
		case "answer":
			kw.kill = hook.arm(0, kp.k)
		case "sent":
			hook.arm(0, 0)
			sent := make(chan struct{})
			kw.kill = sent
			seen := 0
			kw.line = func(l string) { // called from one goroutine, in order
				if strings.Contains(l, "msg=sent") {
					if seen++; seen == kp.k {
						close(sent)
					}
				}
			}
		}
		kinds[kp.kind]++
		r := runKilledWhen(t, repo, kw, bin, "watch")
		if !r.killed {
			t.Fatalf("courier watch exited by itself:\n%s", r)
		}
		if kp.kind != "start" && r.took >= kw.after {
			stuck++
			t.Logf("run %d: kill point %s #%d not reached in %v; killed then", runs, kp.kind, kp.k, kw.after)
		}
		kills++
		held := claimsOf(t, c.mb, r.pid)
		// A watcher holds the claims of its sends in flight (watch.concurrency) and of the accepted
		// messages whose archive record is still being group-committed (at most 16,
		// docs/protocol.md "Guarantees").
		if len(held) > concurrency+maxUnarchived {
			t.Errorf("the killed watcher held %d claims, more than watch.concurrency %d + %d accepted: %v", len(held), concurrency, maxUnarchived, held)
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
	t.Logf("%d watchers killed (%d holding claims; kill points %v, %d not reached), %d archived before the final --once (%s); %d requests for %d messages: %d duplicates",
		kills, busyKills, kinds, stuck, archivedBeforeOnce, strings.TrimSpace(once.stdout), total, n, dups)
	return kills, dups
}
