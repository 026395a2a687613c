package main

import (
	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/dingtalk"
	"github.com/monoco/courier/adapters/email"
	"github.com/monoco/courier/adapters/file"
	"github.com/monoco/courier/adapters/lark"
	"github.com/monoco/courier/adapters/slack"
	"github.com/monoco/courier/adapters/teams"
	"github.com/monoco/courier/adapters/webhook"
	"github.com/monoco/courier/adapters/wecom"
)

// registry lists every provider courier knows, one line each, in a fixed order. Each adapter owns
// its descriptor (name, section decoding, defaults, channels, secrets, sender). No init().
func registry() []adapters.Descriptor {
	return []adapters.Descriptor{
		dingtalk.Descriptor(),
		lark.Descriptor(),
		wecom.Descriptor(),
		slack.Descriptor(),
		teams.Descriptor(),
		email.Descriptor(),
		webhook.Descriptor(),
		file.Descriptor(),
	}
}
