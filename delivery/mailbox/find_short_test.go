package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindShortID: the 12 hex digits of an id find its message in any state; digits shared by two
// messages are an error naming both.
func TestFindShortID(t *testing.T) {
	t.Parallel()
	mb := &Mailbox{Root: t.TempDir()}
	put := func(s State, provider, id string) {
		dir := mb.Dir(s, provider)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "20260207T150232_"+id+".md"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put(DeadLetter, "slack", "out_slack_940ecb9cc8b3")
	put(Outbound, "file", "out_file_aaaaaaaaaaaa")
	put(Archive, "webhook", "out_webhook_aaaaaaaaaaaa")

	if e, err := mb.Find("940ecb9cc8b3"); err != nil || e.ID() != "out_slack_940ecb9cc8b3" || e.State != DeadLetter {
		t.Errorf("Find(short) = %+v, %v; want the dead-lettered out_slack_940ecb9cc8b3", e, err)
	}
	_, err := mb.Find("aaaaaaaaaaaa")
	if !errors.Is(err, ErrAmbiguousID) || !strings.Contains(err.Error(), "out_file_aaaaaaaaaaaa, out_webhook_aaaaaaaaaaaa") {
		t.Errorf("Find(ambiguous) error = %v, want ErrAmbiguousID naming both", err)
	}
	if _, err := mb.Find("bbbbbbbbbbbb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(unknown short) error = %v, want ErrNotFound", err)
	}
}
