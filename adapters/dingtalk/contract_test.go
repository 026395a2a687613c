package dingtalk

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
			return Config{Webhook: base + "/robot/send?access_token=" + tok, Secret: secret}, []string{tok}
		},
		Serve: func(t *testing.T, w http.ResponseWriter, r *http.Request, a adapterstest.Reply) {
			f := &fakeRobot{t: t, token: tok, secret: secret}
			f.script(a.Status, a.Body, a.Header)
			f.ServeHTTP(w, r)
		},
		Replies: map[adapterstest.Behaviour]adapterstest.Reply{
			adapterstest.BehaveSucceed:   {Body: `{"errcode":"0","errmsg":"ok"}`},
			adapterstest.BehaveTransient: {Body: `{"errcode":-1,"errmsg":"系统繁忙"}`},
			adapterstest.BehavePermanent: {Body: `{"errcode":310000,"errmsg":"keywords not in content"}`},
			adapterstest.BehaveRateLimit: {Body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`},
		},
	})
}
