package drafts

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monoco/courier/delivery/mailbox"
)

// FuzzSplitFrontmatter: mailbox.SplitFrontmatter never panics, splits consistently with the input,
// and whatever it accepts goes through the draft parser without a panic; a valid draft survives the
// message file round trip with its seal intact.
func FuzzSplitFrontmatter(f *testing.F) {
	for _, s := range []string{
		hello, fullDraft, "---\n---\n", "---\r\nprovider: file\r\nto: x\r\n---\r\nbody\r\n", "---\n---", "---\nx: 1\n",
		"---\na: \"---\"\n---\n---\n", "\xef\xbb\xbf---\nto: x\n---\n", "---\nto: x\n----\n---\n", "",
	} {
		f.Add([]byte(s))
	}
	env := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		front, body, bodyLine, err := mailbox.SplitFrontmatter(data)
		if err == nil {
			head := data[:len(data)-len(body)]
			if !bytes.HasSuffix(data, body) || !bytes.HasPrefix(data, []byte("---")) || !bytes.Contains(head, front) {
				t.Fatalf("split %q into %q and %q", data, front, body)
			}
			if n := bytes.Count(head, []byte("\n")); n != bodyLine-1 && !(len(body) == 0 && n == bodyLine-2) {
				t.Fatalf("bodyLine %d, but %d newlines before the body", bodyLine, n)
			}
			if len(front) > mailbox.MaxFrontmatter {
				t.Fatalf("frontmatter of %d bytes accepted", len(front))
			}
		}
		checkDraft(t, env, data)
	})
}

// FuzzValidate: any frontmatter text and body validate without a panic into either a message whose
// file round-trips with its seal intact, or at most MaxErrorsPerDraft one-line errors naming the file.
func FuzzValidate(f *testing.F) {
	f.Add("provider: dingtalk\nto: ops", "hello")
	f.Add("provider: email\nto: [a@example.com]\ncc: b@example.com\nsubject: hi", "body")
	f.Add("provider: lark\nto: eng\ncontent_type: card", "{\"a\": 1}")
	f.Add("provider: dingtalk\nto: [ops, dev, x]\nmentions: [{type: all}]\noptions: {schedule_at: 2026-03-01T09:30:00+08:00}", "")
	f.Add("provider: file\nto: x\nmetadata: {a: [1, 2.5, true, null, {b: c}], \"k: v\": \"---\"}", "---\n")
	f.Add("provider: file\nto: x\nparticipants: {to: [{id: x}]}\nsession: {type: group}", "b")
	f.Add("a: &a [1]\nb: *a", "")
	f.Add("provider: dingtalkk\nto: 1", "x")
	f.Add("? [a]\n: b", "")
	f.Add("provider: file\nto: x\nmetadata: {<<: {a: 1}}", "")
	env := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, front, body string) {
		checkDraft(t, env, []byte("---\n"+front+"\n---\n"+body))
	})
}

// fuzzEnv is a validator plus a mailbox (for reply_to look-ups) and its sealer.
type fuzzEnv struct {
	v      *Validator
	mb     *mailbox.Mailbox
	sealer *mailbox.Sealer
}

func newFuzzEnv(tb testing.TB) *fuzzEnv {
	mb := newMailbox(tb)
	s, err := mb.Sealer()
	if err != nil {
		tb.Fatal(err)
	}
	return &fuzzEnv{v: newValidator(tb), mb: mb, sealer: s}
}

func checkDraft(t *testing.T, env *fuzzEnv, data []byte) {
	t.Helper()
	v, sealer := env.v, env.sealer
	in := Input{Path: draftDir + "fuzz.md", Content: data}
	dr, errs := v.Parse(in)
	if dr == nil {
		if len(errs) == 0 || len(errs) > MaxErrorsPerDraft {
			t.Fatalf("no draft and %d errors", len(errs))
		}
		for _, e := range errs {
			if s := e.Error(); e.File != in.Path || strings.ContainsAny(s, "\n\r") || e.Msg == "" {
				t.Fatalf("bad error %q", s)
			}
		}
		return
	}
	if errs != nil {
		t.Fatalf("a draft and errors %v", errs)
	}
	st := &stamper{mb: env.mb, patterns: DefaultPatterns(), providers: testConfig().Providers, info: StampInfo{Branch: "b"}}
	msgs, err := st.stamp(dr, t0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if !mailbox.ValidID(m.ID) || !mailbox.ValidProvider(m.Provider) || len(m.To) == 0 {
			t.Fatalf("stamped %q provider %q to %q", m.ID, m.Provider, m.To)
		}
		sealer.Seal(m)
		file, err := mailbox.Marshal(m)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := mailbox.Parse(file)
		if err != nil {
			t.Fatalf("the message file does not parse: %v\n%s", err, file)
		}
		if sealer.Verify(back) != mailbox.Sealed {
			t.Fatalf("the seal breaks on re-reading:\n%s", file)
		}
		if diff := cmp.Diff([]string{back.Body, back.CorrelationID, strings.Join(back.To, "\x00")},
			[]string{m.Body, m.CorrelationID, strings.Join(m.To, "\x00")}); diff != "" {
			t.Fatalf("round trip: %s", diff)
		}
	}
}
