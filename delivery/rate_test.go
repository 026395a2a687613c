package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// A channel's token is spent only by a request to the provider: a message refused without a send
// gives it back, so the next message of the channel goes at once.
func TestRefusedMessageKeepsRateToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.Providers["test"] = Provider{Sender: f.snd, Rate: Rate{N: 1, Per: time.Hour}}
	bad := f.msg("test", "ops") // unsealed: dead-lettered without a send
	data, err := mailbox.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	writeRaw(t, f.mb, "test", mailbox.FileName(bad), data)
	good := f.enqueue(t, f.msg("test", "ops"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sum, err := f.watcher(t).Once(ctx)
	if err != nil || sum != (Summary{Sent: 1, DeadLettered: 1}) {
		t.Fatalf("Once = %+v, %v; want the good message sent without waiting for a token", sum, err)
	}
	f.mustState(t, bad.ID, StateFailed)
	f.mustState(t, good.ID, StateSent)
}

func TestTakeRefund(t *testing.T) {
	t.Parallel()
	ix := newIndex(func(string) Rate { return Rate{N: 1, Per: time.Minute} })
	var es []*entry
	for _, name := range []string{"1.md", "2.md", "3.md"} {
		e := &entry{provider: "p", name: name, ch: ix.channelFor("p", "a")}
		ix.entries[entryKey("p", name)] = e
		ix.place(e, time.Time{}, t0)
		es = append(es, e)
	}
	j, _, _ := ix.take(t0)
	e := j.e
	if e != es[0] {
		t.Fatalf("take = %v", e)
	}
	ix.finish(e, false) // no request made: the token goes back
	ix.remove(e)
	if j, _, _ = ix.take(t0.Add(time.Second)); j.e != es[1] {
		t.Fatalf("take after a refund = %v, want the next message", j.e)
	}
	e = j.e
	ix.finish(e, true) // a request was made: the token is spent
	ix.remove(e)
	if j, wake, _ := ix.take(t0.Add(2 * time.Second)); j.e != nil || wake.Before(t0.Add(time.Minute)) {
		t.Fatalf("take after a send = %v, wake %v; want nil until t0+1m", j.e, wake)
	}
}
