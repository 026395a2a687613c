package wecom

import "github.com/monoco/courier/adapters"

// Name is the provider name used in drafts and configuration.
const Name = "wecom"

// Documented limit (docs/providers.md, "WeCom"): 20 messages a minute per robot; errcode 45009
// asks to wait about a minute.
const (
	DefaultRate         = "20/min"
	DefaultThrottleWait = "1m"
)

// Content limits in bytes (UTF-8) of text.content and markdown.content.
const (
	MaxText     = 2048
	MaxMarkdown = 4096
)

// Config is the `providers.wecom` section; values arrive ${VAR}-expanded. Webhook is
// https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>: the key is the robot's only
// credential; there is no signing.
type Config = adapters.URLRobot

// Channel is one robot reachable by alias.
type Channel = adapters.URLHook

// Secrets returns every secret in cfg (the webhook URLs; the redactor also extracts their key)
// for the log redactor.
func Secrets(cfg Config) []string { return adapters.RobotSecrets(cfg) }

// Descriptor describes WeCom to the provider registry.
func Descriptor() adapters.Descriptor { return adapters.RobotDescriptor[Config](robot()) }
