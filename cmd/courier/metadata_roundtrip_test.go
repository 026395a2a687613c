package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/webhook"
	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// TestMetadataRoundTripToWebhook follows a draft's metadata through deliver → message file → parse →
// the generic webhook's JSON: an integer beyond 2^53 stays that integer all the way, 0x1F stays 0x1F
// in the file, "007" stays a string, an integer key stays an integer key in the file.
func TestMetadataRoundTripToWebhook(t *testing.T) {
	t.Parallel()
	v, err := drafts.NewValidator(drafts.Config{Providers: map[string]drafts.ProviderInfo{"webhook": {}},
		Checks: map[string]func(*mailbox.Message) error{"webhook": webhook.Check}})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := mailbox.Open(filepath.Join(t.TempDir(), "mailbox"))
	if err != nil {
		t.Fatal(err)
	}
	d := &drafts.Deliverer{Mailbox: mb, Validator: v}
	draft := "---\nprovider: webhook\nto: hook\nmetadata:\n  big: 123456789012345678901234567890\n  hex: 0x1F\n" +
		"  zip: \"007\"\n  1: one\n  ratio: 0.5\n---\nbody\n"
	res, err := d.Deliver(context.Background(), []drafts.Input{{Path: "Issues/Features/work/FEAT-0001/drafts/m.md",
		Content: []byte(draft)}}, drafts.Options{})
	if err != nil || len(res.Delivered) != 1 {
		t.Fatalf("deliver: %v %+v %v", err, res, res.Invalid)
	}
	m, err := mailbox.Read(res.Delivered[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	file, err := mailbox.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"big: 123456789012345678901234567890\n", "hex: 0x1F\n", "zip: \"007\"\n", "1: one\n"} {
		if !strings.Contains(string(file), want) {
			t.Errorf("message file lacks %q:\n%s", want, file)
		}
	}

	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	s, err := webhook.New(webhook.Config{URL: srv.URL}, adapters.Options{Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Data struct {
			Metadata json.RawMessage `json:"metadata"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	const want = `{"1":"one","big":123456789012345678901234567890,"hex":31,"ratio":0.5,"zip":"007"}`
	if string(ev.Data.Metadata) != want {
		t.Errorf("webhook data.metadata\n got %s\nwant %s", ev.Data.Metadata, want)
	}
}
