package main

import (
	"net/http"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/dingtalk"
	"github.com/monoco/courier/adapters/email"
	"github.com/monoco/courier/adapters/file"
	"github.com/monoco/courier/adapters/lark"
	"github.com/monoco/courier/adapters/slack"
	"github.com/monoco/courier/adapters/teams"
	"github.com/monoco/courier/adapters/webhook"
	"github.com/monoco/courier/adapters/wecom"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
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

// buildEnv is what building a sender may use.
type buildEnv struct {
	getenv func(string) string
	client *http.Client
	root   string
}

// watchProviders builds the watcher's providers from the configured sections. A section that cannot
// be built (say, a secret's variable is unset) is a configuration error: the watcher does not start.
// Every provider reports its own rate and throttle wait.
func watchProviders(c *Config, b buildEnv, redactor *adapters.Redactor) (map[string]delivery.Provider, error) {
	env := adapters.Env{Client: b.client, Root: b.root,
		Expand: func(v any) error { return expandStrings(v, b.getenv) }}
	out := map[string]delivery.Provider{}
	for _, p := range c.Providers.configured() {
		s, secrets, err := p.sec.Build(env)
		redactor.Add(secrets...)
		if err != nil {
			return nil, configErrorf("providers.%s: %s", p.Name, redactor.String(err.Error()))
		}
		rate, _ := delivery.ParseRate(p.sec.Rate()) // both validated when the configuration was read
		wait, _ := p.sec.ThrottleWait()
		out[p.Name] = delivery.Provider{Sender: s, Rate: rate, ThrottleWait: wait}
	}
	return out, nil
}

// providerInfo is what drafts needs of the providers: each configured one's channel aliases, and
// every adapter's pre-enqueue check.
func providerInfo(c *Config) (map[string]drafts.ProviderInfo, map[string]func(*mailbox.Message) error) {
	infos := map[string]drafts.ProviderInfo{}
	checks := map[string]func(*mailbox.Message) error{}
	for _, d := range registry() {
		checks[d.Name] = d.Check
	}
	for _, p := range c.Providers.configured() {
		infos[p.Name] = drafts.ProviderInfo{Channels: p.sec.Channels(), Fanout: p.Fanout}
	}
	return infos, checks
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
