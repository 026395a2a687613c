package delivery

import (
	"container/heap"
	"sort"
	"time"

	"golang.org/x/time/rate"
)

// The index is the watcher's in-memory view of outbound/: every message file it has seen, when it is
// due, and which channel it belongs to. It is owned by the watcher's loop goroutine (not safe for
// concurrent use). A file is parsed when first seen or when its size or mtime changes; a deferred
// message sits in a min-heap keyed by due time until it comes due, so an idle queue of any size costs
// nothing but the timer for its earliest message.
//
// Scheduling keeps enqueue order per channel (provider + first `to` entry): a channel has at most one
// send in flight, and always starts its earliest-named due message. A message that is not due yet
// (waiting for a retry or its schedule_at) does not hold the others back. A channel whose token bucket
// is empty, or that a provider throttled, waits without occupying a worker: take skips it and reports
// when it may go again. Only a request to the provider spends a token: take reserves one, and finish
// gives it back when the message was dead-lettered or released without a send, so refused messages do
// not eat the provider's rate budget.

type entry struct {
	provider, name string
	created        time.Time // created_at: the order within a channel (file names have whole seconds)
	mod            time.Time // of the file when last parsed
	size           int64
	due            time.Time
	deadline       time.Time // max_age runs out (zero when unknown: the file was not parsed)
	ch             *channel
	inflight       bool
	ready          bool
	gen            uint64 // bumped on every move; stale heap items carry an older gen

	// The token take reserved for the send in flight, and when: finish gives it back when the
	// worker made no request (the message was refused, not due yet, or claimed by another watcher).
	resv   *rate.Reservation
	resvAt time.Time
}

// before orders entries of one channel: by created_at, then by file name.
func (e *entry) before(o *entry) bool {
	if !e.created.Equal(o.created) {
		return e.created.Before(o.created)
	}
	return e.name < o.name
}

func entryKey(provider, name string) string { return provider + "/" + name }

type channel struct {
	ready       []*entry // due and not started, by name
	busy        bool     // a send is in flight
	lim         *rate.Limiter
	pausedUntil time.Time // throttled by the provider
	pauseReason string    // why, for the messages whose deadline passes meanwhile
}

type heapItem struct {
	due time.Time
	e   *entry
	gen uint64
}

type dueHeap []heapItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(heapItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

type index struct {
	entries map[string]*entry
	chans   map[string]*channel
	due     dueHeap
	active  map[*channel]struct{} // channels that may have ready entries
	rateOf  func(provider string) Rate
}

func newIndex(rateOf func(string) Rate) *index {
	return &index{entries: map[string]*entry{}, chans: map[string]*channel{},
		active: map[*channel]struct{}{}, rateOf: rateOf}
}

// channelFor returns the channel of provider and recipient, creating it with the provider's rate.
func (ix *index) channelFor(provider, to string) *channel {
	k := provider + "\x00" + to
	ch := ix.chans[k]
	if ch == nil {
		ch = &channel{lim: ix.rateOf(provider).limiter()}
		ix.chans[k] = ch
	}
	return ch
}

// place puts e (not in flight) in its channel's ready list when due by now, else in the heap.
func (ix *index) place(e *entry, due, now time.Time) {
	ix.unready(e)
	e.due = due
	e.gen++
	if !due.After(now) {
		ix.makeReady(e)
		return
	}
	heap.Push(&ix.due, heapItem{due: due, e: e, gen: e.gen})
}

func (ix *index) makeReady(e *entry) {
	r := e.ch.ready
	i := sort.Search(len(r), func(i int) bool { return !r[i].before(e) })
	r = append(r, nil)
	copy(r[i+1:], r[i:])
	r[i] = e
	e.ch.ready = r
	e.ready = true
	ix.active[e.ch] = struct{}{}
}

func (ix *index) unready(e *entry) {
	if !e.ready {
		return
	}
	r := e.ch.ready
	for i, x := range r {
		if x == e {
			e.ch.ready = append(r[:i], r[i+1:]...)
			break
		}
	}
	e.ready = false
}

// remove forgets e (its file left outbound/).
func (ix *index) remove(e *entry) {
	ix.unready(e)
	e.gen++
	delete(ix.entries, entryKey(e.provider, e.name))
}

// promote moves the entries that came due by now from the heap into their channels' ready lists.
func (ix *index) promote(now time.Time) {
	for len(ix.due) > 0 {
		top := ix.due[0]
		if top.gen != top.e.gen {
			heap.Pop(&ix.due)
			continue
		}
		if top.due.After(now) {
			return
		}
		heap.Pop(&ix.due)
		top.e.gen++
		ix.makeReady(top.e)
	}
}

// nextDue is the due time of the earliest deferred entry (zero when none).
func (ix *index) nextDue() time.Time {
	for len(ix.due) > 0 {
		if top := ix.due[0]; top.gen == top.e.gen {
			return top.due
		}
		heap.Pop(&ix.due)
	}
	return time.Time{}
}

// take starts the next entry that may be sent at now: the first ready entry of a channel with nothing
// in flight, no provider throttle and a token in its bucket. A paused channel never holds a message
// past its max_age deadline: a ready entry whose deadline has passed while its channel is paused is
// started as an expiry job (the worker dead-letters it, naming the pause). When none can start it
// returns a job without entry and the earliest times a channel blocked by its token bucket (rateWake)
// or by a provider throttle (pauseWake, or the first deadline among its entries) may go again (zero
// when none is).
func (ix *index) take(now time.Time) (j job, rateWake, pauseWake time.Time) {
	for ch := range ix.active {
		if len(ch.ready) == 0 {
			delete(ix.active, ch)
			continue
		}
		if ch.busy {
			continue // finish re-activates it
		}
		if ch.pausedUntil.After(now) {
			pauseWake = earliest(pauseWake, ch.pausedUntil)
			if e := ch.expired(now); e != nil {
				ix.start(e)
				return job{e: e, expire: ch.pauseReason}, time.Time{}, time.Time{}
			}
			for _, e := range ch.ready {
				if !e.deadline.IsZero() {
					pauseWake = earliest(pauseWake, e.deadline)
				}
			}
			continue
		}
		if ch.lim != nil && ch.lim.TokensAt(now) < 1 {
			rateWake = earliest(rateWake, now.Add(limiterWait(ch.lim, now)))
			continue
		}
		e := ch.ready[0]
		if ch.lim != nil {
			e.resv, e.resvAt = ch.lim.ReserveN(now, 1), now // available now: TokensAt says so
		}
		ix.start(e)
		return job{e: e}, time.Time{}, time.Time{}
	}
	return job{}, rateWake, pauseWake
}

// start marks the ready entry e in flight.
func (ix *index) start(e *entry) {
	ix.unready(e)
	e.gen++
	e.inflight = true
	e.ch.busy = true
}

// expired returns a ready entry of ch whose max_age deadline is not after now (nil when none).
func (ch *channel) expired(now time.Time) *entry {
	for _, e := range ch.ready {
		if !e.deadline.IsZero() && !e.deadline.After(now) {
			return e
		}
	}
	return nil
}

// finish marks e's send as over; the caller then places or removes e. Unless a request was made to
// the provider, the channel's token goes back (nothing else reserved on the channel since take, as a
// channel has one send in flight, so cancelling at the reservation's time restores it whole).
func (ix *index) finish(e *entry, requested bool) {
	if e.resv != nil && !requested {
		e.resv.CancelAt(e.resvAt)
	}
	e.resv = nil
	e.inflight = false
	e.ch.busy = false
	ix.active[e.ch] = struct{}{}
}

// limiterWait is how long until lim has a token at now.
func limiterWait(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || lim.Limit() <= 0 {
		return time.Millisecond
	}
	return time.Duration(missing/float64(lim.Limit())*float64(time.Second)) + time.Millisecond
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
