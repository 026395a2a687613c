package teams

import (
	"errors"
	"strings"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// TestPayloadLimitBoundary: a rendered message of exactly MaxPayloadBytes passes, one byte more fails.
func TestPayloadLimitBoundary(t *testing.T) {
	t.Parallel()
	m := func(n int) *mailbox.Message {
		return &mailbox.Message{ContentType: mailbox.ContentText, Body: strings.Repeat("x", n)}
	}
	p, err := payload(m(1))
	if err != nil {
		t.Fatal(err)
	}
	fits := MaxPayloadBytes - (len(p) - 1)
	if p, err := payload(m(fits)); err != nil || len(p) != MaxPayloadBytes {
		t.Fatalf("%d-byte body: %d bytes rendered, err %v; want exactly %d", fits, len(p), err, MaxPayloadBytes)
	}
	if err := Check(m(fits)); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	err = Check(m(fits + 1))
	var ce *adapters.CheckError
	if !errors.As(err, &ce) || ce.Field != "body" {
		t.Errorf("one byte over: got %v, want a body error", err)
	}
}
