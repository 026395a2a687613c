package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// calibrateDeliver times one uninterrupted delivery of n drafts in a scratch repository, so that the
// kill delays cover the whole run on this machine (a fast disk does it in ~30 ms, a slow one in more).
func calibrateDeliver(t *testing.T, bin string, n int) time.Duration {
	t.Helper()
	repo := newRepo(t, "FEAT-0001-calibrate")
	wantCode(t, runIn(t, repo, nil, bin, "init"), 0, "courier init")
	writeDrafts(t, repo, "file", n)
	start := time.Now()
	wantCode(t, runIn(t, repo, nil, bin, "deliver"), 0, "courier deliver")
	return time.Since(start)
}

// deliverTrial runs `courier deliver` over n drafts, killed at random points, until a run completes;
// with change, every draft gets a second version while one of the runs (from changeAt on) is in
// progress. It returns the number of runs killed and which step each kill interrupted.
func deliverTrial(t *testing.T, bin string, rng *rand.Rand, maxDelay time.Duration, n int, change bool) (kills int, phases map[string]int, unordered bool) {
	t.Helper()
	repo := newRepo(t, "FEAT-0001-x")
	wantCode(t, runIn(t, repo, nil, bin, "init"), 0, "courier init")
	ds := writeDrafts(t, repo, "file", n)
	c := openCrashMailbox(t, repo)
	phases = map[string]int{}
	forced := 4 + rng.Intn(9)
	changeAt := -1
	if change {
		changeAt = rng.Intn(forced) // the run during which the drafts change
	}
	changed := false
	var settled time.Time // start of the first run after the drafts changed
	prev := c.checkDeliverState(ds)
	for i := 0; ; i++ {
		if i >= 200 {
			t.Fatalf("no deliver run completed in 200 runs (%d killed)", kills)
		}
		// The first runs are killed within an uninterrupted run's time, so that the kills land all
		// over it; after them the delays go beyond it, and a run completes.
		// Parallel trials and a loaded machine make runs slower than the calibration said: three
		// runs after the forced kills, a run is no longer killed at all (delay 0: no kill).
		limit := maxDelay
		if i >= forced {
			limit *= 2
		}
		delay := 1 + time.Duration(rng.Int63n(int64(limit)))
		if i >= forced+3 {
			delay = 0
		}
		var during func()
		var wg sync.WaitGroup
		changing := change && !changed && i >= changeAt
		if changing {
			// Replace every draft with its second version while this run reads and delivers them.
			at := time.Duration(rng.Int63n(int64(maxDelay)))
			during = func() {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(at)
					for j, p := range ds.paths {
						writeDraftAtomic(t, repo, p, crashDraft("file", j+1, 2))
					}
				}()
			}
			for j, p := range ds.paths {
				ds.versions[p] = append(ds.versions[p], drafts.BlobID([]byte(crashDraft("file", j+1, 2))))
			}
		}
		if changed && settled.IsZero() {
			settled = time.Now()
		}
		r := runKilled(t, repo, delay, during, bin, "deliver")
		wg.Wait()
		if changing {
			changed = true
		}
		cur := c.checkDeliverState(ds)
		if t.Failed() {
			t.Fatalf("after run %d (%v after start):\n%s", i, delay, r)
		}
		if r.killed {
			kills++
			phases[phaseOf(prev, cur)]++
			prev = cur
			continue
		}
		if r.code != 0 {
			t.Fatalf("run %d:\n%s", i, r)
		}
		prev = cur
		if changing || (change && !changed) {
			continue // the run that completes must have started after the drafts changed
		}
		break
	}

	// Everything is delivered exactly once, and a last run has nothing left to do.
	final := runIn(t, repo, nil, bin, "deliver", "--json")
	wantCode(t, final, 0, "final courier deliver")
	var res struct {
		Delivered []json.RawMessage `json:"delivered"`
		Skipped   []struct {
			Draft  string `json:"draft"`
			Reason string `json:"reason"`
		} `json:"skipped"`
		Invalid []json.RawMessage `json:"invalid"`
	}
	if err := json.Unmarshal([]byte(final.stdout), &res); err != nil {
		t.Fatalf("final deliver --json: %v\n%s", err, final)
	}
	if len(res.Delivered) != 0 || len(res.Invalid) != 0 || len(res.Skipped) != n {
		t.Errorf("final deliver: %d delivered, %d skipped, %d invalid; want 0, %d, 0\n%s",
			len(res.Delivered), len(res.Skipped), len(res.Invalid), n, final.stdout)
	}
	for _, s := range res.Skipped {
		if !strings.HasPrefix(s.Reason, "already delivered as out_file_") {
			t.Errorf("final deliver skipped %s: %s", s.Draft, s.Reason)
		}
	}
	st := c.checkDeliverState(ds)
	last := 0 // the current version of every draft: enqueued exactly once, and its ledger entry done
	if change {
		last = 1
	}
	older := 0
	for _, p := range ds.paths {
		vs := ds.versions[p]
		if got := len(st.byVersion[[2]string{p, vs[last]}]); got != 1 {
			t.Errorf("%s (version %d): %d messages, want exactly 1", p, last+1, got)
		}
		if e, _ := c.mb.Ledger(p, vs[last]); e == nil || !e.Done {
			t.Errorf("%s (version %d): ledger entry %+v, want done", p, last+1, e)
		}
		if change {
			// The first version may have been replaced before any run enqueued it: at most once.
			older += len(st.byVersion[[2]string{p, vs[0]}])
		}
	}
	if want := n + older; st.files != want {
		t.Errorf("outbound/file holds %d messages, want %d", st.files, want)
	}
	if len(c.verified(mailbox.Archive, "file"))+len(c.verified(mailbox.DeadLetter, "file")) != 0 {
		t.Error("deliver archived or dead-lettered something")
	}
	if change {
		t.Logf("%d of %d first versions were enqueued before the drafts changed", older, n)
	}
	// Drafts are enqueued in path order, and created_at (the send order within the channel) keeps it
	// across crashes. With changing drafts, only runs that started after the change saw one set of
	// drafts: a run during it may enqueue a later path's new version before an earlier path's.
	var current []*mailbox.Message
	for _, m := range c.verified(mailbox.Outbound, "file") {
		if change && m.CreatedAt.Before(settled) {
			continue
		}
		if vs := ds.versions[m.Source.Draft]; m.Source.DraftBlob == vs[len(vs)-1] {
			current = append(current, m)
		}
	}
	sort.Slice(current, func(i, j int) bool { return current[i].CreatedAt.Before(current[j].CreatedAt.Time) })
	for i := 1; i < len(current); i++ {
		if current[i].Source.Draft < current[i-1].Source.Draft {
			unordered = true
			break
		}
	}
	return kills, phases, unordered
}

// TestCrashDeliver: `courier deliver` killed at random points never loses a draft and never enqueues
// one twice (docs/protocol.md, "Guarantees").
func TestCrashDeliver(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	t.Parallel()
	bin := courierBinary(t)
	rng := crashRand(t)
	const n, trials = 40, 6
	full := calibrateDeliver(t, bin, n)
	maxDelay := max(30*time.Millisecond, full)
	t.Logf("an uninterrupted delivery of %d drafts takes %v: kill delays in [0, %v), then up to twice that", n, full, maxDelay)
	crashDeliverTrials(t, bin, rng, maxDelay, n, trials, false)
}

// TestCrashDeliverChangedDrafts: the drafts change while deliveries are being killed; the second
// version of each is enqueued exactly once, the first at most once (docs/protocol.md, "Guarantees").
func TestCrashDeliverChangedDrafts(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	t.Parallel()
	bin := courierBinary(t)
	rng := crashRand(t)
	const n, trials = 40, 5
	full := calibrateDeliver(t, bin, n)
	maxDelay := max(30*time.Millisecond, full)
	t.Logf("an uninterrupted delivery of %d drafts takes %v: kill delays in [0, %v), then up to twice that", n, full, maxDelay)
	crashDeliverTrials(t, bin, rng, maxDelay, n, trials, true)
}

// crashDeliverTrials runs the trials as parallel subtests (each its own repository, its generator
// seeded from rng) and logs what the kills interrupted, in total.
func crashDeliverTrials(t *testing.T, bin string, rng *rand.Rand, maxDelay time.Duration, n, trials int, change bool) {
	t.Helper()
	var mu sync.Mutex
	total, unordered, phases := 0, 0, map[string]int{}
	t.Cleanup(func() { // after the subtests
		t.Logf("%d trials, %d runs killed: %v; created_at out of path order after %d trials", trials, total, phases, unordered)
	})
	for i := range trials {
		seed := rng.Int63()
		t.Run(fmt.Sprintf("trial%d", i), func(t *testing.T) {
			t.Parallel()
			kills, ph, un := deliverTrial(t, bin, rand.New(rand.NewSource(seed)), maxDelay, n, change)
			t.Logf("%d runs killed (%v)", kills, ph)
			if un {
				t.Errorf("created_at out of path order after a crash")
			}
			mu.Lock()
			defer mu.Unlock()
			total += kills
			for k, v := range ph {
				phases[k] += v
			}
			if un {
				unordered++
			}
		})
	}
}
