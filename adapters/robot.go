package adapters

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Hook is one webhook robot: its URL and, for a robot that signs, its signing secret ("": the
// robot does not sign).
type Hook struct {
	Webhook string `yaml:"webhook"`
	Secret  string `yaml:"secret,omitempty"`
}

// SignedRobot is the section of a webhook robot that may sign its requests (DingTalk, Lark): a
// default robot and channel aliases usable in `to:`, each its own robot. An alias's secret is its
// own: an empty one means that robot does not sign (the section's secret is not inherited).
type SignedRobot struct {
	Common   `yaml:",inline"`
	Webhook  string          `yaml:"webhook,omitempty"`
	Secret   string          `yaml:"secret,omitempty"`
	Channels map[string]Hook `yaml:"channels,omitempty"`
}

// URLHook is one webhook robot whose URL is its only credential.
type URLHook struct {
	Webhook string `yaml:"webhook"`
}

// URLRobot is the section of a webhook robot that does not sign (WeCom, Teams).
type URLRobot struct {
	Common   `yaml:",inline"`
	Webhook  string             `yaml:"webhook,omitempty"`
	Channels map[string]URLHook `yaml:"channels,omitempty"`
}

// RobotSection is a SignedRobot or a URLRobot.
type RobotSection interface {
	Settings
	hooks() (def Hook, channels map[string]Hook)
}

func (c SignedRobot) hooks() (Hook, map[string]Hook) {
	return Hook{Webhook: c.Webhook, Secret: c.Secret}, c.Channels
}

func (c URLRobot) hooks() (Hook, map[string]Hook) {
	chs := make(map[string]Hook, len(c.Channels))
	for name, ch := range c.Channels {
		chs[name] = Hook{Webhook: ch.Webhook}
	}
	return Hook{Webhook: c.Webhook}, chs
}

// RobotSecrets returns every secret of a robot section (webhook URLs, whose tokens the redactor
// also extracts, and signing secrets), default first, then the channels by name.
func RobotSecrets(c RobotSection) []string {
	def, chs := c.hooks()
	out := []string{def.Webhook, def.Secret}
	for _, name := range slices.Sorted(maps.Keys(chs)) {
		out = append(out, chs[name].Webhook, chs[name].Secret)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// Robot is what the adapter of one webhook robot knows: its defaults, how to build and sign a
// request, and how to read the answer. RobotSender does the rest: route → render and sign → post
// → classify, with redaction and the shared HTTP rules (timeouts, no redirects).
type Robot struct {
	Name         string
	Rate         string             // default rate
	ThrottleWait string             // default wait after a rate-limit answer without its own wait
	Check        Check              // what the robot would refuse, before enqueue
	CheckURL     func(string) error // nil: CheckURL (https, except loopback)
	// Request renders m for hook, signed at now when hook.Secret is set. Its error is permanent.
	// A robot that does not sign may give Render instead: the body, posted to the hook as is.
	Request func(m *mailbox.Message, hook Hook, now time.Time) (*Request, error)
	Render  func(m *mailbox.Message) (any, error)
	// Classify maps the answer to nil (only the provider's documented success) or a *Failure.
	Classify func(resp *Response, a Answer) error
}

// Request is one POST to a webhook robot.
type Request struct {
	URL     string
	Body    any      // as PostJSON takes it
	Derived []string // credentials computed for this request (a sign): no error may quote them
}

// Answer is what Robot.Classify may use besides the response.
type Answer struct {
	Now      time.Time
	Throttle time.Duration // throttle_wait
	Red      *Redactor     // knows the section's secrets and the request's Derived ones
}

// RobotSender sends through one webhook robot protocol. Safe for concurrent use; every Send
// honours ctx and the client's timeout.
type RobotSender struct {
	robot    Robot
	def      Hook
	channels map[string]Hook
	base     Base
}

// NewRobot validates cfg without echoing a secret (a default webhook or at least one channel,
// every URL accepted by r.CheckURL, throttle_wait a duration) and returns its sender.
func NewRobot(r Robot, cfg RobotSection, opts Options) (*RobotSender, error) {
	def, chs := cfg.hooks()
	check := r.CheckURL
	if check == nil {
		check = CheckURL
	}
	if def.Webhook == "" && len(chs) == 0 {
		return nil, fmt.Errorf("%s: webhook: required (or at least one channel)", r.Name)
	}
	if def.Webhook != "" {
		if err := check(def.Webhook); err != nil {
			return nil, fmt.Errorf("%s: webhook: %w", r.Name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(chs)) {
		if err := check(chs[name].Webhook); err != nil {
			return nil, fmt.Errorf("%s: channels.%s.webhook: %w", r.Name, name, err)
		}
	}
	throttle, err := ThrottleWait(cfg.Settings().ThrottleWait, r.ThrottleWait)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Name, err)
	}
	return &RobotSender{robot: r, def: def, channels: chs, base: NewBase(opts, throttle, RobotSecrets(cfg))}, nil
}

// Send posts m to the robot its `to` selects: a configured channel alias, else the default
// webhook (the `to` entry is then only a label: a robot posts to its own group). Several
// different aliases in one message are a permanent error (courier fans out one message per
// alias). Robots return no message id, so the id is always "". Errors are redacted.
func (s *RobotSender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	return "", s.base.Red.Error(s.send(ctx, m))
}

func (s *RobotSender) send(ctx context.Context, m *mailbox.Message) error {
	name := s.robot.Name
	hook, err := Route(name, "webhook", m.To, s.channels, s.def, s.def.Webhook != "")
	if err != nil {
		return err
	}
	req, err := s.request(m, hook)
	if err != nil {
		return Permanent("%s: %v", name, err)
	}
	red := s.base.Red
	if len(req.Derived) > 0 {
		red = red.With(req.Derived...)
	}
	resp, err := PostJSON(ctx, s.base.Client, req.URL, req.Body, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return red.Error(s.robot.Classify(resp, Answer{Now: s.base.Now(), Throttle: s.base.Throttle, Red: red}))
}

func (s *RobotSender) request(m *mailbox.Message, hook Hook) (*Request, error) {
	if s.robot.Request != nil {
		return s.robot.Request(m, hook, s.base.Now())
	}
	body, err := s.robot.Render(m)
	return &Request{URL: hook.Webhook, Body: body}, err
}

// RobotDescriptor describes a webhook robot whose section is a C to the provider registry:
// channel aliases fan out, the secrets are RobotSecrets, the sender is a RobotSender.
func RobotDescriptor[C RobotSection](r Robot) Descriptor {
	return Spec[C]{Name: r.Name, Fanout: true, Check: r.Check, Rate: r.Rate, ThrottleWait: r.ThrottleWait,
		Channels: func(c C) []string { _, chs := c.hooks(); return Keys(chs) },
		Secrets:  func(c C) []string { return RobotSecrets(c) },
		New: func(c C, env Env) (Sender, error) {
			s, err := NewRobot(r, c, Options{Client: env.Client})
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}.Descriptor()
}
