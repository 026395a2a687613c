package drafts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// StampInfo is where the drafts of a run come from.
type StampInfo struct {
	Item   Item   // the current work item; a draft inside another item's drafts directory gets that item
	Branch string // current branch ("" when detached)
	Commit string // HEAD commit ("" on an unborn branch)
}

// stamper stamps the drafts of one run: it hands out strictly increasing created_at values and looks
// reply_to messages up in inbound/ and archive/ once per run.
type stamper struct {
	mb        *mailbox.Mailbox
	patterns  []Pattern
	providers map[string]ProviderInfo
	info      StampInfo
	last      time.Time
	replies   map[string]string // id or provider_message_id → correlation_id; nil until needed
}

// next returns now at millisecond precision, at least 1 ms after the previous value of this run.
func (s *stamper) next(now time.Time) time.Time {
	t := now.UTC().Truncate(time.Millisecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Millisecond)
	}
	s.last = t
	return t
}

// stamp turns a validated draft into its outbound messages (several when `to` fans out), created at
// now. Without force the ids are derived from the draft version, so a re-delivery after a crash
// reproduces them.
func (s *stamper) stamp(d *Draft, now time.Time, force bool) ([]*mailbox.Message, error) {
	groups := s.fanout(d.Msg)
	item := s.info.Item
	if it, ok := ItemForPath(d.Path, s.patterns); ok {
		item = it
	}
	corr := d.Msg.CorrelationID
	if corr == "" && d.Msg.ReplyTo != "" {
		c, err := s.inherit(d.Msg.ReplyTo)
		if err != nil {
			return nil, err
		}
		corr = c
	}
	var key []byte
	if !force {
		k, err := s.mb.IDKey()
		if err != nil {
			return nil, err
		}
		key = k
	}
	out := make([]*mailbox.Message, 0, len(groups))
	for i, g := range groups {
		m := cloneMessage(d.Msg)
		m.To = g.to
		created := now
		if i > 0 {
			created = s.next(now)
		}
		if force {
			m.ID = mailbox.NewID(m.Provider)
		} else {
			m.ID = deterministicID(key, d.Path, d.blob(), m.Provider, g.alias)
		}
		if corr == "" {
			corr = generatedCorrelation(item, d.Path, created)
		}
		m.CorrelationID = corr
		m.Direction = "outbound"
		m.CreatedAt = mailbox.At(created)
		m.Status = mailbox.StatusPending
		m.RetryCount = 0
		m.NextRetryAt = nil
		if m.Options != nil && m.Options.ScheduleAt != nil {
			t := *m.Options.ScheduleAt
			m.NextRetryAt = &t
		}
		m.SentAt, m.ErrorMessage = nil, nil
		m.Source = &mailbox.Source{Item: item.ID, Branch: s.info.Branch, Commit: s.info.Commit,
			Draft: d.Path, DraftBlob: d.blob()}
		out = append(out, m)
	}
	return out, nil
}

type fanGroup struct {
	alias string // "" for the group of plain ids, or when nothing fans out
	to    []string
}

// fanout splits `to` on a fan-out provider: each channel alias becomes its own message, and the
// remaining plain ids (sent through the provider's default webhook) one more. Otherwise one message.
func (s *stamper) fanout(m *mailbox.Message) []fanGroup {
	info := s.providers[m.Provider]
	if !info.Fanout || len(m.To) < 2 {
		return []fanGroup{{to: m.To}}
	}
	var groups []fanGroup
	var plain []string
	seen := map[string]bool{}
	for _, t := range m.To {
		if contains(info.Channels, t) {
			if !seen[t] {
				seen[t] = true
				groups = append(groups, fanGroup{alias: t, to: []string{t}})
			}
			continue
		}
		plain = append(plain, t)
	}
	if len(plain) > 0 {
		groups = append(groups, fanGroup{to: plain})
	}
	if len(groups) < 2 {
		return []fanGroup{{to: m.To}}
	}
	return groups
}

// deterministicID is out_{provider}_{12 hex}, the hex from HMAC-SHA256 keyed by the repository's id
// key over the draft version (draft path, blob id), the provider and the fan-out alias: the same in
// every run of one repository, different in another (docs/protocol.md, "Ids").
func deterministicID(key []byte, draft, blob, provider, alias string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(draft + "\x00" + blob + "\x00" + provider + "\x00" + alias))
	return "out_" + provider + "_" + hex.EncodeToString(mac.Sum(nil)[:6])
}

var unsafeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9.-]+`) })

// generatedCorrelation is {category}_{ITEM}_{YYYYMMDDTHHMMSSZ}; a draft outside any work item uses
// draft_{file stem}_{…}.
func generatedCorrelation(it Item, draftPath string, t time.Time) string {
	ts := t.UTC().Format("20060102T150405Z")
	if it.ID == "" {
		stem := strings.TrimSuffix(path.Base(draftPath), ".md")
		return "draft_" + unsafeRe().ReplaceAllString(stem, "-") + "_" + ts
	}
	return it.Category + "_" + it.ID + "_" + ts
}

// inherit returns the correlation_id of the inbound or archived message whose id or
// provider_message_id is replyTo, or "" when courier has none.
func (s *stamper) inherit(replyTo string) (string, error) {
	if s.replies == nil {
		ents, err := s.mb.List(mailbox.Inbound, mailbox.Archive)
		if err != nil {
			return "", fmt.Errorf("look up reply_to: %w", err)
		}
		s.replies = map[string]string{}
		byPMID := map[string]string{}
		for _, e := range ents {
			m, err := mailbox.Read(e.Path)
			if err != nil || m.CorrelationID == "" {
				continue // an unreadable file is the watcher's business, not a reason to fail delivery
			}
			if _, ok := s.replies[m.ID]; !ok && m.ID != "" {
				s.replies[m.ID] = m.CorrelationID
			}
			if _, ok := byPMID[m.ProviderMessageID]; !ok && m.ProviderMessageID != "" {
				byPMID[m.ProviderMessageID] = m.CorrelationID
			}
		}
		for k, v := range byPMID { // an id match wins over a provider_message_id match
			if _, ok := s.replies[k]; !ok {
				s.replies[k] = v
			}
		}
	}
	return s.replies[replyTo], nil
}

// cloneMessage copies m deeply enough that stamping one fan-out copy never touches another.
func cloneMessage(m *mailbox.Message) *mailbox.Message {
	c := *m
	c.To = append([]string(nil), m.To...)
	if m.Options != nil {
		o := *m.Options
		c.Options = &o
	}
	return &c
}
