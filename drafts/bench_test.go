package drafts

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
)

// BenchmarkDeliver1000 validates, stamps and enqueues 1,000 drafts into a fresh mailbox per
// iteration (issue 2 goal: ≤ 1.5 s per iteration on 2 cores). The schema is compiled once.
func BenchmarkDeliver1000(b *testing.B) { benchDeliver(b, Options{}) }

// BenchmarkDryRun1000 is the same without the disk: validation and stamping only.
func BenchmarkDryRun1000(b *testing.B) { benchDeliver(b, Options{DryRun: true}) }

func benchDeliver(b *testing.B, o Options) {
	v := newValidator(b)
	ins := make([]Input, 1000)
	for i := range ins {
		ins[i] = input(fmt.Sprintf("d%04d.md", i), fmt.Sprintf(
			"---\nprovider: dingtalk\nto: [ops]\nsubject: Build %d\ncontent_type: markdown\nreply_to: nobody\n"+
				"mentions: [{type: user, target: \"13800000000\"}]\noptions: {schedule_at: \"2026-03-01T09:30:00+08:00\"}\n"+
				"metadata: {build: %d}\n---\nBuild **#%d** is green.\n", i, i, i))
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		mb, err := mailbox.Open(filepath.Join(b.TempDir(), "mailbox"))
		if err != nil {
			b.Fatal(err)
		}
		d := &Deliverer{Mailbox: mb, Validator: v, Now: clock(t0, 0), Info: StampInfo{Branch: "feat/FEAT-0172"}}
		b.StartTimer()
		res, err := d.Deliver(context.Background(), ins, o)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Delivered) != len(ins) {
			b.Fatalf("delivered %d of %d: %v", len(res.Delivered), len(ins), res.Invalid)
		}
	}
}

// BenchmarkParse is validation alone, per draft.
func BenchmarkParse(b *testing.B) {
	v := newValidator(b)
	in := input("full.md", fullDraft)
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := v.Parse(in); errs != nil {
			b.Fatal(errs)
		}
	}
}
