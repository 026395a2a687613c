package delivery

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
)

// A symlink in outbound/ was not enqueued by courier: it is dead-lettered without being followed,
// never skipped in silence.
func TestSymlinkInOutboundDeadLettered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.enqueue(t, f.msg("test", "ops"))
	e, _ := f.find(t, m.ID)
	target := filepath.Join(t.TempDir(), "elsewhere.md")
	if err := os.Rename(e.Path, target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, e.Path); err != nil {
		t.Fatal(err)
	}
	if sum := f.once(t, f.watcher(t)); sum != (Summary{DeadLettered: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	if n := len(f.snd.sendOrder()); n != 0 {
		t.Fatalf("%d sends through a symlink", n)
	}
	dead := filepath.Join(f.mb.Dir(mailbox.DeadLetter, "test"), e.Name)
	if fi, err := os.Lstat(dead); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("dead letter %v, %v: want the link itself moved", fi, err)
	}
	reason, _ := os.ReadFile(filepath.Join(filepath.Dir(dead), "."+e.Name+".reason"))
	if !strings.Contains(string(reason), "not a regular file") {
		t.Errorf("reason %q", reason)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the link's target: %v", err)
	}
}
