package lark

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
			return Config{Webhook: base + "/open-apis/bot/v2/hook/" + hookTok, Secret: secret}, []string{hookTok}
		},
		Serve: func(t *testing.T, w http.ResponseWriter, r *http.Request, a adapterstest.Reply) {
			f := &fakeBot{t: t, token: hookTok, secret: secret}
			f.script(a.Status, a.Body)
			f.ServeHTTP(w, r)
		},
		Replies: map[adapterstest.Behaviour]adapterstest.Reply{
			adapterstest.BehaveTransient: {Status: http.StatusBadGateway, Body: "<html>bad gateway</html>"},
			adapterstest.BehavePermanent: {Body: `{"code":19024,"msg":"Key Words Not Found"}`},
			adapterstest.BehaveRateLimit: {Body: `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"}`},
		},
	})
}
