package adapters

import (
	"strings"
	"testing"
	"time"
)

func TestRoute(t *testing.T) {
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

func TestRobotValidate(t *testing.T) {
	type ch struct{ hook string }
	hook := func(c ch) string { return c.hook }
	secret := "https://robot.example/send?access_token=tok-SECRET"
	for _, tc := range []struct {
		name string
		r    Robot[ch]
		want string // "" → valid
		wait time.Duration
	}{
		{"nothing", Robot[ch]{Provider: "p", Hook: hook}, "p: webhook: required (or at least one channel)", 0},
		{"default only", Robot[ch]{Provider: "p", Webhook: "https://robot.example/x", Hook: hook, DefaultWait: "1m"}, "", time.Minute},
		{"channels only", Robot[ch]{Provider: "p", Channels: map[string]ch{"ops": {"http://127.0.0.1:1/x"}}, Hook: hook, ThrottleWait: "5s", DefaultWait: "1m"}, "", 5 * time.Second},
		{"http default", Robot[ch]{Provider: "p", Webhook: "http://robot.example/x?access_token=tok-SECRET", Hook: hook}, "p: webhook: ", 0},
		{"bad channel", Robot[ch]{Provider: "p", Webhook: secret, Channels: map[string]ch{"a": {"https://ok.example"}, "b": {"ftp://x"}}, Hook: hook}, "p: channels.b.webhook: ", 0},
		{"custom check", Robot[ch]{Provider: "p", Webhook: secret, Hook: hook, CheckURL: func(string) error { return Permanent("retired") }}, "p: webhook: retired", 0},
		{"bad wait", Robot[ch]{Provider: "p", Webhook: secret, Hook: hook, ThrottleWait: "soon"}, "p: ", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.r.Validate()
			if tc.want == "" {
				if err != nil || d != tc.wait {
					t.Fatalf("Validate = %v, %v; want %v, nil", d, err, tc.wait)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate error %v, want prefix %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "tok-SECRET") {
				t.Errorf("error echoes a secret: %v", err)
			}
		})
	}
}
