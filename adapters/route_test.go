package adapters

import (
	"strings"
	"testing"
	"time"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	type ch struct{ hook, secret string }
	chans := map[string]ch{"ops": {"https://ops", "s1"}, "dev": {"https://dev", ""}}
	def := ch{"https://default", "s0"}
	tests := []struct {
		name   string
		to     []string
		hasDef bool
		want   ch
		perm   string // non-empty: a permanent failure containing this
	}{
		{"alias", []string{"ops"}, true, chans["ops"], ""},
		{"alias without default", []string{"dev"}, false, chans["dev"], ""},
		{"repeated alias", []string{"ops", "ops"}, true, chans["ops"], ""},
		{"alias among chat ids", []string{"cid-1", "ops"}, true, chans["ops"], ""},
		{"chat id uses default", []string{"cid-1"}, true, def, ""},
		{"no default", []string{"cid-1"}, false, ch{}, `to "cid-1" is not a configured channel and no default webhook is set`},
		{"two aliases", []string{"ops", "dev"}, true, ch{}, "several channels (dev, ops)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Route("p", "webhook", tc.to, chans, def, tc.hasDef)
			if tc.perm != "" {
				if !IsPermanent(err) || !strings.HasPrefix(err.Error(), "p: ") || !strings.Contains(err.Error(), tc.perm) {
					t.Fatalf("Route = %v, want a permanent failure with %q", err, tc.perm)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Route = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestThrottleWait(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value, def string
		want       time.Duration
		bad        bool
	}{
		{"", "10m", 10 * time.Minute, false},
		{"90s", "10m", 90 * time.Second, false},
		{"soon", "1m", 0, true},
		{"0s", "1m", 0, true},
		{"-1m", "1m", 0, true},
	} {
		got, err := ThrottleWait(tc.value, tc.def)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ThrottleWait(%q, %q) = %v, %v", tc.value, tc.def, got, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "throttle_wait: ") {
			t.Errorf("error %q does not name the setting", err)
		}
	}
}
