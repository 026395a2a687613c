package dingtalk

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
)

func TestContract(t *testing.T) {
	adapterstest.RunContract(t, adapterstest.ContractHarness{
		Start: adapterstest.HTTPFake{
			New: func(t *testing.T, base string, c *http.Client) (adapterstest.Sender, []string) {
				cfg := Config{Webhook: base + "/robot/send?access_token=" + tok, Secret: secret}
				s, err := New(cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(Secrets(cfg), tok)
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapterstest.Behaviour) {
				f := &fakeRobot{t: t, token: tok, secret: secret}
				switch b {
				case adapterstest.BehaveSucceed:
					f.script(200, `{"errcode":"0","errmsg":"ok"}`, nil)
				case adapterstest.BehaveTransient:
					f.script(200, `{"errcode":-1,"errmsg":"系统繁忙"}`, nil)
				case adapterstest.BehavePermanent:
					f.script(200, `{"errcode":310000,"errmsg":"keywords not in content"}`, nil)
				case adapterstest.BehaveRateLimit:
					f.script(200, fmt.Sprintf(`{"errcode":%d,"errmsg":"send too fast, exceed 20 times per minute"}`, 130101), nil)
				}
				f.ServeHTTP(w, r)
			},
		}.Start,
	})
}
