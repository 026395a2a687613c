package delivery

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Benchmarks (performance lives here, never in timed assertions). Run with
//
//	go test -run '^$' -bench . ./delivery/
//
// BenchmarkDrain vs BenchmarkFsyncFloor: goal drain ≥ 0.5 × floor. BenchmarkDrainOneChannel (one
// channel, through an httptest server) reports its ratio to the floor measured in the same run, and
// msgs/group (archive records per group commit): goal ratio ≥ 0.5. BenchmarkLatency: enqueue → Send
// called, goal p50 ≤ 50ms, p99 ≤ 250ms. BenchmarkIdle: RSS and CPU with COURIER_BENCH_IDLE deferred
// messages (e.g. COURIER_BENCH_IDLE=100000; skipped when unset), goal ≤ 150MB and CPU near zero.

type okSender struct{ called chan time.Time }

func (s okSender) Send(context.Context, *mailbox.Message) (string, error) {
	if s.called != nil {
		s.called <- time.Now()
	}
	return "", nil
}

func benchMessage(i int, to string, now time.Time) *mailbox.Message {
	return &mailbox.Message{ID: fmt.Sprintf("out_bench_%012x", i), Provider: "bench", To: []string{to},
		ContentType: "markdown", CorrelationID: "feat_FEAT-0001_20260207T150000Z", Direction: "outbound",
		CreatedAt: mailbox.At(now.Add(time.Duration(i) * time.Millisecond)), Status: mailbox.StatusPending,
		Body: "# Build finished\n\nAll " + strconv.Itoa(i) + " checks passed. " + strings.Repeat("lorem ipsum ", 30) + "\n"}
}

func benchMailbox(b *testing.B) *mailbox.Mailbox {
	mb, err := mailbox.Open(filepath.Join(b.TempDir(), "mailbox"))
	if err != nil {
		b.Fatal(err)
	}
	return mb
}

func BenchmarkDrain(b *testing.B) {
	mb := benchMailbox(b)
	now := time.Now().Add(-time.Minute)
	for i := range b.N {
		if _, err := mb.Enqueue(benchMessage(i, fmt.Sprintf("ch%d", i%64), now)); err != nil {
			b.Fatal(err)
		}
	}
	w, err := New(mb, Config{Concurrency: 8, Providers: map[string]Provider{"bench": {Sender: okSender{}}}})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	sum, err := w.Once(context.Background())
	el := time.Since(start)
	b.StopTimer()
	if err != nil || sum.Sent != b.N {
		b.Fatalf("Once: %+v %v", sum, err)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
}

func BenchmarkFsyncFloor(b *testing.B) {
	dir := b.TempDir()
	data, _ := mailbox.Marshal(benchMessage(1, "ch", time.Now()))
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := mailbox.WriteFileAtomic(dir, filepath.Join(dir, fmt.Sprintf("m%d.md", i)), data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
}

func BenchmarkLatency(b *testing.B) {
	mb := benchMailbox(b)
	called := make(chan time.Time, 1)
	w, err := New(mb, Config{Interval: time.Hour, Providers: map[string]Provider{"bench": {Sender: okSender{called: called}}}})
	if err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{})
	w.onReady = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-ready
	lat := make([]time.Duration, 0, b.N)
	now := time.Now().Add(-time.Minute)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := mb.Enqueue(benchMessage(i, "ch", now)); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-called:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Fatal("message not sent within 10s")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.5), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
}

// BenchmarkIdle indexes COURIER_BENCH_IDLE deferred messages, then reports the process RSS and the CPU
// it burns while idle for 10s (a rescan every 1s, so ten rescans). It runs once whatever b.N is.
func BenchmarkIdle(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("COURIER_BENCH_IDLE"))
	if n <= 0 {
		b.Skip("set COURIER_BENCH_IDLE=100000 to run")
	}
	mb := benchMailbox(b)
	sealer, err := mb.Sealer()
	if err != nil {
		b.Fatal(err)
	}
	dir, _ := mb.EnsureDir(mailbox.Outbound, "bench")
	now := time.Now()
	for i := range n {
		m := benchMessage(i, fmt.Sprintf("ch%d", i%100), now.Add(-time.Hour))
		m.NextRetryAt = mailbox.Ptr(now.Add(24 * time.Hour))
		sealer.Seal(m)
		data, _ := mailbox.Marshal(m)
		if err := os.WriteFile(filepath.Join(dir, mailbox.FileName(m)), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	w, err := New(mb, Config{Interval: time.Second, Providers: map[string]Provider{"bench": {Sender: okSender{}}}})
	if err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{})
	w.onReady = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { w.Run(ctx); close(done) }()
	<-ready
	indexed := time.Since(start)
	runtime.GC()
	debug.FreeOSMemory()
	cpu0 := cpuTime()
	time.Sleep(10 * time.Second)
	idleCPU := cpuTime() - cpu0
	rss := rssMB()
	cancel()
	<-done
	b.ReportMetric(float64(n), "messages")
	b.ReportMetric(indexed.Seconds(), "index_s")
	b.ReportMetric(rss, "rss_MB")
	b.ReportMetric(float64(idleCPU)/float64(time.Millisecond)/10, "idle_cpu_ms/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMB is VmRSS from /proc/self/status (0 where there is no /proc).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
