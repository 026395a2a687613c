package mailbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// SealState is what Verify found.
type SealState int

// Seal states.
const (
	Sealed   SealState = iota // the seal matches
	Unsealed                  // no seal: not enqueued by courier
	Tampered                  // a seal that does not match: edited after enqueue, or a foreign key
)

func (s SealState) String() string {
	return [...]string{"sealed", "unsealed", "tampered"}[s]
}

const sealPrefix = "v1:"

// Sealer computes and checks message seals with the mailbox's key.
type Sealer struct{ key []byte }

// LoadSealer reads the key at path, creating it (32 random bytes, hex, mode 0600) on first use.
// Concurrent first uses agree on one key: the key file is hard-linked into place, never overwritten.
func LoadSealer(path string) (*Sealer, error) {
	k, err := loadSecret(path)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return &Sealer{key: k}, nil
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("%s is corrupt", path)
	}
	return k, nil
}

// Sum is the seal value for m: HMAC-SHA256 over the canonical JSON of every field except the
// watcher-updated ones, then a newline, then the body. It is "" when the fields have no canonical
// JSON (metadata with NaN, infinities or keys that collide as strings): such a message cannot be sealed, and
// a seal on it never verifies.
func (s *Sealer) Sum(m *Message) string {
	view := *m
	view.Status, view.RetryCount, view.NextRetryAt, view.SentAt, view.FailedAt = "", 0, nil, nil, nil
	view.ErrorMessage, view.ProviderMessageID, view.DueSince, view.Attempts, view.Seal = nil, "", nil, nil, ""
	if view.To == nil {
		view.To = []string{} // written as `to: []`, which reads back empty, not nil
	}
	canon, err := json.Marshal(&view)
	if err != nil {
		return ""
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write(canon)
	mac.Write([]byte{'\n'})
	mac.Write([]byte(m.Body))
	return sealPrefix + hex.EncodeToString(mac.Sum(nil))
}

// Seal sets m.Seal ("" when m cannot be sealed, see Sum).
func (s *Sealer) Seal(m *Message) { m.Seal = s.Sum(m) }

// Verify tells whether m carries a valid seal.
func (s *Sealer) Verify(m *Message) SealState {
	if m.Seal == "" {
		return Unsealed
	}
	if sum := s.Sum(m); sum != "" && hmac.Equal([]byte(m.Seal), []byte(sum)) {
		return Sealed
	}
	return Tampered
}
