package wecom

import (
	"maps"
	"slices"
	"time"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "wecom"

// Documented limit (providers.md §3): 20 messages a minute per robot; errcode 45009 asks to wait
// about a minute.
const (
	DefaultRate         = "20/min"
	DefaultThrottleWait = "1m"
)

// Content limits in bytes (UTF-8) of text.content and markdown.content.
const (
	MaxText     = 2048
	MaxMarkdown = 4096
)

// Config is the `providers.wecom` section (contract §10). The robot's key in the URL is its only
// credential; there is no signing.
type Config struct {
	adapters.Common `yaml:",inline"`
	// Webhook is https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>.
	Webhook string `yaml:"webhook,omitempty"`
	// Channels are aliases usable in `to:`, each its own robot.
	Channels map[string]Channel `yaml:"channels,omitempty"`
}

// Channel is one robot reachable by alias.
type Channel struct {
	Webhook string `yaml:"webhook"`
}

// Secrets returns every secret in cfg (the webhook URLs; the redactor also extracts their key)
// for the log redactor.
func Secrets(cfg Config) []string {
	out := []string{cfg.Webhook}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		out = append(out, cfg.Channels[name].Webhook)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

func (cfg Config) validate() (time.Duration, error) {
	return adapters.Robot[Channel]{Provider: Name, Webhook: cfg.Webhook, Channels: cfg.Channels,
		Hook: func(c Channel) string { return c.Webhook }, ThrottleWait: cfg.ThrottleWait,
		DefaultWait: DefaultThrottleWait}.Validate()
}
