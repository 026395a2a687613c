package mailbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ArchiveGroup archives every record it can and drops their claims; a record whose archive directory
// cannot be written keeps its claim, unchanged, and leaves no temp file.
func TestArchiveGroup(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	c, err := mb.NewClaimer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	now := t0.Add(time.Hour)
	var as []Acceptance
	for i, p := range []string{"slack", "slack", "lark", "slack"} {
		m := sampleMessage("out_" + p + "_00000000000" + string(rune('1'+i)))
		m.Provider = p
		m.CreatedAt = At(t0.Add(time.Duration(i) * time.Second))
		claimed, err := c.Claim(mustEnqueue(t, mb, m))
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, Acceptance{Claimed: claimed, M: mustRead(t, claimed), Now: now, ProviderMsgID: "pm-" + m.ID})
	}
	if err := os.WriteFile(mb.Dir(Archive, "lark"), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	errs := c.ArchiveGroup(as)
	for i, a := range as {
		archived := filepath.Join(mb.Dir(Archive, a.M.Provider), filepath.Base(a.Claimed))
		if a.M.Provider == "lark" {
			if errs[i] == nil {
				t.Errorf("%s: archived into a file", a.M.ID)
			}
			if got := mustRead(t, a.Claimed); got.Status != StatusPending {
				t.Errorf("%s: claim changed to %s", a.M.ID, got.Status)
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("%s: %v", a.M.ID, errs[i])
		}
		assertGone(t, a.Claimed)
		got := mustRead(t, archived)
		if got.Status != StatusSent || got.SentAt == nil || !got.SentAt.Equal(now) || got.ProviderMessageID != "pm-"+a.M.ID {
			t.Errorf("%s archived as %s sent_at %v pmid %q", a.M.ID, got.Status, got.SentAt, got.ProviderMessageID)
		}
		assertMode(t, archived, 0o600)
	}
	assertNoTemp(t, mb)
}
