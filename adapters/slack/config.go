package slack

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "slack"

// Documented limits (docs/providers.md, "Slack"): incoming webhooks and chat.postMessage allow about one
// message a second per channel (short bursts tolerated); Slack's 429 always carries Retry-After,
// so DefaultThrottleWait only applies to an `ok:false` "ratelimited" answer without one.
const (
	DefaultRate         = "1/s"
	DefaultThrottleWait = "1m"
)

// DefaultAPIBase is Slack's Web API root.
const DefaultAPIBase = "https://slack.com/api"

// Config is the `providers.slack` section (README.md, "Configuration"). Values arrive ${VAR}-expanded.
//
// With only Webhook, messages go to the incoming webhook's channel (fixed when the webhook was
// created). With Token (a bot token, xoxb-…), messages go through chat.postMessage to the channel
// named by `to` (a channel id such as C0123ABCD or a channel name), else to Channel. A `to` entry
// that is a configured alias uses that alias's webhook or channel instead.
type Config struct {
	adapters.Common `yaml:",inline"`
	// Webhook is the incoming webhook URL, https://hooks.slack.com/services/T…/B…/….
	Webhook string `yaml:"webhook,omitempty"`
	// Token is a bot token with the chat:write scope; when set, chat.postMessage is used.
	Token string `yaml:"token,omitempty"`
	// Channel is the default chat.postMessage channel (id like C0123ABCD, or name).
	Channel string `yaml:"channel,omitempty"`
	// APIBase is the Web API root (default https://slack.com/api); for tests and proxies.
	APIBase string `yaml:"api_base,omitempty"`
	// Channels are aliases usable in `to:`.
	Channels map[string]Channel `yaml:"channels,omitempty"`
}

// Channel is one destination reachable by alias: its own incoming webhook, or (with a bot token)
// a channel id or name.
type Channel struct {
	Webhook string `yaml:"webhook,omitempty"`
	Channel string `yaml:"channel,omitempty"`
}

// Secrets returns every secret in cfg (webhook URLs, whose path tokens the redactor also
// extracts, and the bot token) for the log redactor.
func Secrets(cfg Config) []string {
	var out []string
	for _, s := range []string{cfg.Webhook, cfg.Token} {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		if w := cfg.Channels[name].Webhook; w != "" {
			out = append(out, w)
		}
	}
	return out
}

// validate checks cfg without echoing any secret and returns the throttle wait.
func (cfg Config) validate() (time.Duration, error) {
	if cfg.Webhook == "" && cfg.Token == "" && len(cfg.Channels) == 0 {
		return 0, fmt.Errorf("%s: webhook or token: one is required", Name)
	}
	if cfg.Webhook != "" {
		if err := adapters.CheckURL(cfg.Webhook); err != nil {
			return 0, fmt.Errorf("%s: webhook: %w", Name, err)
		}
	}
	if cfg.Token != "" && strings.ContainsAny(cfg.Token, " \t\r\n") {
		return 0, fmt.Errorf("%s: token: contains white space", Name)
	}
	if cfg.APIBase != "" {
		if err := adapters.CheckURL(cfg.APIBase); err != nil {
			return 0, fmt.Errorf("%s: api_base: %w", Name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		switch {
		case ch.Webhook != "":
			if err := adapters.CheckURL(ch.Webhook); err != nil {
				return 0, fmt.Errorf("%s: channels.%s.webhook: %w", Name, name, err)
			}
		case ch.Channel != "":
			if cfg.Token == "" {
				return 0, fmt.Errorf("%s: channels.%s.channel: needs a bot token (or give the channel a webhook)", Name, name)
			}
		default:
			return 0, fmt.Errorf("%s: channels.%s: webhook or channel is required", Name, name)
		}
	}
	d, err := adapters.ThrottleWait(cfg.ThrottleWait, DefaultThrottleWait)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", Name, err)
	}
	return d, nil
}

// Descriptor describes Slack to the provider registry.
func Descriptor() adapters.Descriptor {
	return adapters.Spec[Config]{Name: Name, Fanout: true, Check: Check, Rate: DefaultRate,
		ThrottleWait: DefaultThrottleWait, Channels: func(c Config) []string { return adapters.Keys(c.Channels) },
		Secrets: Secrets, New: adapters.WithOptions(New)}.Descriptor()
}
