package wecom

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
				cfg := Config{Webhook: base + "/cgi-bin/webhook/send?key=" + key}
				s, err := New(cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(Secrets(cfg), key)
			},
			Answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, b adapterstest.Behaviour) {
				f := &fakeRobot{t: t, key: key}
				switch b {
				case adapterstest.BehaveTransient:
					f.script(200, wecomAnswer(-1, "system busy"))
				case adapterstest.BehavePermanent:
					f.script(200, wecomAnswer(93004, "robot disabled"))
				case adapterstest.BehaveRateLimit:
					f.script(200, wecomAnswer(45009, "api freq out of limit"))
				}
				f.ServeHTTP(w, r)
			},
		}.Start,
	})
}
