package delivery

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/delivery/mailbox"
)

// queueFixture leaves one message sent, one failed, one pending waiting for a retry and one claimed.
func queueFixture(t *testing.T) (f *fixture, sent, failed, waiting, claimed *mailbox.Message) {
	f = newFixture(t)
	sent = f.enqueue(t, f.msg("test", "a"))
	failed = f.enqueue(t, f.msg("test", "b"))
	waiting = f.enqueue(t, f.msg("test", "c"))
	f.snd.script[failed.ID] = []error{permanentErr("unknown recipient")}
	f.snd.script[waiting.ID] = []error{errServer}
	f.once(t, f.watcher(t))
	claimed = f.enqueue(t, f.msg("other", "d"))
	c, err := f.mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e, _ := f.find(t, claimed.ID)
	if _, err := c.Claim(e); err != nil {
		t.Fatal(err)
	}
	return f, sent, failed, waiting, claimed
}

func TestListQueueStates(t *testing.T) {
	t.Parallel()
	f, sent, failed, waiting, claimed := queueFixture(t)
	ids := func(items []QueueItem) map[string]string {
		out := map[string]string{}
		for _, it := range items {
			out[it.ID] = it.State + "/" + it.Status
		}
		return out
	}
	for _, tc := range []struct {
		filter QueueFilter
		want   map[string]string
	}{
		{QueueFilter{}, map[string]string{failed.ID: "failed/failed", waiting.ID: "pending/pending", claimed.ID: "sending/sending"}},
		{QueueFilter{All: true}, map[string]string{sent.ID: "sent/sent", failed.ID: "failed/failed",
			waiting.ID: "pending/pending", claimed.ID: "sending/sending"}},
		{QueueFilter{State: StateSent}, map[string]string{sent.ID: "sent/sent"}},
		{QueueFilter{State: StatePending}, map[string]string{waiting.ID: "pending/pending"}},
		{QueueFilter{State: StateSending}, map[string]string{claimed.ID: "sending/sending"}},
		{QueueFilter{State: StateFailed}, map[string]string{failed.ID: "failed/failed"}},
		{QueueFilter{Provider: "other", All: true}, map[string]string{claimed.ID: "sending/sending"}},
	} {
		items, err := ListQueue(f.mb, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ids(items)); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.filter, diff)
		}
	}
	if _, err := ListQueue(f.mb, QueueFilter{State: "bogus"}); err == nil {
		t.Error("unknown state accepted")
	}
}

func TestQueueItemJSON(t *testing.T) {
	t.Parallel()
	f, _, _, waiting, _ := queueFixture(t)
	items, err := ListQueue(f.mb, QueueFilter{State: StatePending})
	if err != nil || len(items) != 1 {
		t.Fatalf("%v %v", items, err)
	}
	b, _ := json.Marshal(items[0])
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for k := range got {
		keys = append(keys, k)
	}
	want := []string{"attempts", "correlation_id", "created_at", "error_message", "id", "next_retry_at", "provider", "retry_count", "state", "status", "to"}
	slices.Sort(keys)
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if got["id"] != waiting.ID || got["retry_count"] != 1.0 || got["error_message"] != "HTTP 500 internal error" ||
		!strings.HasSuffix(got["next_retry_at"].(string), "Z") || !strings.HasSuffix(got["created_at"].(string), "Z") {
		t.Errorf("item %s", b)
	}
	if to, ok := got["to"].([]any); !ok || len(to) != 1 || to[0] != "c" {
		t.Errorf("to = %v", got["to"])
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	f, sent, failed, waiting, _ := queueFixture(t)
	now := t0.Add(48 * time.Hour)
	done, err := Retry(f.mb, []string{failed.ID}, now)
	if err != nil || len(done) != 1 || done[0] != failed.ID {
		t.Fatalf("Retry: %v %v", done, err)
	}
	got := f.mustState(t, failed.ID, StatePending)
	if got.RetryCount != 0 || got.FailedAt != nil || got.ErrorMessage != nil || got.Status != mailbox.StatusPending ||
		got.DueSince == nil || !got.DueSince.Equal(now) {
		t.Errorf("requeued: %+v", got)
	}
	if n := len(got.Attempts); n != 2 || got.Attempts[0].Outcome != "permanent" || got.Attempts[1].Outcome != "requeued" ||
		!strings.Contains(got.Attempts[1].Error, "unknown recipient") {
		t.Errorf("history lost: %+v", got.Attempts)
	}
	// max_age restarts: a requeued message long past its created_at is tried again.
	f.clock.Advance(48 * time.Hour)
	f.snd.script[failed.ID] = nil
	if sum := f.once(t, f.watcher(t)); sum.Sent < 1 {
		t.Errorf("requeued message not sent: %+v", sum)
	}

	_, err = Retry(f.mb, []string{"out_test_nope"}, now)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	_, err = Retry(f.mb, []string{sent.ID, waiting.ID}, now)
	if !errors.Is(err, ErrNotDeadLettered) || !strings.Contains(err.Error(), "it is sent") {
		t.Errorf("not dead-lettered: %v", err)
	}
}

func TestRetryDead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Providers["other"] = Provider{Sender: f.snd}
	a := f.enqueue(t, f.msg("test", "a"))
	b := f.enqueue(t, f.msg("other", "b"))
	f.snd.always = permanentErr("nope")
	f.once(t, f.watcher(t))
	done, err := RetryDead(f.mb, "other", t0)
	if err != nil || len(done) != 1 || done[0] != b.ID {
		t.Fatalf("RetryDead(other): %v %v", done, err)
	}
	f.mustState(t, a.ID, StateFailed)
	done, err = RetryDead(f.mb, "", t0)
	if err != nil || len(done) != 1 || done[0] != a.ID {
		t.Fatalf("RetryDead(all): %v %v", done, err)
	}
	f.mustState(t, a.ID, StatePending)
}

// Within a provider the queue lists messages in enqueue order (created_at, milliseconds), not in file
// name order (names carry whole seconds and ids are hashes).
func TestListQueueEnqueueOrder(t *testing.T) {
	t.Parallel()
	mb, err := mailbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 2, 7, 15, 2, 32, 0, time.UTC)
	var want []string
	for i := range 3 {
		m := &mailbox.Message{ID: fmt.Sprintf("out_file_%012x", 0xfff-i), Provider: "file", To: []string{"x"},
			ContentType: "text", Direction: "outbound", Status: mailbox.StatusPending,
			CreatedAt: mailbox.At(base.Add(time.Duration(i) * time.Millisecond)), Body: "b\n"}
		if _, err := mb.Enqueue(m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m.ID)
	}
	items, err := ListQueue(mb, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("queue order %v, want %v", got, want)
	}
}
