package lark

import (
	"net/http"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/adapterstest"
)

func TestContract(t *testing.T) {
	adapterstest.RunContract(t, adapterstest.ContractHarness{
		Start: adapterstest.HTTPFake{
			New: func(t *testing.T, base string, c *http.Client) (adapterstest.Sender, []string) {
				cfg := Config{Webhook: base + "/open-apis/bot/v2/hook/" + hookTok, Secret: secret}
				s, err := New(cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(Secrets(cfg), hookTok)
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapterstest.Behaviour) {
				f := &fakeBot{t: t, token: hookTok, secret: secret}
				switch b {
				case adapterstest.BehaveTransient:
					f.script(http.StatusBadGateway, "<html>bad gateway</html>")
				case adapterstest.BehavePermanent:
					f.script(200, `{"code":19024,"msg":"Key Words Not Found"}`)
				case adapterstest.BehaveRateLimit:
					f.script(200, `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"}`)
				}
				f.ServeHTTP(w, r)
			},
		}.Start,
	})
}
