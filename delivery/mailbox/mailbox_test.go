package mailbox

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestOpenCreatesLayout(t *testing.T) {
	t.Parallel()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	root := filepath.Join(t.TempDir(), "a", "mailbox")
	mb, err := Open(root)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !filepath.IsAbs(mb.Root) {
		t.Errorf("Root %q is not absolute", mb.Root)
	}
	for _, d := range []string{"", "outbound", "archive", ".deadletter", "inbound", ".state", ".tmp"} {
		assertMode(t, filepath.Join(root, d), 0o700)
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil || !fi.IsDir() {
			t.Errorf("%s is not a directory: %v", d, err)
		}
	}
	// Opening again is harmless and keeps what is there.
	e := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	if _, err := Open(root); err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if _, err := os.Stat(e.Path); err != nil {
		t.Errorf("second Open lost a message: %v", err)
	}
	// Provider directories are 0700 too.
	assertMode(t, filepath.Join(root, "outbound", "slack"), 0o700)
}

func TestOpenRelativeRoot(t *testing.T) { // not parallel: it changes the working directory
	dir := t.TempDir()
	t.Chdir(dir)
	mb, err := Open("mb")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(filepath.Join(dir, "mb"))
	got, _ := filepath.EvalSymlinks(mb.Root)
	if got != want {
		t.Errorf("Root = %q, want %q", mb.Root, want)
	}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	mb := newMailbox(t)
	m := sampleMessage("out_slack_0123456789ab")
	m.CreatedAt = At(time.Date(2026, 2, 7, 23, 2, 32, 999e6, time.FixedZone("CST", 8*3600)))
	path, err := mb.Enqueue(m)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	want := filepath.Join(mb.Root, "outbound", "slack", "20260207T150232_out_slack_0123456789ab.md")
	if path != want {
		t.Errorf("path = %s, want %s", path, want)
	}
	assertMode(t, path, 0o600)
	if !strings.HasPrefix(m.Seal, "v1:") || len(m.Seal) != 3+64 {
		t.Errorf("seal = %q, want v1:<64 hex>", m.Seal)
	}
	assertMessagesEqual(t, mustRead(t, path), m)
	assertNoTemp(t, mb)
	if FileName(m) != filepath.Base(path) {
		t.Errorf("FileName = %s", FileName(m))
	}
	if id := IDFromName(filepath.Base(path)); id != m.ID {
		t.Errorf("IDFromName = %q", id)
	}
}

func TestEnqueueRejectsInvalidNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider, id string
	}{
		{"provider with parent dir", "../x", "out_x_1"},
		{"provider with slash", "a/b", "out_x_1"},
		{"upper-case provider", "A", "out_x_1"},
		{"empty provider", "", "out_x_1"},
		{"dot provider", ".deadletter", "out_x_1"},
		{"provider with space", "a b", "out_x_1"},
		{"provider too long", strings.Repeat("a", 33), "out_x_1"},
		{"id with parent dir", "slack", "../x"},
		{"id with slash", "slack", "a/b"},
		{"id with dot-dot inside", "slack", "a..b"},
		{"dot id", "slack", ".hidden"},
		{"empty id", "slack", ""},
		{"id with NUL", "slack", "a\x00b"},
		{"id with newline", "slack", "a\nb"},
		{"id too long", "slack", strings.Repeat("a", 129)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb := newMailbox(t)
			m := sampleMessage(tt.id)
			m.Provider = tt.provider
			if _, err := mb.Enqueue(m); err == nil {
				t.Fatal("Enqueue succeeded")
			}
			var files []string
			_ = filepath.WalkDir(filepath.Dir(mb.Root), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, p)
				}
				return nil
			})
			for _, f := range files {
				if !strings.HasPrefix(f, mb.StateDir()) { // the seal key may exist
					t.Errorf("Enqueue left %s", f)
				}
			}
		})
	}
}

func TestValidNames(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"slack", "file", "dingtalk", "wecom_bot", "a-1", "x"} {
		if !ValidProvider(p) {
			t.Errorf("ValidProvider(%q) = false", p)
		}
	}
	for _, p := range []string{"", "A", "1a", "_a", "../x", "a/b", "a.b", ".x", "a b", "ä"} {
		if ValidProvider(p) {
			t.Errorf("ValidProvider(%q) = true", p)
		}
	}
	for _, id := range []string{"out_slack_0123456789ab", "A.b-c_d", "x"} {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range []string{"", ".", "..", "../x", "a/b", "a..b", ".x", "-x", "a b", "a\\b"} {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	a, b := NewID("slack"), NewID("slack")
	if a == b {
		t.Errorf("NewID twice gave %s", a)
	}
	if !strings.HasPrefix(a, "out_slack_") || len(a) != len("out_slack_")+12 || !ValidID(a) {
		t.Errorf("NewID = %q", a)
	}
	if strings.ToLower(a) != a {
		t.Errorf("NewID %q is not lower case", a)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	path := filepath.Join(mb.Root, "outbound", "f.md")

	t.Run("creates with 0600", func(t *testing.T) {
		if err := WriteFileAtomic(mb.TmpDir(), path, []byte("one")); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o600)
		assertNoTemp(t, mb)
	})
	t.Run("replaces an existing file", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(mb.TmpDir(), path, []byte("two")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "two" {
			t.Errorf("content %q", b)
		}
		assertMode(t, path, 0o600)
		assertNoTemp(t, mb)
	})
	t.Run("readers see the old file or the whole new one", func(t *testing.T) {
		old := bytes.Repeat([]byte("o"), 256<<10)
		fresh := bytes.Repeat([]byte("n"), 256<<10)
		if err := WriteFileAtomic(mb.TmpDir(), path, old); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var bad []string
		var mu sync.Mutex
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					b, err := os.ReadFile(path)
					if err != nil || !(bytes.Equal(b, old) || bytes.Equal(b, fresh)) {
						mu.Lock()
						bad = append(bad, "partial or missing read")
						mu.Unlock()
						return
					}
				}
			}()
		}
		for i := range 20 {
			data := old
			if i%2 == 0 {
				data = fresh
			}
			if err := WriteFileAtomic(mb.TmpDir(), path, data); err != nil {
				t.Error(err)
			}
		}
		close(stop)
		wg.Wait()
		if len(bad) > 0 {
			t.Errorf("%d readers saw %s", len(bad), bad[0])
		}
		assertNoTemp(t, mb)
	})
	t.Run("failure leaves the target and no temp file", func(t *testing.T) {
		missing := filepath.Join(mb.Root, "nope", "f.md")
		if err := WriteFileAtomic(mb.TmpDir(), missing, []byte("x")); err == nil {
			t.Error("write into a missing directory succeeded")
		}
		assertNoTemp(t, mb)
		if err := WriteFileAtomic(filepath.Join(mb.Root, "no-tmp"), path, []byte("x")); err == nil {
			t.Error("write with a missing temp directory succeeded")
		}
		if b, _ := os.ReadFile(path); len(b) != 256<<10 {
			t.Errorf("failed write changed the target (%d bytes)", len(b))
		}
	})
}

func TestRenameDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	from, to := filepath.Join(dir, "a"), filepath.Join(dir, "sub", "b")
	if err := os.Mkdir(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(from, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RenameDurable(from, to); err != nil {
		t.Fatal(err)
	}
	assertGone(t, from)
	if b, _ := os.ReadFile(to); string(b) != "x" {
		t.Errorf("content %q", b)
	}
	if err := RenameDurable(from, to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("renaming a missing file: %v", err)
	}
	if err := SyncDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("SyncDir of a missing directory succeeded")
	}
}

func TestListAndFind(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	pending := mustEnqueue(t, mb, sampleMessage("out_slack_000000000001"))
	m2 := sampleMessage("out_email_000000000002")
	m2.Provider = "email"
	claimedE := mustEnqueue(t, mb, m2)
	sentE := mustEnqueue(t, mb, sampleMessage("out_slack_000000000003"))
	deadE := mustEnqueue(t, mb, sampleMessage("out_slack_000000000004"))

	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	claimedPath, err := c.Claim(claimedE)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Claim(sentE)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Archive(p, mustRead(t, p), t0, "pm"); err != nil {
		t.Fatal(err)
	}
	p, err = c.Claim(deadE)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeadLetter(p, mustRead(t, p), t0, "permanent"); err != nil {
		t.Fatal(err)
	}
	// Things that are not message files are never listed.
	for _, junk := range []string{
		filepath.Join(mb.Root, "outbound", "slack", ".hidden.md"),
		filepath.Join(mb.Root, "outbound", "slack", "notes.txt"),
		filepath.Join(mb.Root, ".deadletter", "slack", ".x.md.reason"),
		filepath.Join(mb.Root, "outbound", "stray.md"),
		filepath.Join(mb.Root, "outbound", ".hiddenprov", "a_b.md"),
	} {
		if err := os.MkdirAll(filepath.Dir(junk), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(junk, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(mb.Root, "outbound", "slack", "dir.md"), 0o700); err != nil {
		t.Fatal(err)
	}

	type row struct {
		state   State
		claimed bool
		id      string
	}
	summary := func(es []Entry) []row {
		var out []row
		for _, e := range es {
			out = append(out, row{e.State, e.Claimed, e.ID()})
		}
		return out
	}
	claimedRow := row{Outbound, true, "out_email_000000000002"}
	pendingRow := row{Outbound, false, "out_slack_000000000001"}
	sentRow := row{Archive, false, "out_slack_000000000003"}
	deadRow := row{DeadLetter, false, "out_slack_000000000004"}
	tests := []struct {
		name   string
		states []State
		want   []row
	}{
		{"all", nil, []row{claimedRow, pendingRow, sentRow, deadRow}},
		{"outbound includes claims", []State{Outbound}, []row{claimedRow, pendingRow}},
		{"archive", []State{Archive}, []row{sentRow}},
		{"dead letters", []State{DeadLetter}, []row{deadRow}},
		{"inbound", []State{Inbound}, nil},
		{"archive and dead letters", []State{Archive, DeadLetter}, []row{sentRow, deadRow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := mb.List(tt.states...)
			if err != nil {
				t.Fatal(err)
			}
			got := summary(es)
			if len(got) != len(tt.want) {
				t.Fatalf("List = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("List = %v, want %v", got, tt.want)
					break
				}
			}
			for _, e := range es {
				if _, err := os.Stat(e.Path); err != nil {
					t.Errorf("entry path %s: %v", e.Path, err)
				}
			}
		})
	}

	for _, tt := range []struct {
		id      string
		state   State
		claimed bool
		path    string
	}{
		{"out_slack_000000000001", Outbound, false, pending.Path},
		{"out_email_000000000002", Outbound, true, claimedPath},
		{"out_slack_000000000003", Archive, false, filepath.Join(mb.Root, "archive", "slack", sentE.Name)},
		{"out_slack_000000000004", DeadLetter, false, filepath.Join(mb.Root, ".deadletter", "slack", deadE.Name)},
	} {
		e, err := mb.Find(tt.id)
		if err != nil {
			t.Errorf("Find(%s): %v", tt.id, err)
			continue
		}
		if e.State != tt.state || e.Claimed != tt.claimed || e.Path != tt.path {
			t.Errorf("Find(%s) = %+v, want state %s claimed %v path %s", tt.id, e, tt.state, tt.claimed, tt.path)
		}
	}
	for _, id := range []string{"out_slack_999999999999", "../x", ""} {
		if _, err := mb.Find(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Find(%q) error = %v, want ErrNotFound", id, err)
		}
	}
}

func TestIsMessageName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"20260207T150232_out_x_1.md": true, ".x.md": false, "x.md.reason": false, ".x.md.reason": false,
		"x.txt": false, "x.md~": false,
	} {
		if got := IsMessageName(name); got != want {
			t.Errorf("IsMessageName(%q) = %v", name, got)
		}
	}
	if got := IDFromName("noid.md"); got != "noid" {
		t.Errorf("IDFromName(noid.md) = %q", got)
	}
}
