package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// EventType is the `type` of every event courier posts.
const EventType = "courier.message"

// event is the Standard Webhooks payload: {"type", "timestamp", "data"}.
type event struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      data   `json:"data"`
}

// data is the message: its draft and stamped fields (not the watcher's bookkeeping) plus the body.
type data struct {
	ID            string                `json:"id"`
	Provider      string                `json:"provider"`
	To            []string              `json:"to"`
	Cc            []string              `json:"cc,omitempty"`
	Bcc           []string              `json:"bcc,omitempty"`
	Subject       string                `json:"subject,omitempty"`
	ContentType   string                `json:"content_type"`
	ReplyTo       string                `json:"reply_to,omitempty"`
	ThreadKey     string                `json:"thread_key,omitempty"`
	ThreadRoot    string                `json:"thread_root,omitempty"`
	Session       *mailbox.Session      `json:"session,omitempty"`
	Participants  *mailbox.Participants `json:"participants,omitempty"`
	Mentions      []mailbox.Mention     `json:"mentions,omitempty"`
	CorrelationID string                `json:"correlation_id,omitempty"`
	Options       *mailbox.Options      `json:"options,omitempty"`
	Metadata      map[string]any        `json:"metadata,omitempty"`
	Direction     string                `json:"direction,omitempty"`
	CreatedAt     *mailbox.Time         `json:"created_at,omitempty"`
	Source        *mailbox.Source       `json:"source,omitempty"`
	Body          string                `json:"body"`
}

// render encodes m as a courier.message event stamped with now.
func render(m *mailbox.Message, now time.Time) ([]byte, error) {
	ct := adapters.ContentType(m)
	d := data{ID: m.ID, Provider: m.Provider, To: m.To, Cc: m.Cc, Bcc: m.Bcc, Subject: m.Subject,
		ContentType: ct, ReplyTo: m.ReplyTo, ThreadKey: m.ThreadKey, ThreadRoot: m.ThreadRoot,
		Session: m.Session, Participants: m.Participants, Mentions: m.Mentions,
		CorrelationID: m.CorrelationID, Options: m.Options, Metadata: m.Metadata.Values(),
		Direction: m.Direction, Source: m.Source, Body: m.Body}
	if d.To == nil {
		d.To = []string{}
	}
	if !m.CreatedAt.IsZero() {
		d.CreatedAt = &m.CreatedAt
	}
	return adapters.MarshalJSON(event{Type: EventType, Timestamp: now.UTC().Format(time.RFC3339), Data: d})
}

// signature is the webhook-signature value: "v1," + base64(HMAC-SHA256(key, id.timestamp.body)).
func signature(key []byte, id string, ts int64, body []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	h.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Check accepts every message: the generic webhook carries any content type and the receiver
// defines its own limits (Standard Webhooks only recommends staying under 20 KB). It exists so
// that every adapter exposes the same API.
func Check(m *mailbox.Message) error { return nil }
