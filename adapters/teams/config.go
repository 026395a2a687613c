package teams

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "teams"

// Limits (docs/providers.md, "Teams"): Microsoft documents no rate limit for Workflows webhook triggers
// (UNVERIFIED), so there is no default rate; a 429 without Retry-After waits DefaultThrottleWait.
const (
	DefaultRate         = ""
	DefaultThrottleWait = "1m"
)

// Config is the `providers.teams` section; values arrive ${VAR}-expanded. Webhook is the
// Workflows ("When a Teams webhook request is received") trigger URL,
// https://….logic.azure.com:443/workflows/…/invoke?…&sig=… or
// https://….environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/…&sig=….
type Config = adapters.URLRobot

// Channel is one workflow webhook reachable by alias.
type Channel = adapters.URLHook

// Secrets returns every webhook URL in cfg (the redactor also extracts their sig and workflow id).
func Secrets(cfg Config) []string { return adapters.RobotSecrets(cfg) }

// Descriptor describes Teams to the provider registry.
func Descriptor() adapters.Descriptor { return adapters.RobotDescriptor[Config](robot()) }

// checkHook requires https (loopback excepted) and refuses the retired Office 365 connector URLs
// (docs/providers.md, "Teams": they stop working in May 2026).
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
