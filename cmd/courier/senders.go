package main

import (
	"fmt"
	"net/http"
	"time"

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
)

// providerKind is one entry of the explicit provider registry: how to find its config section,
// validate it, list its channel aliases, and build its sender.
type providerKind struct {
	name         string
	fanout       bool // webhook robot: several channel aliases in `to` fan out into one message each
	check        adapters.Check
	defaultRate  string
	throttleWait string
	section      func(c *Config) any // the section (a typed pointer) or nil when absent
	validate     func(sec any) error // shape only: needs no secrets
	channels     func(sec any) []string
	common       func(sec any) adapters.Common
	build        func(sec any, b buildEnv) (delivery.Sender, []string, error) // sender and its secrets
}

// buildEnv is what building a sender may use.
type buildEnv struct {
	getenv func(string) string
	client *http.Client
	root   string
}

// kind builds a registry entry for a provider whose section type is C.
func kind[C any](name string, fanout bool, check adapters.Check, rate, throttle string,
	section func(*Config) *C, channels func(*C) []string, common func(*C) adapters.Common,
	build func(C, buildEnv) (delivery.Sender, error), secrets func(C) []string) providerKind {
	return providerKind{
		name: name, fanout: fanout, check: check, defaultRate: rate, throttleWait: throttle,
		section: func(c *Config) any {
			if s := section(c); s != nil {
				return s
			}
			return nil
		},
		validate: func(sec any) error {
			cm := common(sec.(*C))
			if _, err := delivery.ParseRate(cm.Rate); err != nil {
				return fmt.Errorf("rate: %w", err)
			}
			if cm.ThrottleWait != "" {
				if _, err := time.ParseDuration(cm.ThrottleWait); err != nil {
					return fmt.Errorf("throttle_wait: %q is not a duration", cm.ThrottleWait)
				}
			}
			return nil
		},
		channels: func(sec any) []string { return channels(sec.(*C)) },
		common:   func(sec any) adapters.Common { return common(sec.(*C)) },
		build: func(sec any, b buildEnv) (delivery.Sender, []string, error) {
			cfg := *sec.(*C)
			if err := expandStrings(&cfg, b.getenv); err != nil {
				return nil, nil, err
			}
			s, err := build(cfg, b)
			return s, secrets(cfg), err
		},
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func opts(b buildEnv) adapters.Options { return adapters.Options{Client: b.client} }

// registry lists every provider courier knows, in a fixed order. No init() registration.
func registry() []providerKind {
	return []providerKind{
		kind("dingtalk", true, dingtalk.Check, dingtalk.DefaultRate, dingtalk.DefaultThrottleWait,
			func(c *Config) *dingtalk.Config { return c.Providers.DingTalk },
			func(c *dingtalk.Config) []string { return keys(c.Channels) },
			func(c *dingtalk.Config) adapters.Common { return c.Common },
			func(c dingtalk.Config, b buildEnv) (delivery.Sender, error) { return dingtalk.New(c, opts(b)) },
			dingtalk.Secrets),
		kind("lark", true, lark.Check, lark.DefaultRate, lark.DefaultThrottleWait,
			func(c *Config) *lark.Config { return c.Providers.Lark },
			func(c *lark.Config) []string { return keys(c.Channels) },
			func(c *lark.Config) adapters.Common { return c.Common },
			func(c lark.Config, b buildEnv) (delivery.Sender, error) { return lark.New(c, opts(b)) },
			lark.Secrets),
		kind("wecom", true, wecom.Check, wecom.DefaultRate, wecom.DefaultThrottleWait,
			func(c *Config) *wecom.Config { return c.Providers.WeCom },
			func(c *wecom.Config) []string { return keys(c.Channels) },
			func(c *wecom.Config) adapters.Common { return c.Common },
			func(c wecom.Config, b buildEnv) (delivery.Sender, error) { return wecom.New(c, opts(b)) },
			wecom.Secrets),
		kind("slack", true, slack.Check, slack.DefaultRate, slack.DefaultThrottleWait,
			func(c *Config) *slack.Config { return c.Providers.Slack },
			func(c *slack.Config) []string { return keys(c.Channels) },
			func(c *slack.Config) adapters.Common { return c.Common },
			func(c slack.Config, b buildEnv) (delivery.Sender, error) { return slack.New(c, opts(b)) },
			slack.Secrets),
		kind("teams", true, teams.Check, teams.DefaultRate, teams.DefaultThrottleWait,
			func(c *Config) *teams.Config { return c.Providers.Teams },
			func(c *teams.Config) []string { return keys(c.Channels) },
			func(c *teams.Config) adapters.Common { return c.Common },
			func(c teams.Config, b buildEnv) (delivery.Sender, error) { return teams.New(c, opts(b)) },
			teams.Secrets),
		kind("email", false, email.Check, email.DefaultRate, email.DefaultThrottleWait,
			func(c *Config) *email.Config { return c.Providers.Email },
			func(*email.Config) []string { return nil },
			func(c *email.Config) adapters.Common { return c.Common },
			func(c email.Config, b buildEnv) (delivery.Sender, error) { return email.New(c, opts(b)) },
			email.Secrets),
		kind("webhook", false, webhook.Check, webhook.DefaultRate, webhook.DefaultThrottleWait,
			func(c *Config) *webhook.Config { return c.Providers.Webhook },
			func(c *webhook.Config) []string { return keys(c.Channels) },
			func(c *webhook.Config) adapters.Common { return c.Common },
			func(c webhook.Config, b buildEnv) (delivery.Sender, error) { return webhook.New(c, opts(b)) },
			webhook.Secrets),
		kind("file", false, file.Check, "", "",
			func(c *Config) *file.Config {
				if c.Providers.File == nil {
					return &file.Config{} // always available, configured or not
				}
				return c.Providers.File
			},
			func(*file.Config) []string { return nil },
			func(c *file.Config) adapters.Common { return c.Common },
			func(c file.Config, b buildEnv) (delivery.Sender, error) { return file.New(c, b.root) },
			file.Secrets),
	}
}

// watchProviders builds the watcher's providers from the configured sections. A section that cannot
// be built (say, a secret's variable is unset) is a configuration error: the watcher does not start.
func watchProviders(c *Config, b buildEnv, redactor *adapters.Redactor) (map[string]delivery.Provider, error) {
	out := map[string]delivery.Provider{}
	for _, k := range registry() {
		sec := k.section(c)
		if sec == nil {
			continue
		}
		s, secrets, err := k.build(sec, b)
		redactor.Add(secrets...)
		if err != nil {
			return nil, configErrorf("providers.%s: %s", k.name, redactor.String(err.Error()))
		}
		cm := k.common(sec)
		rate := firstNonEmpty(cm.Rate, k.defaultRate)
		r, _ := delivery.ParseRate(rate)
		wait, _ := time.ParseDuration(firstNonEmpty(cm.ThrottleWait, k.throttleWait, "1m"))
		out[k.name] = delivery.Provider{Sender: s, Rate: r, ThrottleWait: wait}
	}
	return out, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
