package drafts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/monoco/courier/delivery/mailbox"
)

const fullDraft = `---
provider: email
to: [alice@example.com, "Bob <bob@example.com>"]
cc: carol@example.com
bcc: [dave@example.com]
subject: "Build 412: green"
type: markdown
reply_to: "<abc@mail.example.com>"
thread_key: build-412
thread_root: "<root@mail.example.com>"
session: {id: s1, type: thread, name: Builds, thread_key: build-412}
participants:
  from: {id: bot, name: Courier, email: bot@example.com, platform_id: U1, role: bot, avatar: "https://example.com/a.png"}
  to:
    - {id: alice, email: alice@example.com}
    - {email: bob@example.com, name: Bob}
  cc: [{email: carol@example.com}]
  bcc: [{email: dave@example.com}]
  mentions: [{id: alice}]
mentions:
  - {type: user, target: alice, name: Alice, offset: 0}
  - {type: all}
correlation_id: corr-1
options: {silent: true, urgent: true, schedule_at: 2026-03-01T09:30:00+08:00}
metadata: {build: 412, tags: [ci, green], nested: {ok: true, ratio: 0.5}, when: 2026-01-01, "---": "x\n---\ny"}
---
Build **#412** is green.

---
Not frontmatter: the body is kept byte for byte.
`

// TestFullDraftRoundTrip checks that every draft field reaches the stamped, sealed message file.
func TestFullDraftRoundTrip(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	in := input("full.md", fullDraft)
	res, err := d.Deliver(context.Background(), []Input{in}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invalid) != 0 || len(res.Delivered) != 1 {
		t.Fatalf("result: %+v %v", res, res.Invalid)
	}
	got := outbound(t, mb)
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	m := got[0]
	sched := mailbox.At(time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC))
	zero := 0
	want := &mailbox.Message{
		ID:          deterministicID(idKey(t, mb), in.Path, BlobID(in.Content), "email", ""),
		Provider:    "email",
		To:          []string{"alice@example.com", "Bob <bob@example.com>"},
		Cc:          []string{"carol@example.com"},
		Bcc:         []string{"dave@example.com"},
		Subject:     "Build 412: green",
		ContentType: "markdown",
		ReplyTo:     "<abc@mail.example.com>",
		ThreadKey:   "build-412",
		ThreadRoot:  "<root@mail.example.com>",
		Session:     &mailbox.Session{ID: "s1", Type: "thread", Name: "Builds", ThreadKey: "build-412"},
		Participants: &mailbox.Participants{
			From: &mailbox.Participant{ID: "bot", Name: "Courier", Email: "bot@example.com", PlatformID: "U1", Role: "bot", Avatar: "https://example.com/a.png"},
			To:   []mailbox.Participant{{ID: "alice", Email: "alice@example.com"}, {Email: "bob@example.com", Name: "Bob"}},
			Cc:   []mailbox.Participant{{Email: "carol@example.com"}}, Bcc: []mailbox.Participant{{Email: "dave@example.com"}},
			Mentions: []mailbox.Participant{{ID: "alice"}},
		},
		Mentions:      []mailbox.Mention{{Type: "user", Target: "alice", Name: "Alice", Offset: &zero}, {Type: "all"}},
		CorrelationID: "corr-1",
		Options:       &mailbox.Options{Silent: true, Urgent: true, ScheduleAt: &sched},
		Metadata:      metadataYAML(t, `{build: 412, tags: [ci, green], nested: {ok: true, ratio: 0.5}, when: 2026-01-01, "---": "x\n---\ny"}`),
		Direction:     "outbound",
		CreatedAt:     mailbox.At(t0),
		Source:        &mailbox.Source{Item: "FEAT-0172", Branch: "feat/FEAT-0172-reply", Commit: strings.Repeat("ab", 20), Draft: in.Path, DraftBlob: BlobID(in.Content)},
		Status:        mailbox.StatusPending,
		NextRetryAt:   &sched,
		Body:          "Build **#412** is green.\n\n---\nNot frontmatter: the body is kept byte for byte.\n",
	}
	if diff := cmp.Diff(want, m, cmpopts.IgnoreFields(mailbox.Message{}, "Seal")); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(m.ID, "out_email_") || len(m.ID) != len("out_email_")+12 {
		t.Errorf("id %q is not out_email_{12 hex}", m.ID)
	}
	s, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Verify(m); st != mailbox.Sealed {
		t.Errorf("seal: %v", st)
	}
	// The file: name from created_at and id, in outbound/email/, the stamped nulls written out.
	dl := res.Delivered[0]
	wantPath := filepath.Join(mb.Dir(mailbox.Outbound, "email"), "20260207T150232_"+m.ID+".md")
	if dl.Path != wantPath || dl.ID != m.ID || dl.Provider != "email" || dl.CorrelationID != "corr-1" || dl.Draft != in.Path {
		t.Errorf("Delivered = %+v, want path %s", dl, wantPath)
	}
	raw, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"direction: outbound", "status: pending", "retry_count: 0", "sent_at: null",
		"error_message: null", "created_at: \"2026-02-07T15:02:32.000Z\"", "schedule_at: \"2026-03-01T01:30:00.000Z\"",
		"next_retry_at: \"2026-03-01T01:30:00.000Z\""} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("message file lacks %q:\n%s", s, raw)
		}
	}
	if strings.Contains(string(raw), "+08:00") {
		t.Error("schedule_at kept its offset")
	}
}

func TestMinimalDraftDefaults(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	dr, errs := v.Parse(input("min.md", "---\nprovider: dingtalk\nto: ops\ncontent_type: markdown\n---\nBuild **#412** is green.\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	if m := dr.Msg; m.ContentType != "markdown" || len(m.To) != 1 || m.To[0] != "ops" || m.Options != nil || m.Cc != nil {
		t.Errorf("%+v", m)
	}
	dr, errs = v.Parse(input("plain.md", "---\nprovider: file\nto: someone\n---\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	if dr.Msg.ContentType != "text" || dr.Msg.Body != "" {
		t.Errorf("default content type %q, body %q", dr.Msg.ContentType, dr.Msg.Body)
	}
	// Optional fields left empty count as absent; card bodies may be JSON or YAML objects.
	for name, c := range map[string]string{
		"empty optional":  "---\nprovider: file\nto: x\nsubject:\nreply_to:\n---\nhi\n",
		"json card":       "---\nprovider: lark\nto: eng\ntype: card\n---\n{\"header\": {\"title\": \"x\"}}\n",
		"yaml card":       "---\nprovider: lark\nto: eng\ncontent_type: card\n---\nheader:\n  title: x\n",
		"crlf":            "---\r\nprovider: file\r\nto: x\r\n---\r\nhi\r\n",
		"byte order mark": "\ufeff---\nprovider: file\nto: x\n---\nhi\n",
		"email alias":     "---\nprovider: email\nto: [\"Ann <ann@example.com>\"]\n---\nhi\n",
	} {
		if _, errs := v.Parse(input("x.md", c)); errs != nil {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestProviderOverride(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	dr, errs := v.ParseAs(input("x.md", "---\nto: someone\n---\nhi\n"), "file")
	if errs != nil || dr.Msg.Provider != "file" {
		t.Fatalf("%v %+v", errs, dr)
	}
	if _, errs := v.ParseAs(input("x.md", "---\nprovider: dingtalk\nto: ops\n---\nhi\n"), "slack"); len(errs) != 1 || errs[0].Field != "provider" {
		t.Fatalf("override to an unconfigured provider: %v", errs)
	}
	mb := newMailbox(t)
	res, err := newDeliverer(t, mb).Deliver(context.Background(), []Input{input("x.md", "---\nprovider: dingtalk\nto: ops\n---\nhi\n")}, Options{Provider: "file"})
	if err != nil || len(res.Delivered) != 1 || res.Delivered[0].Provider != "file" || !strings.HasPrefix(res.Delivered[0].ID, "out_file_") {
		t.Fatalf("%v %+v", err, res)
	}
}

// TestAliasesAndFanout: channel aliases resolve (kept as the alias), other entries are kept verbatim,
// and several aliases on a fan-out provider become one message each.
func TestAliasesAndFanout(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	ins := []Input{
		input("a_fan.md", "---\nprovider: dingtalk\nto: [ops, dev, oc_123, oc_456]\n---\nhi all\n"),
		input("b_one.md", "---\nprovider: dingtalk\nto: ops\n---\njust ops\n"),
		input("c_ids.md", "---\nprovider: dingtalk\nto: [oc_1, oc_2]\n---\ntwo chat ids, default webhook\n"),
		input("d_mail.md", "---\nprovider: email\nto: [a@example.com, b@example.com]\n---\nno fan-out for email\n"),
	}
	res, err := d.Deliver(context.Background(), ins, Options{})
	if err != nil || len(res.Invalid) != 0 {
		t.Fatal(err, res.Invalid)
	}
	var got [][]string
	ids := map[string]bool{}
	var last time.Time
	corr := map[string]string{}
	for _, m := range outboundInOrder(t, mb) {
		got = append(got, append([]string{m.Source.Draft[len(draftDir):]}, m.To...))
		ids[m.ID] = true
		if !m.CreatedAt.After(last) {
			t.Errorf("created_at %v not after %v", m.CreatedAt, last)
		}
		last = m.CreatedAt.Time
		if c, ok := corr[m.Source.Draft]; ok && c != m.CorrelationID {
			t.Errorf("fan-out copies of %s have correlation ids %q and %q", m.Source.Draft, c, m.CorrelationID)
		}
		corr[m.Source.Draft] = m.CorrelationID
	}
	want := [][]string{
		{"a_fan.md", "ops"}, {"a_fan.md", "dev"}, {"a_fan.md", "oc_123", "oc_456"},
		{"b_one.md", "ops"},
		{"c_ids.md", "oc_1", "oc_2"},
		{"d_mail.md", "a@example.com", "b@example.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if len(ids) != len(want) || len(res.Delivered) != len(want) {
		t.Errorf("%d distinct ids, %d delivered; want %d", len(ids), len(res.Delivered), len(want))
	}
}

// outboundInOrder returns outbound messages ordered by created_at (the enqueue order).
func outboundInOrder(t *testing.T, mb *mailbox.Mailbox) []*mailbox.Message {
	ms := outbound(t, mb)
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].CreatedAt.Before(ms[j-1].CreatedAt.Time); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	return ms
}

func TestCorrelation(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	put := func(s mailbox.State, m *mailbox.Message) {
		dir, err := mb.EnsureDir(s, m.Provider)
		if err != nil {
			t.Fatal(err)
		}
		data, err := mailbox.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, mailbox.FileName(m)), string(data))
	}
	put(mailbox.Archive, &mailbox.Message{ID: "out_dingtalk_aaaaaaaaaaaa", Provider: "dingtalk", To: []string{"ops"},
		ContentType: "text", CorrelationID: "feat_FEAT-0001_20260101T000000Z", Direction: "outbound",
		CreatedAt: mailbox.At(t0.Add(-time.Hour)), Status: mailbox.StatusSent, ProviderMessageID: "pm-77"})
	put(mailbox.Inbound, &mailbox.Message{ID: "in_lark_123", Provider: "lark", To: []string{"bot"},
		ContentType: "text", CorrelationID: "thread-9", Direction: "inbound", CreatedAt: mailbox.At(t0.Add(-time.Minute))})
	// A broken inbound file is ignored, not fatal.
	if dir, err := mb.EnsureDir(mailbox.Inbound, "slack"); err == nil {
		writeFile(t, filepath.Join(dir, "20260101T000000_in_broken.md"), "not a message")
	}
	d := newDeliverer(t, mb)
	cases := []struct{ name, front, want string }{
		{"a_archive_id.md", "reply_to: out_dingtalk_aaaaaaaaaaaa", "feat_FEAT-0001_20260101T000000Z"},
		{"b_archive_pmid.md", "reply_to: pm-77", "feat_FEAT-0001_20260101T000000Z"},
		{"c_inbound.md", "reply_to: in_lark_123", "thread-9"},
		{"d_unknown.md", "reply_to: nobody", "feat_FEAT-0172_20260207T150232Z"},
		{"e_kept.md", "reply_to: in_lark_123\ncorrelation_id: mine", "mine"},
		{"f_none.md", "subject: fresh", "feat_FEAT-0172_20260207T150232Z"},
	}
	var ins []Input
	for _, c := range cases {
		ins = append(ins, input(c.name, "---\nprovider: dingtalk\nto: ops\n"+c.front+"\n---\nhi\n"))
	}
	ins = append(ins, Input{Path: "Issues/Fixes/work/FIX-0003/drafts/g.md", Content: []byte("---\nprovider: file\nto: x\n---\nhi\n")},
		Input{Path: "notes/loose.md", Content: []byte("---\nprovider: file\nto: x\n---\nhi\n")})
	d.Info.Item = Item{} // the draft's own directory decides the item; a loose draft has none
	res, err := d.Deliver(context.Background(), ins, Options{})
	if err != nil || len(res.Invalid) != 0 {
		t.Fatal(err, res.Invalid)
	}
	got := map[string]string{}
	items := map[string]string{}
	for _, m := range outbound(t, mb) {
		got[filepath.Base(m.Source.Draft)] = m.CorrelationID
		items[filepath.Base(m.Source.Draft)] = m.Source.Item
	}
	for _, c := range cases {
		if got[c.name] != c.want {
			t.Errorf("%s: correlation_id %q, want %q", c.name, got[c.name], c.want)
		}
	}
	if got["g.md"] != "fix_FIX-0003_20260207T150232Z" || items["g.md"] != "FIX-0003" {
		t.Errorf("draft of FIX-0003: correlation %q item %q", got["g.md"], items["g.md"])
	}
	if got["loose.md"] != "draft_loose_20260207T150232Z" || items["loose.md"] != "" {
		t.Errorf("loose draft: correlation %q item %q", got["loose.md"], items["loose.md"])
	}
}
