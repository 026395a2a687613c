package dingtalk

import "github.com/monoco/courier/adapters"

// Name is the provider name used in drafts and configuration.
const Name = "dingtalk"

// Documented limits (docs/providers.md, "DingTalk"): 20 messages a minute per robot; exceeding it
// throttles the robot for 10 minutes.
const (
	DefaultRate         = "20/min"
	DefaultThrottleWait = "10m"
)

// MaxBody is the largest request body DingTalk accepts (observed errcode 460101 above it).
const MaxBody = 20000

// Config is the `providers.dingtalk` section; values arrive ${VAR}-expanded. Webhook is the
// robot's URL, https://oapi.dingtalk.com/robot/send?access_token=… (used as given, never
// rewritten); Secret its signing secret (SEC…), empty when the robot does not use 加签.
type Config = adapters.SignedRobot

// Channel is one robot reachable by alias, with its own secret (empty: it does not sign).
type Channel = adapters.Hook

// Secrets returns every secret in cfg (webhook URLs and signing secrets) for the log redactor.
func Secrets(cfg Config) []string { return adapters.RobotSecrets(cfg) }

// Descriptor describes DingTalk to the provider registry.
func Descriptor() adapters.Descriptor { return adapters.RobotDescriptor[Config](robot()) }
