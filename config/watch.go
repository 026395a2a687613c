package config

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
)

// Watcher is the watcher's configuration as the file gives it: the retry policy, the watch settings,
// a redactor of every secret, and each configured provider's sender with its own rate and throttle
// wait. need, when set, names the providers the run must be able to send through (nil: every
// configured one): a needed section that cannot be built (say, a secret's variable is unset) is an
// error naming every such problem, one line each; one that is not needed stands in with a sender that
// defers what reaches it. It also returns the ${VAR}-expanded API token. The caller sets the logger
// and clock.
func (c *Config) Watcher(getenv func(string) string, need func(string) bool) (delivery.Config, string, error) {
	redactor := adapters.NewRedactor()
	env := adapters.Env{Client: &http.Client{Timeout: c.Watch.SendTimeout.Duration}, Root: c.root,
		Expand: func(v any) error { return ExpandStrings(v, getenv) }}
	providers := map[string]delivery.Provider{}
	var problems []string
	for _, p := range c.Providers.Configured() {
		s, secrets, err := p.Sec.Build(env)
		redactor.Add(secrets...)
		if err != nil && (need == nil || need(p.Name)) {
			for _, line := range strings.Split(redactor.String(err.Error()), "\n") {
				problems = append(problems, fmt.Sprintf("providers.%s: %s", p.Name, line))
			}
			continue
		} else if err != nil {
			s = unbuilt{fmt.Errorf("providers.%s: %s", p.Name, redactor.String(err.Error()))}
		}
		rate, _ := delivery.ParseRate(p.Sec.Rate()) // both validated when the configuration was read
		wait, _ := p.Sec.ThrottleWait()
		providers[p.Name] = delivery.Provider{Sender: s, Rate: rate, ThrottleWait: wait}
	}
	if len(problems) > 0 {
		return delivery.Config{}, "", fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	token, err := ExpandEnv(c.Watch.APIToken, getenv)
	if err != nil {
		return delivery.Config{}, "", fmt.Errorf("watch.api_token: %v", err)
	}
	redactor.Add(token)
	return delivery.Config{
		Interval: c.Watch.Interval.Duration, SendTimeout: c.Watch.SendTimeout.Duration,
		ShutdownGrace: c.Watch.ShutdownGrace.Duration, Concurrency: c.Watch.Concurrency,
		Retry: delivery.RetryPolicy{MaxAttempts: c.Retry.MaxAttempts, InitialDelay: c.Retry.InitialDelay.Duration,
			MaxDelay: c.Retry.MaxDelay.Duration, Multiplier: c.Retry.Multiplier, MaxAge: c.Retry.MaxAge.Duration},
		Providers: providers, Redact: redactor.String, APIHosts: c.Watch.APIHosts,
	}, token, nil
}

// unbuilt stands in for a provider that was not needed when the watcher started and could not be
// built: a message that reaches it later waits (a transient failure) rather than being dead-lettered.
type unbuilt struct{ err error }

func (u unbuilt) Send(context.Context, *mailbox.Message) (string, error) { return "", u.err }
