package delivery

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// One channel through a real HTTP server: the next send starts while the previous message's archive
// record is still unwritten, the server still sees the channel's messages in enqueue order, and a
// message that fails transiently waits for its retry without holding the others back.
func TestOneChannelOrderWhileArchiveOverlaps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids []string
	for range 8 {
		ids = append(ids, f.enqueue(t, f.msg("test", "ops")).ID)
	}
	failing := ids[3]
	secondSeen := make(chan struct{})
	var requests []string // every request, in arrival order
	rs := newRecordingServer(t)
	rs.fail = func(id string) int { // called under rs.mu
		requests = append(requests, id)
		if id == ids[1] && len(requests) == 2 {
			close(secondSeen)
		}
		if id == failing && slices.Index(requests, id) == len(requests)-1 {
			return http.StatusServiceUnavailable // the first attempt only
		}
		return 0
	}
	f.cfg.Providers["test"] = Provider{Sender: rs.sender()}
	w := f.watcher(t)
	var once sync.Once
	overlapped := false
	w.beforeArchive = func() {
		once.Do(func() { // hold back the first message's archive record until the next send arrives
			select {
			case <-secondSeen:
				overlapped = true
			case <-time.After(10 * time.Second):
			}
		})
	}
	if sum := f.once(t, w); sum != (Summary{Sent: 7, Deferred: 1}) {
		t.Fatalf("first run %+v", sum)
	}
	if !overlapped {
		t.Error("the second send did not start while the first message's archive record was unwritten")
	}
	f.clock.Advance(time.Minute)
	if sum := f.once(t, f.watcher(t)); sum != (Summary{Sent: 1}) {
		t.Fatalf("second run %+v", sum)
	}
	want := append(slices.Delete(slices.Clone(ids), 3, 4), failing)
	if diff := cmp.Diff(want, rs.accepted()); diff != "" {
		t.Errorf("accepted order (-want +got):\n%s", diff)
	}
	rs.mu.Lock()
	got := slices.Clone(requests)
	rs.mu.Unlock()
	if wantReq := append(slices.Clone(ids), failing); !slices.Equal(got, wantReq) {
		t.Errorf("requests %v, want %v", got, wantReq)
	}
	for _, id := range ids {
		f.mustState(t, id, StateSent)
	}
	if m := f.mustState(t, failing, StateSent); m.RetryCount != 1 {
		t.Errorf("retry_count %d, want 1", m.RetryCount)
	}
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
}

// Stopping the watcher while an accepted message's archive record is being written waits for it:
// returning the claim to the queue instead would send the message again.
func TestStopWaitsForArchiveRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.realClock()
	w := f.watcher(t)
	held, release := make(chan struct{}, 1), make(chan struct{})
	w.beforeArchive = func() {
		held <- struct{}{}
		<-release
	}
	cancel, done, runErr := runWatcher(t, w)
	m := f.enqueue(t, f.msg("test", "ops"))
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("never accepted")
	}
	cancel()
	select {
	case <-done:
		close(release)
		t.Fatal("Run returned while an archive record was being written")
	case <-time.After(100 * time.Millisecond): // a negative: Run must still be waiting
	}
	close(release)
	<-done
	if *runErr != nil {
		t.Fatal(*runErr)
	}
	f.mustState(t, m.ID, StateSent)
	if n := f.snd.count(m.ID); n != 1 {
		t.Errorf("sent %d times", n)
	}
	if c := claimFiles(t, f.mb); len(c) != 0 {
		t.Errorf("claims left behind: %v", c)
	}
}
