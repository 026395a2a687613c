package adapters

import (
	"strings"
	"testing"
	"time"
)

// TestNewRobotValidates: a robot section needs a default webhook or a channel, every URL accepted
// and throttle_wait a duration; errors name the setting and never echo a secret.
func TestNewRobotValidates(t *testing.T) {
	t.Parallel()
	secret := "https://robot.example/send?access_token=tok-SECRET"
	p := Robot{Name: "p", ThrottleWait: "1m"}
	retired := Robot{Name: "p", ThrottleWait: "1m", CheckURL: func(string) error { return Permanent("retired") }}
	for _, tc := range []struct {
		name string
		r    Robot
		cfg  RobotSection
		want string // "" → valid
		wait time.Duration
	}{
		{"nothing", p, URLRobot{}, "p: webhook: required (or at least one channel)", 0},
		{"default only", p, URLRobot{Webhook: "https://robot.example/x"}, "", time.Minute},
		{"channels only", p, SignedRobot{Channels: map[string]Hook{"ops": {Webhook: "http://127.0.0.1:1/x"}},
			Common: Common{ThrottleWait: "5s"}}, "", 5 * time.Second},
		{"http default", p, SignedRobot{Webhook: "http://robot.example/x?access_token=tok-SECRET"}, "p: webhook: ", 0},
		{"bad channel", p, URLRobot{Webhook: secret, Channels: map[string]URLHook{"a": {"https://ok.example"}, "b": {"ftp://x"}}},
			"p: channels.b.webhook: ", 0},
		{"custom check", retired, URLRobot{Webhook: secret}, "p: webhook: retired", 0},
		{"bad wait", p, URLRobot{Webhook: secret, Common: Common{ThrottleWait: "soon"}}, "p: ", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewRobot(tc.r, tc.cfg, Options{})
			if tc.want == "" {
				if err != nil || s.base.Throttle != tc.wait {
					t.Fatalf("NewRobot = %v; want throttle %v", err, tc.wait)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("NewRobot error %v, want prefix %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "tok-SECRET") {
				t.Errorf("error echoes a secret: %v", err)
			}
		})
	}
}
