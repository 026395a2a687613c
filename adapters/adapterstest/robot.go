package adapterstest

import (
	"net/http"
	"testing"

	"github.com/monoco/courier/adapters"
)

// Reply is one scripted answer of a fake provider.
type Reply struct {
	Status int // 0: 200
	Body   string
	Header http.Header
}

// Robot is the contract harness of a webhook robot (DingTalk, Lark, WeCom, Teams): the robot's
// section pointed at a fake, the fake itself, and the provider's own answers for each behaviour.
type Robot struct {
	// Config returns the section for a fake at base, and credentials that are not in it but
	// that no error may quote (a token inside the URL, say).
	Config func(base string) (adapters.RobotSection, []string)
	// Robot is the adapter's protocol; the sender under test is adapters.NewRobot(Robot, …).
	Robot adapters.Robot
	// Serve is the package's faithful fake (it verifies the signature and the payload) answering
	// with reply.
	Serve func(t *testing.T, w http.ResponseWriter, r *http.Request, reply Reply)
	// Replies are the provider's answers for BehaveSucceed (zero: the fake's success),
	// BehaveTransient, BehavePermanent and BehaveRateLimit.
	Replies map[Behaviour]Reply
	// RetryAfter: the provider's transient and rate-limit answers carry ContractRetryAfter.
	RetryAfter bool
}

// RunRobot runs the contract suite (RunContract) for a webhook robot.
func RunRobot(t *testing.T, r Robot) {
	t.Helper()
	RunContract(t, ContractHarness{
		Start: HTTPFake{
			New: func(t *testing.T, base string, c *http.Client) (Sender, []string) {
				cfg, extra := r.Config(base)
				s, err := adapters.NewRobot(r.Robot, cfg, adapters.Options{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				return s, append(adapters.RobotSecrets(cfg), extra...)
			},
			Answer: func(t *testing.T, w http.ResponseWriter, req *http.Request, b Behaviour) {
				r.Serve(t, w, req, r.Replies[b])
			},
		}.Start,
		TransientRetryAfter: r.RetryAfter,
		RateLimitRetryAfter: r.RetryAfter,
	})
}
