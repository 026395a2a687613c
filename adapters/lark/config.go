package lark

import (
	"maps"
	"slices"
	"time"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "lark"

// Documented limits (providers.md §2): 100 messages a minute and 5 a second per bot. The default
// rate is the per-minute figure, which also keeps under 5/s; 11232 answers (platform load) defer
// by DefaultThrottleWait.
const (
	DefaultRate         = "100/min"
	DefaultThrottleWait = "1m"
)

// MaxBody is the custom bot's request body limit (20 KB).
const MaxBody = 20 * 1024

// Config is the `providers.lark` section (contract §10); Feishu (open.feishu.cn) and Lark
// (open.larksuite.com) hosts both work: the webhook URL is used as given.
type Config struct {
	adapters.Common `yaml:",inline"`
	// Webhook is https://open.feishu.cn/open-apis/bot/v2/hook/<token> (or open.larksuite.com).
	Webhook string `yaml:"webhook,omitempty"`
	// Secret is the bot's signature secret (签名校验); empty when the bot does not sign.
	Secret string `yaml:"secret,omitempty"`
	// Channels are aliases usable in `to:`, each its own bot.
	Channels map[string]Channel `yaml:"channels,omitempty"`
}

// Channel is one bot reachable by alias; an empty secret means that bot does not sign (the
// provider-level secret is not inherited).
type Channel struct {
	Webhook string `yaml:"webhook"`
	Secret  string `yaml:"secret,omitempty"`
}

// Secrets returns every secret in cfg (webhook URLs — the redactor also extracts their hook
// tokens — and signing secrets) for the log redactor.
func Secrets(cfg Config) []string {
	out := []string{cfg.Webhook, cfg.Secret}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		out = append(out, cfg.Channels[name].Webhook, cfg.Channels[name].Secret)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

func (cfg Config) validate() (time.Duration, error) {
	return adapters.Robot[Channel]{Provider: Name, Webhook: cfg.Webhook, Channels: cfg.Channels,
		Hook: func(c Channel) string { return c.Webhook }, ThrottleWait: cfg.ThrottleWait,
		DefaultWait: DefaultThrottleWait}.Validate()
}
