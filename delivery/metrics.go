package delivery

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// durationBuckets are the upper bounds (seconds) of the send-duration histogram.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

// metrics are the watcher's counters since the process started. Safe for concurrent use.
//
// The exposition is written here rather than with github.com/VictoriaMetrics/metrics: that package
// runs package initialisation in every courier process (git hooks included) that reads
// /proc/self/cgroup, statfs's the cgroup mounts and opens PSI files (about 1 ms, 162 allocations),
// keeps global registries, and writes HELP and TYPE lines only behind a global switch.
type metrics struct {
	mu      sync.Mutex
	sentN   map[string]uint64
	failedN map[string]uint64
	retries uint64
	hist    map[string]*histogram
}

func newMetrics() *metrics {
	return &metrics{sentN: map[string]uint64{}, failedN: map[string]uint64{}, hist: map[string]*histogram{}}
}

func (m *metrics) observe(provider string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.hist[provider]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets))}
		m.hist[provider] = h
	}
	s := d.Seconds()
	for i, b := range durationBuckets {
		if s <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += s
	h.count++
}

func (m *metrics) sent(provider string) {
	m.mu.Lock()
	m.sentN[provider]++
	m.mu.Unlock()
}

func (m *metrics) failed(provider string) {
	m.mu.Lock()
	m.failedN[provider]++
	m.mu.Unlock()
}

func (m *metrics) retry() {
	m.mu.Lock()
	m.retries++
	m.mu.Unlock()
}

// write prints the Prometheus text exposition format (version 0.0.4): the message gauges by state
// (counted from the mailbox by the caller), then the counters and the histogram.
func (m *metrics) write(out io.Writer, states map[string]int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ew := &errWriter{w: out}
	ew.printf("# HELP courier_messages Messages in the mailbox by state.\n# TYPE courier_messages gauge\n")
	for _, s := range []string{StatePending, StateSending, StateSent, StateFailed} {
		ew.printf("courier_messages{state=%q} %d\n", s, states[s])
	}
	ew.printf("# HELP courier_retries_total Sends deferred for a later attempt (transient failure or rate limit).\n")
	ew.printf("# TYPE courier_retries_total counter\ncourier_retries_total %d\n", m.retries)
	ew.printf("# HELP courier_sent_total Messages sent and archived.\n# TYPE courier_sent_total counter\n")
	for _, p := range slices.Sorted(maps.Keys(m.sentN)) {
		ew.printf("courier_sent_total{provider=%q} %d\n", p, m.sentN[p])
	}
	ew.printf("# HELP courier_failed_total Messages dead-lettered.\n# TYPE courier_failed_total counter\n")
	for _, p := range slices.Sorted(maps.Keys(m.failedN)) {
		ew.printf("courier_failed_total{provider=%q} %d\n", p, m.failedN[p])
	}
	ew.printf("# HELP courier_send_duration_seconds Duration of one send attempt.\n")
	ew.printf("# TYPE courier_send_duration_seconds histogram\n")
	for _, p := range slices.Sorted(maps.Keys(m.hist)) {
		h := m.hist[p]
		var cum uint64
		for i, b := range durationBuckets {
			cum += h.counts[i]
			ew.printf("courier_send_duration_seconds_bucket{provider=%q,le=%q} %d\n", p,
				strconv.FormatFloat(b, 'g', -1, 64), cum)
		}
		ew.printf("courier_send_duration_seconds_bucket{provider=%q,le=\"+Inf\"} %d\n", p, h.count)
		ew.printf("courier_send_duration_seconds_sum{provider=%q} %s\n", p, strconv.FormatFloat(h.sum, 'g', -1, 64))
		ew.printf("courier_send_duration_seconds_count{provider=%q} %d\n", p, h.count)
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
