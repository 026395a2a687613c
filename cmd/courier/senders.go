package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/dingtalk"
	"github.com/monoco/courier/adapters/email"
	"github.com/monoco/courier/adapters/file"
	"github.com/monoco/courier/adapters/lark"
	"github.com/monoco/courier/adapters/slack"
	"github.com/monoco/courier/adapters/teams"
	"github.com/monoco/courier/adapters/webhook"
	"github.com/monoco/courier/adapters/wecom"
	"github.com/monoco/courier/config"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
)

// registry lists every provider courier knows, one line each, in a fixed order. Each adapter owns
// its descriptor (name, section decoding, defaults, channels, secrets, sender). No init().
func registry() []adapters.Descriptor {
	return []adapters.Descriptor{
		dingtalk.Descriptor(),
		lark.Descriptor(),
		wecom.Descriptor(),
		slack.Descriptor(),
		teams.Descriptor(),
		email.Descriptor(),
		webhook.Descriptor(),
		file.Descriptor(),
	}
}

// buildEnv is what building a sender may use. need, when set, names the providers the run must be
// able to send through; nil means every configured one.
type buildEnv struct {
	getenv func(string) string
	client *http.Client
	root   string
	need   func(provider string) bool
}

// watchProviders builds the watcher's providers from the configured sections. A needed section
// that cannot be built (say, a secret's variable is unset) is a configuration error naming every
// such problem, one line each: the watcher does not start. One that is not needed stands in with a
// sender that defers what reaches it. Every provider reports its own rate and throttle wait.
func watchProviders(c *config.Config, b buildEnv, redactor *adapters.Redactor) (map[string]delivery.Provider, error) {
	env := adapters.Env{Client: b.client, Root: b.root,
		Expand: func(v any) error { return config.ExpandStrings(v, b.getenv) }}
	out := map[string]delivery.Provider{}
	var problems []string
	for _, p := range c.Providers.Configured() {
		s, secrets, err := p.Sec.Build(env)
		redactor.Add(secrets...)
		if err != nil && (b.need == nil || b.need(p.Name)) {
			for _, line := range strings.Split(redactor.String(err.Error()), "\n") {
				problems = append(problems, fmt.Sprintf("providers.%s: %s", p.Name, line))
			}
			continue
		} else if err != nil {
			s = unbuilt{fmt.Errorf("providers.%s: %s", p.Name, redactor.String(err.Error()))}
		}
		rate, _ := delivery.ParseRate(p.Sec.Rate()) // both validated when the configuration was read
		wait, _ := p.Sec.ThrottleWait()
		out[p.Name] = delivery.Provider{Sender: s, Rate: rate, ThrottleWait: wait}
	}
	if len(problems) > 0 {
		return nil, configErrorf("%s", strings.Join(problems, "\n"))
	}
	return out, nil
}

// unbuilt stands in for a provider that was not needed when the watcher started and could not be
// built: a message that reaches it later waits (a transient failure) rather than being dead-lettered.
type unbuilt struct{ err error }

func (u unbuilt) Send(context.Context, *mailbox.Message) (string, error) { return "", u.err }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
