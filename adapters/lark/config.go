package lark

import "github.com/monoco/courier/adapters"

// Name is the provider name used in drafts and configuration.
const Name = "lark"

// Documented limits (docs/providers.md, "Lark"): 100 messages a minute and 5 a second per bot.
// The default rate is the per-minute figure, which also keeps under 5/s; 11232 answers (platform
// load) defer by DefaultThrottleWait.
const (
	DefaultRate         = "100/min"
	DefaultThrottleWait = "1m"
)

// MaxBody is the custom bot's request body limit (20 KB).
const MaxBody = 20 * 1024

// Config is the `providers.lark` section; values arrive ${VAR}-expanded. Webhook is
// https://open.feishu.cn/open-apis/bot/v2/hook/<token> or open.larksuite.com (used as given);
// Secret the bot's signature secret (签名校验), empty when the bot does not sign.
type Config = adapters.SignedRobot

// Channel is one bot reachable by alias, with its own secret (empty: it does not sign).
type Channel = adapters.Hook

// Secrets returns every secret in cfg (webhook URLs and signing secrets) for the log redactor.
func Secrets(cfg Config) []string { return adapters.RobotSecrets(cfg) }

// Descriptor describes Lark to the provider registry.
func Descriptor() adapters.Descriptor { return adapters.RobotDescriptor[Config](robot()) }
