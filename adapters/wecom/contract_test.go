package wecom

import (
	"net/http"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	adapterstest.RunRobot(t, adapterstest.Robot{
		Robot: robot(),
		Config: func(base string) (adapters.RobotSection, []string) {
			return Config{Webhook: base + "/cgi-bin/webhook/send?key=" + key}, []string{key}
		},
		Serve: func(t *testing.T, w http.ResponseWriter, r *http.Request, a adapterstest.Reply) {
			f := &fakeRobot{t: t, key: key}
			f.script(a.Status, a.Body)
			f.ServeHTTP(w, r)
		},
		Replies: map[adapterstest.Behaviour]adapterstest.Reply{
			adapterstest.BehaveTransient: {Body: wecomAnswer(-1, "system busy")},
			adapterstest.BehavePermanent: {Body: wecomAnswer(93004, "robot disabled")},
			adapterstest.BehaveRateLimit: {Body: wecomAnswer(45009, "api freq out of limit")},
		},
	})
}
