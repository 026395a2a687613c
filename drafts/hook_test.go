package drafts

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
)

func testHook(t *testing.T, branch string) *Hook {
	v := newValidator(t)
	ps := DefaultPatterns()
	return &Hook{Patterns: ps, Head: func() (string, error) { return branch, nil },
		Setup: func() (StampInfo, *Validator, error) {
			it, _ := ItemForBranch(branch, ps)
			return StampInfo{Branch: branch, Item: it}, v, nil
		},
		Mailbox: func() (*mailbox.Mailbox, error) { return newMailbox(t), nil }, Now: clock(t0, 1e9)}
}

func TestHookPreCommit(t *testing.T) {
	const dir = "Issues/Features/work/FEAT-0172/drafts/"
	good := []byte("---\nprovider: email\nto: [a@example.com]\nsubject: hi\n---\nhello\n")
	tests := []struct {
		name         string
		files        []Touched
		noticed      []string
		broken       bool
		wantErr      string
		wantErrLines int
	}{
		{name: "valid", files: []Touched{{Path: dir + "a.md", Content: good}}},
		{name: "symlink refused", files: []Touched{{Path: dir + "a.md", Symlink: true}}, wantErr: "1 draft invalid", wantErrLines: 1},
		{name: "too large", files: []Touched{{Path: dir + "a.md", Size: MaxDraft + 1}, {Path: dir + "b.md", Gitlink: true}}, wantErr: "2 drafts invalid", wantErrLines: 2},
		{name: "mailbox path", noticed: []string{".monoco/mailbox/outbound/x.md"}, wantErr: "under the mailbox .monoco/mailbox/"},
		{name: "misplaced", noticed: []string{dir + "sub/a.md"}, wantErrLines: 1},
		{name: "broken configuration", files: []Touched{{Path: dir + "a.md", Content: good}}, broken: true, wantErr: ErrHookConfig.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHook(t, "FEAT-0172-x")
			h.Broken = tt.broken
			res, err := h.Run(context.Background(), "pre-commit", tt.files, tt.noticed, false)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(res.Err) != tt.wantErrLines {
				t.Errorf("stderr lines = %+v, want %d", res.Err, tt.wantErrLines)
			}
		})
	}
}

func TestHookPostCommit(t *testing.T) {
	const dir = "Issues/Features/work/FEAT-0172/drafts/"
	good := []byte("---\nprovider: email\nto: [a@example.com]\nsubject: hi\n---\nhello\n")
	h := testHook(t, "FEAT-0172-x")
	files := []Touched{{Path: dir + "a.md", Content: good, Blob: BlobID(good)},
		{Path: "Issues/Features/work/FEAT-0001/drafts/b.md", Content: good}}
	res, err := h.Run(context.Background(), "post-commit", files, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Out) != 1 || !strings.HasPrefix(res.Out[0], "delivered "+dir+"a.md → ") {
		t.Errorf("stdout = %q", res.Out)
	}
	if len(res.Err) != 1 || !strings.Contains(res.Err[0].Text, "belongs to FEAT-0001") {
		t.Errorf("stderr = %+v", res.Err)
	}
	res, err = h.Run(context.Background(), "post-commit", files, nil, true)
	if err != nil || len(res.Err) != 2 || !strings.HasPrefix(res.Err[0].Text, "COURIER_SKIP=1: not delivered: "+dir+"a.md") {
		t.Errorf("skipped: %+v, %v", res.Err, err)
	}
	h.Setup = func() (StampInfo, *Validator, error) { return StampInfo{}, nil, errors.New("no HEAD") }
	if _, err := h.Run(context.Background(), "post-commit", files, nil, false); err == nil {
		t.Error("post-commit without a branch: no error")
	}
}

func TestHookMatchNotice(t *testing.T) {
	h := testHook(t, "FEAT-0172-x")
	h.MailboxRel = "box"
	const dir = "Issues/Features/work/FEAT-0172/drafts/"
	if !h.Match(dir+"a.md") || h.Match("README.md") {
		t.Error("Match")
	}
	if !h.Notice("box/outbound/x.md") || h.Notice(".monoco/mailbox/x") || h.Notice("README.md") || !h.Notice(dir+"sub/a.md") {
		t.Error("Notice")
	}
	if h.Under() != "Issues/" {
		t.Errorf("Under = %q", h.Under())
	}
	if h.Broken = true; h.Under() != "" {
		t.Errorf("Under of a broken configuration = %q", h.Under())
	}
}
