package delivery

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// httpSender is a minimal provider for benchmarks and order tests: it POSTs the message id and body to
// url and wants a 200 (5xx is transient, anything else permanent), like a webhook adapter.
type httpSender struct {
	client *http.Client
	url    string
}

func (s httpSender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader([]byte(m.ID+"\n"+m.Body)))
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, mailbox.ErrPermanent)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	switch {
	case resp.StatusCode == http.StatusOK:
		return "", nil
	case resp.StatusCode >= 500:
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	default:
		return "", fmt.Errorf("HTTP %d: %w", resp.StatusCode, mailbox.ErrPermanent)
	}
}

// recordingServer is an httptest server that records the id of every request it answers 200, in
// arrival order; fail, when set, picks the status for a request (0 or 200: accept).
type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	ids  []string
	fail func(id string) int
}

func newRecordingServer(tb testing.TB) *recordingServer {
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		id, _, _ := bytes.Cut(b, []byte("\n"))
		rs.mu.Lock()
		code := 0
		if rs.fail != nil {
			code = rs.fail(string(id))
		}
		if code == 0 || code == http.StatusOK {
			rs.ids = append(rs.ids, string(id))
			code = http.StatusOK
		}
		rs.mu.Unlock()
		w.WriteHeader(code)
	}))
	tb.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) accepted() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.ids...)
}

func (rs *recordingServer) sender() httpSender {
	return httpSender{client: &http.Client{Timeout: 10 * time.Second}, url: rs.URL}
}

// BenchmarkDrainOneChannel sends b.N messages to one channel (one at a time, in enqueue order) through
// a real HTTP server, and measures the fsync floor (BenchmarkFsyncFloor's atomic write) in the same
// run: ratio = msgs/s ÷ floor writes/s (goal ≥ 0.5).
func BenchmarkDrainOneChannel(b *testing.B) {
	mb := benchMailbox(b)
	now := time.Now().Add(-time.Minute)
	for i := range b.N {
		if _, err := mb.Enqueue(benchMessage(i, "ops", now)); err != nil {
			b.Fatal(err)
		}
	}
	rs := newRecordingServer(b)
	w, err := New(mb, Config{Concurrency: 8, Providers: map[string]Provider{"bench": {Sender: rs.sender()}}})
	if err != nil {
		b.Fatal(err)
	}
	groups := 0
	w.beforeArchive = func() { groups++ } // on the archiver goroutine only; read after Once returns
	b.ResetTimer()
	start := time.Now()
	sum, err := w.Once(context.Background())
	el := time.Since(start)
	b.StopTimer()
	if err != nil || sum.Sent != b.N || len(rs.accepted()) != b.N {
		b.Fatalf("Once: %+v %v, server saw %d", sum, err, len(rs.accepted()))
	}
	rate := float64(b.N) / el.Seconds()
	floor := fsyncFloor(b, b.N)
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(floor, "floor_writes/s")
	b.ReportMetric(rate/floor, "ratio")
	b.ReportMetric(float64(b.N)/float64(max(groups, 1)), "msgs/group")
}

// fsyncFloor times n atomic writes (temp file, fsync, rename, directory fsync), at least 50, and
// returns writes per second.
func fsyncFloor(b *testing.B, n int) float64 {
	n = max(n, 50)
	dir := b.TempDir()
	data, _ := mailbox.Marshal(benchMessage(1, "ch", time.Now()))
	start := time.Now()
	for i := range n {
		if err := mailbox.WriteFileAtomic(dir, filepath.Join(dir, fmt.Sprintf("m%d.md", i)), data); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
