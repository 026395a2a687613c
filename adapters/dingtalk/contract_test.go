package dingtalk

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/monoco/courier/adapters"
)

func TestContract(t *testing.T) {
	adapters.RunContract(t, adapters.ContractHarness{
		Start: adapters.HTTPFake{
			New: func(t *testing.T, base string, c *http.Client) (adapters.Sender, []string) {
				cfg := Config{Webhook: base + "/robot/send?access_token=" + tok, Secret: secret}
				s, err := New(cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(Secrets(cfg), tok)
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapters.Behaviour) {
				f := &fakeRobot{t: t, token: tok, secret: secret}
				switch b {
				case adapters.BehaveSucceed:
					f.script(200, `{"errcode":"0","errmsg":"ok"}`, nil)
				case adapters.BehaveTransient:
					f.script(200, `{"errcode":-1,"errmsg":"系统繁忙"}`, nil)
				case adapters.BehavePermanent:
					f.script(200, `{"errcode":310000,"errmsg":"keywords not in content"}`, nil)
				case adapters.BehaveRateLimit:
					f.script(200, fmt.Sprintf(`{"errcode":%d,"errmsg":"send too fast, exceed 20 times per minute"}`, 130101), nil)
				}
				f.ServeHTTP(w, r)
			},
		}.Start,
	})
}
