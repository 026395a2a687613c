package teams

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "teams"

// Limits (providers.md §5.2): Microsoft documents no rate limit for Workflows webhook triggers
// (UNVERIFIED), so there is no default rate; a 429 without Retry-After waits DefaultThrottleWait.
const (
	DefaultRate         = ""
	DefaultThrottleWait = "1m"
)

// Config is the `providers.teams` section (contract §10). Values arrive ${VAR}-expanded.
type Config struct {
	adapters.Common `yaml:",inline"`
	// Webhook is the Workflows ("When a Teams webhook request is received") trigger URL,
	// https://….logic.azure.com:443/workflows/…/invoke?…&sig=… or
	// https://….environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/…&sig=….
	Webhook string `yaml:"webhook,omitempty"`
	// Channels are aliases usable in `to:`, each its own workflow webhook.
	Channels map[string]Channel `yaml:"channels,omitempty"`
}

// Channel is one workflow webhook reachable by alias.
type Channel struct {
	Webhook string `yaml:"webhook"`
}

// Secrets returns every webhook URL in cfg (the redactor also extracts their sig and workflow id).
func Secrets(cfg Config) []string {
	var out []string
	if cfg.Webhook != "" {
		out = append(out, cfg.Webhook)
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
	return adapters.Robot[Channel]{Provider: Name, Webhook: cfg.Webhook, Channels: cfg.Channels,
		Hook: func(c Channel) string { return c.Webhook }, ThrottleWait: cfg.ThrottleWait,
		DefaultWait: DefaultThrottleWait, CheckURL: checkHook}.Validate()
}

// checkHook requires https (loopback excepted) and refuses the retired Office 365 connector URLs
// (providers.md §5.1: they stop working in May 2026).
func checkHook(raw string) error {
	if err := adapters.CheckURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	host := strings.ToLower(u.Hostname())
	if strings.HasSuffix(host, ".webhook.office.com") ||
		(host == "outlook.office.com" && strings.HasPrefix(u.Path, "/webhook")) {
		return fmt.Errorf("this is a retired Office 365 connector URL; create a Workflows webhook " +
			"(Teams channel → Workflows → \"Post to a channel when a webhook request is received\")")
	}
	return nil
}
