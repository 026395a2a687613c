package lark

import (
	"net/http"
	"testing"

	"github.com/monoco/courier/adapters"
)

func TestContract(t *testing.T) {
	adapters.RunContract(t, adapters.ContractHarness{
		Start: adapters.HTTPFake{
			New: func(t *testing.T, base string, c *http.Client) (adapters.Sender, []string) {
				cfg := Config{Webhook: base + "/open-apis/bot/v2/hook/" + hookTok, Secret: secret}
				s, err := New(cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(Secrets(cfg), hookTok)
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapters.Behaviour) {
				f := &fakeBot{t: t, token: hookTok, secret: secret}
				switch b {
				case adapters.BehaveTransient:
					f.script(http.StatusBadGateway, "<html>bad gateway</html>")
				case adapters.BehavePermanent:
					f.script(200, `{"code":19024,"msg":"Key Words Not Found"}`)
				case adapters.BehaveRateLimit:
					f.script(200, `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"}`)
				}
				f.ServeHTTP(w, r)
			},
		}.Start,
	})
}
