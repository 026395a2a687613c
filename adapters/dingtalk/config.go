package dingtalk

import (
	"maps"
	"slices"
	"time"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "dingtalk"

// Documented limits (providers.md §1.1): 20 messages a minute per robot; exceeding it throttles the
// robot for 10 minutes.
const (
	DefaultRate         = "20/min"
	DefaultThrottleWait = "10m"
)

// MaxBody is the largest request body DingTalk accepts (observed errcode 460101 above it).
const MaxBody = 20000

// Config is the `providers.dingtalk` section (contract §10). Values arrive ${VAR}-expanded.
type Config struct {
	adapters.Common `yaml:",inline"`
	// Webhook is the robot's URL, https://oapi.dingtalk.com/robot/send?access_token=…; the host is
	// used as given (never rewritten).
	Webhook string `yaml:"webhook,omitempty"`
	// Secret is the robot's signing secret (SEC…); empty when the robot does not use 加签.
	Secret string `yaml:"secret,omitempty"`
	// Channels are aliases usable in `to:`, each its own robot.
	Channels map[string]Channel `yaml:"channels,omitempty"`
}

// Channel is one robot reachable by alias. Its secret is its own: an empty secret means that
// robot does not sign (the provider-level secret is not inherited).
type Channel struct {
	Webhook string `yaml:"webhook"`
	Secret  string `yaml:"secret,omitempty"`
}

// Secrets returns every secret in cfg (webhook URLs, whose tokens the redactor also extracts, and
// signing secrets) for the log redactor.
func Secrets(cfg Config) []string {
	out := []string{cfg.Webhook, cfg.Secret}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		out = append(out, cfg.Channels[name].Webhook, cfg.Channels[name].Secret)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// validate checks cfg without echoing any secret and returns the throttle wait.
func (cfg Config) validate() (time.Duration, error) {
	return adapters.Robot[Channel]{Provider: Name, Webhook: cfg.Webhook, Channels: cfg.Channels,
		Hook: func(c Channel) string { return c.Webhook }, ThrottleWait: cfg.ThrottleWait,
		DefaultWait: DefaultThrottleWait}.Validate()
}
