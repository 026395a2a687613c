package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// Crash tests: the real binary, killed with SIGKILL at random points, must keep the promises of
// contract §4 (a crash never loses a draft; exactly once per draft version) and §7 (a watcher killed
// with kill -9 leaves every message recoverable; at-least-once, one resend per in-flight message per
// crash). The kill delays come from a seeded math/rand: set COURIER_CRASH_SEED to replay a seed (the
// timing of the processes themselves is not replayable, the delays are).

// crashRand returns a seeded generator and logs its seed.
func crashRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv("COURIER_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("COURIER_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (replay the kill delays with COURIER_CRASH_SEED=%d)", seed, seed)
	return rand.New(rand.NewSource(seed))
}

// crashRun is one run of the binary that may have been killed.
type crashRun struct {
	pid            int
	killed         bool // died of the SIGKILL
	code           int  // exit code when not killed
	took           time.Duration
	stdout, stderr string
}

func (r crashRun) String() string {
	return fmt.Sprintf("pid %d, killed %v, exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.pid, r.killed, r.code,
		r.took, r.stdout, r.stderr)
}

// runKilled starts bin in dir and sends it SIGKILL after the delay unless it exited before.
// during, when not nil, runs (on this goroutine) once the process has started.
func runKilled(t *testing.T, dir string, after time.Duration, during func(), bin string, args ...string) crashRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second // a git child of a killed courier may hold the pipes a little longer
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if during != nil {
		during()
	}
	timer := time.NewTimer(max(after-time.Since(start), 0))
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = <-done
	}
	r := crashRun{pid: cmd.Process.Pid, took: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v", filepath.Base(bin), strings.Join(args, " "), err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		if ws.Signal() != syscall.SIGKILL {
			t.Fatalf("courier %s died of %v:\n%s", strings.Join(args, " "), ws.Signal(), r)
		}
		r.killed = true
	} else {
		r.code = cmd.ProcessState.ExitCode()
	}
	if traceRe.MatchString(r.stdout) || traceRe.MatchString(r.stderr) {
		t.Fatalf("courier %s: output carries a panic or stack trace:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// crashDraft is the content of draft n in version v.
func crashDraft(provider string, n, v int) string {
	return fmt.Sprintf("---\nprovider: %s\nto: local\nsubject: draft %02d\n---\nbody of draft %02d, version %d\n", provider, n, n, v)
}

// writeDraftAtomic replaces a draft the way an editor does (temp file + rename), so that a courier
// reading it concurrently sees one version or the other. The temp name starts with "." and is
// therefore never a draft.
func writeDraftAtomic(t *testing.T, repo, rel, content string) {
	t.Helper()
	path := filepath.Join(repo, filepath.FromSlash(rel))
	tmp := filepath.Join(filepath.Dir(path), ".next-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Error(err)
	}
}

// draftSet is the drafts of one trial: path → the blob id of each version written so far.
type draftSet struct {
	paths    []string
	versions map[string][]string
}

func writeDrafts(t *testing.T, repo, provider string, n int) *draftSet {
	t.Helper()
	ds := &draftSet{versions: map[string][]string{}}
	for i := 1; i <= n; i++ {
		content := crashDraft(provider, i, 1)
		rel := writeDraft(t, repo, "FEAT-0001", fmt.Sprintf("d%02d", i), content)
		ds.paths = append(ds.paths, rel)
		ds.versions[rel] = []string{drafts.BlobID([]byte(content))}
	}
	return ds
}

// crashMailbox opens the repository's mailbox for inspection. The sealer is only asked for once
// messages exist, so that the test never creates the seal key itself.
type crashMailbox struct {
	t    *testing.T
	repo string
	mb   *mailbox.Mailbox
	seen map[string]string // outbound file → its content when first seen: deliver never rewrites one
}

func openCrashMailbox(t *testing.T, repo string) *crashMailbox {
	t.Helper()
	mb, err := mailbox.Open(filepath.Join(repo, ".monoco", "mailbox"))
	if err != nil {
		t.Fatal(err)
	}
	return &crashMailbox{t: t, repo: repo, mb: mb, seen: map[string]string{}}
}

// verified reads every message file of state/provider, checks that it parses, that its seal matches
// and that its id is the one in its file name; it returns the messages by file name.
func (c *crashMailbox) verified(state mailbox.State, provider string) map[string]*mailbox.Message {
	c.t.Helper()
	out := map[string]*mailbox.Message{}
	dir := c.mb.Dir(state, provider)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range ents {
		if !mailbox.IsMessageName(e.Name()) {
			continue
		}
		m, err := mailbox.Read(filepath.Join(dir, e.Name()))
		if err != nil {
			c.t.Errorf("%s/%s/%s does not parse: %v", state, provider, e.Name(), err)
			continue
		}
		sealer, err := c.mb.Sealer()
		if err != nil {
			c.t.Fatal(err)
		}
		if v := sealer.Verify(m); v != mailbox.Sealed {
			c.t.Errorf("%s/%s/%s: seal %v", state, provider, e.Name(), v)
		}
		if id := mailbox.IDFromName(e.Name()); m.ID != id {
			c.t.Errorf("%s/%s/%s: id %q does not match the file name", state, provider, e.Name(), m.ID)
		}
		out[e.Name()] = m
	}
	return out
}

// strays lists every entry under the given state directories that is not a message file directly in
// a provider directory (a temp file, a dot-file, a sidecar, a subdirectory).
func (c *crashMailbox) strays(states ...mailbox.State) []string {
	c.t.Helper()
	var out []string
	for _, s := range states {
		root := filepath.Join(c.mb.Root, string(s))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			depth := len(strings.Split(rel, string(filepath.Separator)))
			switch {
			case rel == ".":
			case depth == 1 && d.IsDir() && mailbox.ValidProvider(d.Name()):
			case depth == 2 && d.Type().IsRegular() && mailbox.IsMessageName(d.Name()):
			default:
				out = append(out, filepath.Join(string(s), rel))
				if d.IsDir() {
					return filepath.SkipDir
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.t.Fatal(err)
		}
	}
	return out
}

// deliverState is what the mailbox holds of a trial's drafts.
type deliverState struct {
	intents, done int                    // ledger entries of the draft versions written so far
	temps         int                    // files in .tmp/ (temp files of interrupted atomic writes)
	byVersion     map[[2]string][]string // (draft, blob) → message file names in outbound/file/
	files         int
}

// checkDeliverState verifies the exactly-once invariants that must hold after any crash: every
// message file in outbound parses and is sealed; once there, it stays, byte for byte; no draft version
// has two messages; every message belongs to a version that was written; a ledger entry marked done
// names files that are all there.
func (c *crashMailbox) checkDeliverState(ds *draftSet) deliverState {
	c.t.Helper()
	st := deliverState{byVersion: map[[2]string][]string{}}
	known := map[[2]string]bool{}
	for _, p := range ds.paths {
		for _, b := range ds.versions[p] {
			known[[2]string{p, b}] = true
		}
	}
	msgs := c.verified(mailbox.Outbound, "file")
	st.files = len(msgs)
	for name, m := range msgs {
		if m.Source == nil {
			c.t.Errorf("outbound/file/%s has no source", name)
			continue
		}
		k := [2]string{m.Source.Draft, m.Source.DraftBlob}
		if !known[k] {
			c.t.Errorf("outbound/file/%s comes from %s at blob %s, a version that was never written", name, k[0], k[1])
		}
		st.byVersion[k] = append(st.byVersion[k], name)
	}
	for name := range msgs {
		data, err := os.ReadFile(filepath.Join(c.mb.Dir(mailbox.Outbound, "file"), name))
		if err != nil {
			c.t.Fatal(err)
		}
		if old, ok := c.seen[name]; ok && old != string(data) {
			c.t.Errorf("outbound/file/%s was rewritten after it was enqueued:\n%s\nbecame\n%s", name, old, data)
		}
		c.seen[name] = string(data)
	}
	for name := range c.seen {
		if msgs[name] == nil {
			c.t.Errorf("outbound/file/%s disappeared", name)
		}
	}
	for k, names := range st.byVersion {
		if len(names) > 1 {
			sort.Strings(names)
			c.t.Errorf("draft %s (blob %.12s) was enqueued %d times: %v", k[0], k[1], len(names), names)
		}
	}
	for k := range known {
		e, err := c.mb.Ledger(k[0], k[1])
		if err != nil {
			c.t.Fatal(err)
		}
		if e == nil {
			continue
		}
		if !e.Done {
			st.intents++
			continue
		}
		st.done++
		for _, f := range e.Files {
			if !c.mb.Exists(filepath.Dir(f), filepath.Base(f)) {
				c.t.Errorf("ledger entry of %s (blob %.12s) is done, but its message %s is nowhere", k[0], k[1], f)
			}
		}
	}
	if s := c.strays(mailbox.Outbound, mailbox.Archive, mailbox.DeadLetter); len(s) > 0 {
		c.t.Errorf("the mailbox holds files that are not message files: %v", s)
	}
	tmp, err := os.ReadDir(c.mb.TmpDir())
	if err != nil {
		c.t.Fatal(err)
	}
	st.temps = len(tmp)
	return st
}

// phaseOf names the furthest step a killed deliver got to, from the mailbox before and after it.
func phaseOf(before, after deliverState) string {
	switch {
	case after.done > before.done:
		return "marking done"
	case after.files > before.files:
		return "enqueueing"
	case after.intents > before.intents:
		return "recording intents"
	case after.temps > before.temps:
		return "writing temp files"
	default:
		return "no visible write"
	}
}

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
	prev := c.checkDeliverState(ds)
	for i := 0; ; i++ {
		if i >= 200 {
			t.Fatalf("no deliver run completed in 200 runs (%d killed)", kills)
		}
		// The first runs are killed within an uninterrupted run's time, so that the kills land all
		// over it; after them the delays go beyond it, and a run completes.
		limit := maxDelay
		if i >= forced {
			limit *= 2
		}
		delay := time.Duration(rng.Int63n(int64(limit)))
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
	// Contract §4: drafts are enqueued in path order, and created_at (the send order within the
	// channel) keeps it across crashes.
	var current []*mailbox.Message
	for _, m := range c.verified(mailbox.Outbound, "file") {
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
// one twice (contract §4).
func TestCrashDeliver(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	bin := courierBinary(t)
	rng := crashRand(t)
	const n, trials = 40, 6
	full := calibrateDeliver(t, bin, n)
	maxDelay := max(30*time.Millisecond, full)
	t.Logf("an uninterrupted delivery of %d drafts takes %v: kill delays in [0, %v), then up to twice that", n, full, maxDelay)
	total, unordered, phases := 0, 0, map[string]int{}
	for i := range trials {
		kills, ph, un := deliverTrial(t, bin, rng, maxDelay, n, false)
		t.Logf("trial %d: %d runs killed (%v)", i, kills, ph)
		total += kills
		for k, v := range ph {
			phases[k] += v
		}
		if un {
			unordered++
			t.Errorf("trial %d: created_at out of path order after a crash", i)
		}
	}
	t.Logf("%d trials, %d runs killed: %v; created_at out of path order after %d trials", trials, total, phases, unordered)
}

// TestCrashDeliverChangedDrafts: the drafts change while deliveries are being killed; the second
// version of each is enqueued exactly once, the first at most once (contract §4).
func TestCrashDeliverChangedDrafts(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	bin := courierBinary(t)
	rng := crashRand(t)
	const n, trials = 40, 5
	full := calibrateDeliver(t, bin, n)
	maxDelay := max(30*time.Millisecond, full)
	t.Logf("an uninterrupted delivery of %d drafts takes %v: kill delays in [0, %v), then up to twice that", n, full, maxDelay)
	total, unordered, phases := 0, 0, map[string]int{}
	for i := range trials {
		kills, ph, un := deliverTrial(t, bin, rng, maxDelay, n, true)
		t.Logf("trial %d: %d runs killed (%v)", i, kills, ph)
		total += kills
		for k, v := range ph {
			phases[k] += v
		}
		if un {
			unordered++
			t.Errorf("trial %d: created_at out of path order after a crash", i)
		}
	}
	t.Logf("%d trials, %d runs killed: %v; created_at out of path order after %d trials", trials, total, phases, unordered)
}

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
