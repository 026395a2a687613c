package slack

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const (
	hookPath = "/services/T0TEST0001/B0TEST0002/"
	hookTok  = "xHookSecretToken0123456789"
	botTok   = "xoxb-1111-2222-bot-secret-token"
	postedTS = "1503435956.000247"
)

// recorded is one request as the fake saw it.
type recorded struct {
	api  string // "webhook" or "chat.postMessage"
	hook string // webhook token in the path
	body map[string]any
}

// fakeSlack plays Slack's incoming webhooks (/services/T/B/<token>) and Web API
// (/api/chat.postMessage). It checks each request as Slack does and answers with Slack's own
// error shapes when the request is wrong; otherwise it answers with the scripted reply.
type fakeSlack struct {
	t *testing.T
	// hooks are the valid webhook tokens.
	hooks map[string]bool
	// reply answers a valid request (nil: success).
	reply func(w http.ResponseWriter, api string)

	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, reply func(w http.ResponseWriter, api string)) (*fakeSlack, *httptest.Server) {
	f := &fakeSlack{t: t, hooks: map[string]bool{hookTok: true, "aliasHookToken99": true}, reply: reply}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSlack) got() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func apiJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	jsonErr := json.Unmarshal(raw, &body)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case strings.HasPrefix(r.URL.Path, hookPath):
		tok := strings.TrimPrefix(r.URL.Path, hookPath)
		switch {
		case r.Method != http.MethodPost:
			text(w, 405, "invalid_method")
			return
		case !f.hooks[tok]:
			text(w, 404, "no_service")
			return
		case ct != "application/json" || jsonErr != nil:
			text(w, 400, "invalid_payload")
			return
		}
		blocks, _ := body["blocks"].([]any)
		if t, _ := body["text"].(string); t == "" && len(blocks) == 0 {
			text(w, 400, "no_text")
			return
		}
		if len(blocks) > 50 {
			text(w, 400, "invalid_blocks")
			return
		}
		f.record(recorded{api: "webhook", hook: tok, body: body})
		if f.reply != nil {
			f.reply(w, "webhook")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "ok")
	case r.URL.Path == "/api/chat.postMessage":
		auth := r.Header.Get("Authorization")
		switch {
		case auth == "":
			apiJSON(w, map[string]any{"ok": false, "error": "not_authed"})
			return
		case auth != "Bearer "+botTok:
			apiJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		case ct != "application/json" || jsonErr != nil:
			apiJSON(w, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
		ch, _ := body["channel"].(string)
		blocks, _ := body["blocks"].([]any)
		if t, _ := body["text"].(string); t == "" && len(blocks) == 0 {
			apiJSON(w, map[string]any{"ok": false, "error": "no_text"})
			return
		}
		if ch == "" {
			apiJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		f.record(recorded{api: "chat.postMessage", body: body})
		if f.reply != nil {
			f.reply(w, "chat.postMessage")
			return
		}
		apiJSON(w, map[string]any{"ok": true, "channel": ch, "ts": postedTS,
			"message": map[string]any{"type": "message", "text": body["text"], "ts": postedTS}})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeSlack) record(r recorded) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
}
