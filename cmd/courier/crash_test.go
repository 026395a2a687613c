package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
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
// docs/protocol.md, "Guarantees" (a crash never loses a draft; exactly once per draft version; a watcher killed
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

// runKilled starts bin in dir and sends it SIGKILL after the delay (0: never) unless it exited
// before. during, when not nil, runs (on this goroutine) once the process has started.
func runKilled(t *testing.T, dir string, after time.Duration, during func(), bin string, args ...string) crashRun {
	t.Helper()
	return runKilledWhen(t, dir, killWhen{after: after, during: during}, bin, args...)
}

// killWhen says when runKilledWhen sends SIGKILL: at the first receive from kill, or once after has
// passed since the start (0: no time limit), whichever comes first; never when both are unset.
type killWhen struct {
	after  time.Duration
	kill   <-chan struct{}
	during func()            // runs (on the calling goroutine) once the process has started
	line   func(line string) // called with each line the process writes to stderr, as it is written
}

// runKilledWhen starts bin in dir and kills it with SIGKILL as kw says, unless it exited before.
func runKilledWhen(t *testing.T, dir string, kw killWhen, bin string, args ...string) crashRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout bytes.Buffer
	stderr := &lineWriter{line: kw.line}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.WaitDelay = 10 * time.Second // a git child of a killed courier may hold the pipes a little longer
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if kw.during != nil {
		kw.during()
	}
	var timeout <-chan time.Time
	if kw.after > 0 {
		timer := time.NewTimer(max(kw.after-time.Since(start), 0))
		defer timer.Stop()
		timeout = timer.C
	}
	var err error
	select {
	case err = <-done:
	case <-timeout:
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = <-done
	case <-kw.kill:
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

// lineWriter keeps what a process writes and calls line (when not nil) with each complete line as it
// arrives. exec copies a pipe into it from one goroutine; String may be called from another.
type lineWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	line    func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	var complete []string
	if w.line != nil {
		w.partial = append(w.partial, p...)
		for {
			i := bytes.IndexByte(w.partial, '\n')
			if i < 0 {
				break
			}
			complete = append(complete, string(w.partial[:i]))
			w.partial = w.partial[i+1:]
		}
	}
	w.mu.Unlock()
	for _, l := range complete {
		w.line(l)
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
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
	mb, err := mailbox.OpenWith(filepath.Join(repo, ".monoco", "mailbox"),
		mailbox.OpenOptions{PrivateDir: filepath.Join(repo, ".git", "courier")})
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
