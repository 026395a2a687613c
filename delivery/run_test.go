package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/delivery/mailbox"
)

func TestChannelOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Concurrency = 8
	var ids []string
	for range 3 {
		ids = append(ids, f.enqueue(t, f.msg("test", "ops")).ID)
	}
	f.snd.hook = func(context.Context, *mailbox.Message) error {
		time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		return nil
	}
	if sum := f.once(t, f.watcher(t)); sum.Sent != 3 {
		t.Fatalf("summary %+v", sum)
	}
	if diff := cmp.Diff(ids, f.snd.sendOrder()); diff != "" {
		t.Errorf("send order (-want +got):\n%s", diff)
	}
}

// File names carry whole seconds, and ids are hashes: within one second, name order is not enqueue
// order. The watcher orders a channel by created_at (millisecond precision).
func TestChannelOrderWithinOneSecond(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Concurrency = 8
	base := f.clock.Now().Truncate(time.Second)
	var ids []string
	for i := range 4 {
		m := f.msg("test", "ops")
		m.ID = fmt.Sprintf("out_test_%012x", 0xfff-i) // names sort in reverse of creation
		m.CreatedAt = mailbox.At(base.Add(time.Duration(i) * time.Millisecond))
		ids = append(ids, f.enqueue(t, m).ID)
	}
	if sum := f.once(t, f.watcher(t)); sum.Sent != 4 {
		t.Fatalf("summary %+v", sum)
	}
	if diff := cmp.Diff(ids, f.snd.sendOrder()); diff != "" {
		t.Errorf("send order (-want +got):\n%s", diff)
	}
}

func TestWaitingRetryDoesNotBlockChannel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.enqueue(t, f.msg("test", "ops"))
	second := f.enqueue(t, f.msg("test", "ops"))
	third := f.enqueue(t, f.msg("test", "ops"))
	f.snd.script[first.ID] = []error{errServer}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 2, Deferred: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	if diff := cmp.Diff([]string{first.ID, second.ID, third.ID}, f.snd.sendOrder()); diff != "" {
		t.Errorf("send order (-want +got):\n%s", diff)
	}
}

// A channel whose send hangs must not stall another channel: with two workers, the other channel's
// three messages all go out while the slow one is still in flight.
func TestSlowChannelDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Concurrency = 2
	slow := f.enqueue(t, f.msg("test", "slow"))
	slow2 := f.enqueue(t, f.msg("test", "slow"))
	var fast []string
	for range 3 {
		fast = append(fast, f.enqueue(t, f.msg("test", "fast")).ID)
	}
	var mu sync.Mutex
	fastDone := 0
	allFast := make(chan struct{})
	slowStarted := make(chan struct{})
	var startSlow sync.Once
	f.snd.hook = func(ctx context.Context, m *mailbox.Message) error {
		if m.To[0] == "slow" {
			startSlow.Do(func() { close(slowStarted) })
			select {
			case <-allFast:
				return nil
			case <-time.After(10 * time.Second):
				return fmt.Errorf("the fast channel was stalled")
			}
		}
		select { // the fast channel goes out while the slow send is in flight
		case <-slowStarted:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("the slow channel never started")
		}
		mu.Lock()
		fastDone++
		if fastDone == len(fast) {
			close(allFast)
		}
		mu.Unlock()
		return nil
	}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 5}) {
		t.Fatalf("summary %+v", sum)
	}
	order := f.snd.sendOrder()
	if order[len(order)-1] != slow2.ID || f.snd.count(slow.ID) != 1 {
		t.Errorf("order %v: the slow channel's second message should go last", order)
	}
}

func TestRateLimitSpacesSendsPerChannel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock() // the limiter paces in real time
	f.cfg.Providers["test"] = Provider{Sender: f.snd, Rate: Rate{N: 20, Per: time.Second}}
	var mu sync.Mutex
	at := map[string][]time.Time{}
	f.snd.hook = func(_ context.Context, m *mailbox.Message) error {
		mu.Lock()
		at[m.To[0]] = append(at[m.To[0]], time.Now())
		mu.Unlock()
		return nil
	}
	for i := range 8 {
		f.enqueue(t, f.msg("test", []string{"a", "b"}[i%2]))
	}
	begin := time.Now()
	if sum := f.once(t, f.watcher(t)); sum.Sent != 8 {
		t.Fatalf("summary %+v", sum)
	}
	// Four sends on one channel at 20/s (burst 1) take at least three intervals: tokens are taken at
	// dispatch, 50ms apart, and Once returns after the last send.
	if took := time.Since(begin); took < 150*time.Millisecond {
		t.Errorf("8 sends on 2 channels at 20/s took %s, want at least 150ms", took)
	}
	// The channels are paced independently: b does not wait for a to finish.
	if !at["b"][0].Before(at["a"][3]) {
		t.Errorf("channel b started only after channel a finished: a=%v b=%v", at["a"], at["b"])
	}
}

func TestTakeSchedulesByNextAllowedTime(t *testing.T) {
	t.Parallel()
	ix := newIndex(func(string) Rate { return Rate{N: 2, Per: time.Minute} })
	add := func(name, to string) *entry {
		e := &entry{provider: "p", name: name, ch: ix.channelFor("p", to)}
		ix.entries[entryKey("p", name)] = e
		ix.place(e, time.Time{}, t0)
		return e
	}
	a1, a2, b1 := add("1.md", "a"), add("2.md", "a"), add("3.md", "b")
	got := map[*entry]bool{}
	for range 2 {
		j, _, _ := ix.take(t0)
		got[j.e] = true
	}
	if !got[a1] || !got[b1] {
		t.Fatalf("first takes: %v", got)
	}
	ix.finish(a1, true)
	ix.remove(a1)
	if j, rateWake, _ := ix.take(t0); j.e != nil || !rateWake.Equal(t0.Add(30*time.Second+time.Millisecond)) {
		t.Fatalf("take at t0 = %v, wake %v; want nil, t0+30s", j.e, rateWake)
	}
	if j, _, _ := ix.take(t0.Add(30 * time.Second)); j.e != a2 {
		t.Fatalf("take at t0+30s = %v, want a2", j.e)
	}
}

// runWatcher runs w until the returned cancel is called (or the test ends), and returns once Run made
// its initial scan (or returned); done is closed when Run returned, and *runErr holds its error.
func runWatcher(t *testing.T, w *Watcher) (cancel func(), done <-chan struct{}, runErr *error) {
	t.Helper()
	ctx, cancelCtx := context.WithCancel(context.Background())
	ch := make(chan struct{})
	ready := make(chan struct{})
	w.onReady = func() { close(ready) }
	var err error
	go func() { err = w.Run(ctx); close(ch) }()
	select {
	case <-ready:
	case <-ch:
	}
	t.Cleanup(func() {
		cancelCtx()
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Error("Run did not return")
		}
	})
	return cancelCtx, ch, &err
}

func TestRunNotifiesAndRetriesOnTimer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	f.cfg.Interval = time.Hour // only fsnotify and the due timer can wake it
	f.cfg.Retry.InitialDelay = 40 * time.Millisecond
	f.cfg.Providers["other"] = Provider{Sender: f.snd}
	runWatcher(t, f.watcher(t))
	m := f.msg("test", "ops")
	f.snd.script[m.ID] = []error{errServer}
	f.enqueue(t, m)
	o := f.enqueue(t, f.msg("other", "ops")) // outbound/other/ appears after the start
	eventually(t, 10*time.Second, "both sent", func() bool {
		return countState(t, f.mb, mailbox.Archive) == 2
	})
	if f.snd.count(m.ID) != 2 || f.snd.count(o.ID) != 1 {
		t.Errorf("sends %d, %d", f.snd.count(m.ID), f.snd.count(o.ID))
	}
}

func TestShutdownReleasesBlockedSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	f.cfg.ShutdownGrace = 200 * time.Millisecond
	started := make(chan struct{}, 1)
	f.snd.hook = func(ctx context.Context, _ *mailbox.Message) error {
		started <- struct{}{}
		<-ctx.Done()
		return errBlocked
	}
	m := f.enqueue(t, f.msg("test", "ops"))
	cancel, done, runErr := runWatcher(t, f.watcher(t))
	<-started
	if len(claimFiles(t, f.mb)) != 1 {
		t.Fatalf("message not claimed while sending")
	}
	items, _ := ListQueue(f.mb, QueueFilter{})
	if len(items) != 1 || items[0].State != StateSending || items[0].Status != StateSending {
		t.Errorf("queue while sending: %+v", items)
	}
	begin := time.Now()
	cancel()
	select {
	case <-done:
		if *runErr != nil {
			t.Fatalf("Run: %v", *runErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if took := time.Since(begin); took < 200*time.Millisecond {
		t.Errorf("returned after %s, before the grace period", took)
	}
	got := f.mustState(t, m.ID, StatePending)
	if got.RetryCount != 0 || len(got.Attempts) != 0 || got.ErrorMessage != nil {
		t.Errorf("released message changed: %+v", got)
	}
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left: %v", c)
	}
}

func TestShutdownWaitsForSendWithinGrace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	f.cfg.ShutdownGrace = 5 * time.Second
	started := make(chan struct{}, 1)
	f.snd.hook = func(ctx context.Context, _ *mailbox.Message) error {
		started <- struct{}{}
		time.Sleep(100 * time.Millisecond)
		return nil
	}
	m := f.enqueue(t, f.msg("test", "ops"))
	cancel, done, runErr := runWatcher(t, f.watcher(t))
	<-started
	cancel()
	<-done
	if *runErr != nil {
		t.Fatal(*runErr)
	}
	f.mustState(t, m.ID, StateSent)
}

func TestTwoWatchersNeverSendTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	f.cfg.Interval = 20 * time.Millisecond
	var ids []string
	for i := range 50 {
		ids = append(ids, f.enqueue(t, f.msg("test", fmt.Sprintf("c%d", i%5))).ID)
	}
	f.snd.hook = func(context.Context, *mailbox.Message) error {
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		return nil
	}
	w1, w2 := f.watcher(t), f.watcher(t)
	stop1, done1, _ := runWatcher(t, w1)
	stop2, done2, _ := runWatcher(t, w2)
	eventually(t, 20*time.Second, "50 archived", func() bool { return countState(t, f.mb, mailbox.Archive) == 50 })
	stop1()
	stop2()
	<-done1 // no send can start after Run returned
	<-done2
	for _, id := range ids {
		if n := f.snd.count(id); n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
}

func TestBusy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := f.watcher(t)
	en, err := w.start(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Once(context.Background()); err != ErrBusy {
		t.Errorf("second run: %v, want ErrBusy", err)
	}
	en.close()
	if _, err := w.Once(context.Background()); err != nil {
		t.Errorf("after close: %v", err)
	}
}
