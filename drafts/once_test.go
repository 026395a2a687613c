package drafts

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
)

const hello = "---\nprovider: dingtalk\nto: ops\n---\nhello\n"

func deliver(t *testing.T, d *Deliverer, o Options, ins ...Input) *Result {
	t.Helper()
	res, err := d.Deliver(context.Background(), ins, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDeliverTwiceEnqueuesOnce(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	in := input("reply.md", hello)
	first := deliver(t, d, Options{}, in)
	if len(first.Delivered) != 1 {
		t.Fatalf("first run: %+v", first)
	}
	second := deliver(t, d, Options{}, in)
	if len(second.Delivered) != 0 || len(second.Skipped) != 1 ||
		second.Skipped[0].Reason != "already delivered as "+first.Delivered[0].ID {
		t.Fatalf("second run: %+v", second)
	}
	if n := len(outbound(t, mb)); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
	// The watcher archiving the message does not make it deliverable again.
	archiveAll(t, mb)
	if res := deliver(t, d, Options{}, in); len(res.Delivered) != 0 {
		t.Fatalf("after archive: %+v", res)
	}

	// Changed content is a new version.
	changed := input("reply.md", hello+"more\n")
	if res := deliver(t, d, Options{}, changed); len(res.Delivered) != 1 || res.Delivered[0].ID == first.Delivered[0].ID {
		t.Fatalf("changed content: %+v", res)
	}
	// Force delivers the same version again, under a new id.
	forced := deliver(t, d, Options{Force: true}, in)
	if len(forced.Delivered) != 1 || forced.Delivered[0].ID == first.Delivered[0].ID {
		t.Fatalf("force: %+v", forced)
	}
	if n := len(outbound(t, mb)); n != 2 {
		t.Fatalf("%d messages in outbound, want 2 (changed + forced)", n)
	}
	// And the ledger now names the forced id.
	if res := deliver(t, d, Options{}, in); len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, forced.Delivered[0].ID) {
		t.Fatalf("after force: %+v", res)
	}
}

// TestSameDraftTwiceInOneRun: a draft named twice in one run (`deliver d.md ./d.md`) is one draft
// version: delivered once, with or without --force.
func TestSameDraftTwiceInOneRun(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{}, {Force: true}} {
		mb := newMailbox(t)
		in := input("reply.md", hello)
		res := deliver(t, newDeliverer(t, mb), o, in, in)
		if n := len(outbound(t, mb)); len(res.Delivered) != 1 || n != 1 {
			t.Errorf("force=%v: reported %+v, %d messages enqueued; want 1 and 1", o.Force, res.Delivered, n)
		}
	}
}

func archiveAll(t *testing.T, mb *mailbox.Mailbox) {
	t.Helper()
	ents, err := mb.List(mailbox.Outbound)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		dir, err := mb.EnsureDir(mailbox.Archive, e.Provider)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(e.Path, filepath.Join(dir, e.Name)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	in := input("reply.md", hello)
	dry := deliver(t, d, Options{DryRun: true}, in)
	if len(dry.Delivered) != 1 {
		t.Fatalf("dry run: %+v", dry)
	}
	if n := len(outbound(t, mb)); n != 0 {
		t.Fatalf("dry run enqueued %d", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(mb.StateDir(), "ledger")); len(ents) != 0 {
		t.Fatalf("dry run wrote %d ledger entries", len(ents))
	}
	actual := deliver(t, d, Options{}, in)
	if len(actual.Delivered) != 1 || actual.Delivered[0] != dry.Delivered[0] {
		t.Fatalf("dry run reported %+v, the actual run did %+v", dry.Delivered, actual.Delivered)
	}
	if dry := deliver(t, d, Options{DryRun: true}, in); len(dry.Delivered) != 0 || len(dry.Skipped) != 1 {
		t.Fatalf("dry run after delivery: %+v", dry)
	}
}

func TestMixedRun(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	res := deliver(t, d, Options{},
		input("c.md", hello),
		input("a.md", "---\nprovider: dingtalkk\nto: ops\n---\nbad\n"),
		input("b.md", "---\nprovider: file\nto: me\n---\nfine\n"),
		input("d.md", "---\nto: ops\n---\nno provider\n"))
	if len(res.Delivered) != 2 || len(res.Invalid) != 2 {
		t.Fatalf("%+v %v", res, res.Invalid)
	}
	if res.Delivered[0].Draft != draftDir+"b.md" || res.Delivered[1].Draft != draftDir+"c.md" {
		t.Errorf("not in path order: %+v", res.Delivered)
	}
	if res.Invalid[0].File != draftDir+"a.md" || res.Invalid[1].File != draftDir+"d.md" {
		t.Errorf("invalid: %v", res.Invalid)
	}
	if n := len(outbound(t, mb)); n != 2 {
		t.Errorf("%d enqueued, want 2", n)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"delivered":[{"draft":`, `"id":`, `"provider":`, `"correlation_id":`, `"path":`,
		`"skipped":[]`, `"invalid":[{"draft":"` + draftDir + `a.md","line":2,"field":"provider","message":`} {
		if !strings.Contains(string(out), k) {
			t.Errorf("--json shape: %s lacks %s", out, k)
		}
	}
}

// TestCrashAfterIntent: a run that recorded its intent and died before enqueueing leaves the draft
// deliverable; the next run enqueues it exactly once, under the recorded id.
func TestCrashAfterIntent(t *testing.T) {
	t.Parallel()
	for _, fan := range []bool{false, true} {
		t.Run(fmt.Sprintf("fanout=%v", fan), func(t *testing.T) {
			mb := newMailbox(t)
			d := newDeliverer(t, mb)
			in := input("reply.md", hello)
			if fan {
				in = input("reply.md", "---\nprovider: dingtalk\nto: [ops, dev]\n---\nhello\n")
			}
			in.Blob = BlobID(in.Content)
			plan := deliver(t, d, Options{DryRun: true, Force: true}, in) // random ids, like a --force run
			e := &mailbox.LedgerEntry{Draft: in.Path, Blob: in.Blob}
			for _, dl := range plan.Delivered {
				e.Files = append(e.Files, dl.Provider+"/"+filepath.Base(dl.Path))
				e.IDs = append(e.IDs, dl.ID)
			}
			if err := mb.RecordLedger(e); err != nil {
				t.Fatal(err)
			}
			if fan { // the crashed run got as far as the first message
				d.Now = clock(t0.Add(1e9), 0)
				m := plan.Delivered[0]
				dr, _ := d.Validator.Parse(in)
				msgs, err := (&stamper{mb: mb, patterns: DefaultPatterns(), providers: testConfig().Providers, info: d.Info}).stamp(dr, t0, false)
				if err != nil {
					t.Fatal(err)
				}
				msgs[0].ID = m.ID
				if _, err := mb.Enqueue(msgs[0]); err != nil {
					t.Fatal(err)
				}
			}
			d.Now = clock(t0.Add(3e9), 0) // the next run is later; the recorded names still win
			res := deliver(t, d, Options{}, in)
			got := outbound(t, mb)
			if len(got) != len(plan.Delivered) {
				t.Fatalf("%d messages, want %d: %+v", len(got), len(plan.Delivered), res)
			}
			for _, m := range got {
				if !contains(e.IDs, m.ID) {
					t.Errorf("message %s is not one of the recorded ids %v", m.ID, e.IDs)
				}
			}
			wantNew := len(plan.Delivered)
			if fan {
				wantNew--
			}
			if len(res.Delivered) != wantNew {
				t.Errorf("recovery delivered %d, want %d: %+v", len(res.Delivered), wantNew, res)
			}
			if l, _ := mb.Ledger(in.Path, in.Blob); l == nil || !l.Done {
				t.Errorf("ledger not marked done: %+v", l)
			}
			if res := deliver(t, d, Options{}, in); len(res.Delivered) != 0 || len(outbound(t, mb)) != len(plan.Delivered) {
				t.Errorf("third run: %+v", res)
			}
		})
	}
}

// TestCrashAfterEnqueue: a run that enqueued and died before marking done; the next run enqueues
// nothing new (even when the watcher has archived the message meanwhile) and marks the entry done.
func TestCrashAfterEnqueue(t *testing.T) {
	t.Parallel()
	for _, archived := range []bool{false, true} {
		t.Run(fmt.Sprintf("archived=%v", archived), func(t *testing.T) {
			mb := newMailbox(t)
			d := newDeliverer(t, mb)
			in := input("reply.md", hello)
			in.Blob = BlobID(in.Content)
			first := deliver(t, d, Options{}, in)
			e, err := mb.Ledger(in.Path, in.Blob)
			if err != nil || e == nil || !e.Done {
				t.Fatalf("ledger after delivery: %+v %v", e, err)
			}
			e.Done = false
			if err := mb.RecordLedger(e); err != nil {
				t.Fatal(err)
			}
			if archived {
				archiveAll(t, mb)
			}
			before, _ := mb.List()
			d.Now = clock(t0.Add(5e9), 0)
			res := deliver(t, d, Options{}, in)
			after, _ := mb.List()
			if len(res.Delivered) != 0 || len(after) != len(before) || len(before) != 1 {
				t.Fatalf("recovery enqueued again: %+v; files %d → %d", res, len(before), len(after))
			}
			if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, first.Delivered[0].ID) {
				t.Errorf("skipped: %+v", res.Skipped)
			}
			if l, _ := mb.Ledger(in.Path, in.Blob); l == nil || !l.Done {
				t.Errorf("ledger not marked done: %+v", l)
			}
		})
	}
}

// TestConcurrentGoroutines: several deliverers (separate Mailbox values on one directory) delivering
// the same drafts at once enqueue exactly one message per draft version.
func TestConcurrentGoroutines(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "mailbox")
	ins := concurrentInputs()
	const n = 8
	var wg sync.WaitGroup
	delivered := make([]int, n)
	errs := make([]error, n)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mb, err := mailbox.Open(root)
			if err != nil {
				errs[g] = err
				return
			}
			d := newDeliverer(t, mb)
			res, err := d.Deliver(context.Background(), ins, Options{})
			errs[g] = err
			if res != nil {
				delivered[g] = len(res.Delivered)
			}
		}()
	}
	wg.Wait()
	total := 0
	for g := range n {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		total += delivered[g]
	}
	mb, _ := mailbox.Open(root)
	checkOnePerVersion(t, mb, ins, total)
}

func concurrentInputs() []Input {
	var ins []Input
	for i := range 6 {
		ins = append(ins, input(fmt.Sprintf("d%02d.md", i), fmt.Sprintf("---\nprovider: dingtalk\nto: ops\n---\nmessage %d\n", i)))
	}
	return ins
}

func checkOnePerVersion(t *testing.T, mb *mailbox.Mailbox, ins []Input, reported int) {
	t.Helper()
	per := map[string]int{}
	for _, m := range outbound(t, mb) {
		per[m.Source.Draft+"@"+m.Source.DraftBlob]++
	}
	for _, in := range ins {
		if k := in.Path + "@" + BlobID(in.Content); per[k] != 1 {
			t.Errorf("%s: %d messages, want 1", in.Path, per[k])
		}
	}
	if len(per) != len(ins) || reported != len(ins) {
		t.Errorf("%d versions enqueued, %d reported delivered; want %d", len(per), reported, len(ins))
	}
}

// helperEnv selects the helper-process mode of TestDeliverHelperProcess.
const helperEnv = "COURIER_DRAFTS_HELPER_MAILBOX"

// TestDeliverHelperProcess is not a test on its own: run by TestConcurrentProcesses in a child
// process, it delivers concurrentInputs into the mailbox named by $COURIER_DRAFTS_HELPER_MAILBOX
// and prints how many messages it enqueued.
func TestDeliverHelperProcess(t *testing.T) {
	t.Parallel()
	root := os.Getenv(helperEnv)
	if root == "" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	mb, err := mailbox.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newDeliverer(t, mb).Deliver(context.Background(), concurrentInputs(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("DELIVERED %d\n", len(res.Delivered))
}

// TestConcurrentProcesses: several processes delivering the same drafts into one mailbox at once
// enqueue exactly one message per draft version.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	root := filepath.Join(t.TempDir(), "mailbox")
	if _, err := mailbox.Open(root); err != nil {
		t.Fatal(err)
	}
	const n = 4
	cmds := make([]*exec.Cmd, n)
	outs := make([]strings.Builder, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDeliverHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+root)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		cmds[i] = cmd
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i].String())
		}
		var k int
		if _, err := fmt.Sscanf(outs[i].String()[strings.Index(outs[i].String(), "DELIVERED"):], "DELIVERED %d", &k); err != nil {
			t.Fatalf("helper %d output: %q", i, outs[i].String())
		}
		total += k
	}
	mb, _ := mailbox.Open(root)
	checkOnePerVersion(t, mb, concurrentInputs(), total)
}

func TestDeliverCancelled(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newDeliverer(t, mb).Deliver(ctx, []Input{input("a.md", hello)}, Options{}); err == nil {
		t.Fatal("no error from a cancelled context")
	}
	if n := len(outbound(t, mb)); n != 0 {
		t.Fatalf("%d enqueued after cancel", n)
	}
}

// TestCrashAfterIntentKeepsPathOrder: intents are recorded in parallel, so a crash may leave b.md's
// intent recorded and a.md's not. If nothing of b.md reached the mailbox, the next run delivers it
// under its recorded id but with this run's times: a.md still comes before b.md (docs/protocol.md, "Ledger": drafts
// are enqueued in path order).
func TestCrashAfterIntentKeepsPathOrder(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	a, b := input("a.md", hello), input("b.md", "---\nprovider: file\nto: local\n---\nbee\n")
	a.Blob, b.Blob = BlobID(a.Content), BlobID(b.Content)
	d.Now = clock(t0, 0)
	plan := deliver(t, d, Options{DryRun: true}, b)
	dl := plan.Delivered[0]
	e := &mailbox.LedgerEntry{Draft: b.Path, Blob: b.Blob, IDs: []string{dl.ID},
		Files: []string{dl.Provider + "/" + filepath.Base(dl.Path)}, Created: []mailbox.Time{mailbox.At(t0)}}
	if err := mb.RecordLedger(e); err != nil {
		t.Fatal(err)
	}
	d.Now = clock(t0.Add(3e9), 0)
	res := deliver(t, d, Options{}, a, b)
	if len(res.Delivered) != 2 {
		t.Fatalf("delivered %+v, want both drafts", res.Delivered)
	}
	got := outbound(t, mb)
	byDraft := map[string]*mailbox.Message{}
	for _, m := range got {
		byDraft[m.Source.Draft] = m
	}
	ma, mbb := byDraft[a.Path], byDraft[b.Path]
	if len(got) != 2 || ma == nil || mbb == nil {
		t.Fatalf("outbound %+v", got)
	}
	if mbb.ID != dl.ID {
		t.Errorf("b.md enqueued as %s, want the recorded id %s", mbb.ID, dl.ID)
	}
	if !ma.CreatedAt.Before(mbb.CreatedAt.Time) {
		t.Errorf("created_at a.md %s, b.md %s: want a.md first (path order)", ma.CreatedAt, mbb.CreatedAt)
	}
	if l, _ := mb.Ledger(b.Path, b.Blob); l == nil || !l.Done {
		t.Errorf("b.md's ledger entry not done: %+v", l)
	}
}
