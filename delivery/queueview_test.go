package delivery

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/delivery/mailbox"
)

func TestItemMessagesAndShow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine := f.msg("test", "a")
	mine.Source = &mailbox.Source{Item: "FEAT-0001"}
	f.enqueue(t, mine)
	f.enqueue(t, f.msg("test", "b")) // no source: another producer's
	got, err := ItemMessages(f.mb, "FEAT-0001")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{StatePending: {mine.ID}, StateSending: {}, StateFailed: {}, StateSent: {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ItemMessages (-want +got):\n%s", diff)
	}
	e, err := f.mb.Find(mine.ID)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Show(e, "outbound/test/x.md")
	if err != nil || s.State != StatePending || s.Body != mine.Body || s.ID != mine.ID {
		t.Errorf("Show = %+v, %v", s, err)
	}
}

func TestPrintQueueEscapes(t *testing.T) {
	msg := "bad\x1b[31m\nline " + strings.Repeat("x", 80)
	var b bytes.Buffer
	err := PrintQueue(&b, []QueueItem{{ID: "out_x\r", Provider: "test", State: StateFailed, To: []string{"a"}, ErrorMessage: &msg}})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `out_x\r`) || !strings.Contains(out, `bad\x1b[31m line xx`) || !strings.Contains(out, "…") || strings.ContainsAny(out, "\x1b\r") {
		t.Errorf("PrintQueue:\n%s", out)
	}
	for in, want := range map[string]string{"a\tb\n": "a\tb\n", "\u009b\xff\u00e9": `\u009b\xffé`, "\x7f": `\x7f`} {
		if got := Escape(in, true); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueued(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.enqueue(t, f.msg("test", "a"))
	q := Queued(f.mb)
	if !q("test") || q("other") || Queued(nil)("test") {
		t.Error("Queued reports the wrong providers")
	}
}

func TestWriteQueueEmptyAndSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var b strings.Builder
	if err := WriteQueue(&b, nil, dir); err != nil || b.String() != "queue is empty\n" {
		t.Errorf("WriteQueue(existing mailbox) = %q, %v", b.String(), err)
	}
	b.Reset()
	missing := dir + "/nope"
	if err := WriteQueue(&b, nil, missing); err != nil || b.String() != "queue is empty (no mailbox at "+missing+" yet)\n" {
		t.Errorf("WriteQueue(no mailbox) = %q, %v", b.String(), err)
	}
	if got := (Summary{Sent: 2, Deferred: 1}).String(); got != "sent 2, deferred 1, dead-lettered 0" {
		t.Errorf("Summary.String = %q", got)
	}
}
