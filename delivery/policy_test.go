package delivery

import (
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"", Rate{}, true},
		{"20/min", Rate{20, time.Minute}, true},
		{"5/s", Rate{5, time.Second}, true},
		{"100/h", Rate{100, time.Hour}, true},
		{" 1 / sec ", Rate{1, time.Second}, true},
		{"0/s", Rate{}, false},
		{"-1/s", Rate{}, false},
		{"5", Rate{}, false},
		{"5/day", Rate{}, false},
		{"x/min", Rate{}, false},
	} {
		got, err := ParseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && tc.in != "" && got.String() == "" {
			t.Errorf("%v.String() is empty", got)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {8, 10*time.Minute + 40*time.Second}, {9, 15 * time.Minute}, {50, 15 * time.Minute}} {
		if got := p.Ceiling(tc.n); got != tc.want {
			t.Errorf("Ceiling(%d) = %s, want %s", tc.n, got, tc.want)
		}
		lo, hi := tc.want/2, tc.want
		seen := map[bool]bool{}
		for range 200 {
			d := p.Backoff(tc.n)
			if d < lo || d > hi {
				t.Fatalf("Backoff(%d) = %s outside [%s, %s]", tc.n, d, lo, hi)
			}
			seen[d < lo+(hi-lo)/2] = true
		}
		if len(seen) != 2 {
			t.Errorf("Backoff(%d) shows no jitter", tc.n)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	mb, err := mailbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(mb, Config{Providers: map[string]Provider{"x": {Sender: newScripted()}}})
	if err != nil {
		t.Fatal(err)
	}
	c := w.cfg
	if c.Interval != 5*time.Second || c.SendTimeout != 30*time.Second || c.ShutdownGrace != 10*time.Second ||
		c.Concurrency != 4 || c.Retry != DefaultRetryPolicy() || c.Providers["x"].ThrottleWait != time.Minute {
		t.Errorf("defaults: %+v", c)
	}
	if _, err := New(mb, Config{Providers: map[string]Provider{"x": {}}}); err == nil {
		t.Error("provider without a sender accepted")
	}
	if _, err := New(mb, Config{Providers: map[string]Provider{"../x": {Sender: newScripted()}}}); err == nil {
		t.Error("invalid provider name accepted")
	}
}
