package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake records what a fake provider received; check returns "" when a request follows the protocol.
type fake struct {
	mu       sync.Mutex
	requests int
	problems []string
}

func (f *fake) record(problem string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if problem != "" {
		f.problems = append(f.problems, problem)
	}
}

func (f *fake) verify(t *testing.T, want int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests != want {
		t.Errorf("the fake provider saw %d requests, want %d", f.requests, want)
	}
	for _, p := range f.problems {
		t.Errorf("protocol violation: %s", p)
	}
}

func hmacB64(key, msg []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// withinMinute reports whether a unix timestamp (seconds or, if ms, milliseconds) is near now.
func nearNow(ts string, ms bool) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	now := time.Now()
	at := time.Unix(n, 0)
	if ms {
		at = time.UnixMilli(n)
	}
	return at.After(now.Add(-time.Minute)) && at.Before(now.Add(time.Minute))
}

// httpFake starts a loopback server; handle checks a request and returns a problem ("" if fine),
// the status and the body to answer.
func httpFake(t *testing.T, handle func(r *http.Request, body []byte) (problem string, status int, answer string)) (*httptest.Server, *fake) {
	t.Helper()
	f := &fake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		problem, status, answer := handle(r, body)
		if r.Method != http.MethodPost {
			problem = strings.TrimSpace(problem + " method " + r.Method + ", want POST")
		}
		f.record(problem)
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("fake is not on loopback: %s", srv.URL)
	}
	return srv, f
}

func decodeJSON(body []byte) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return m
}

const (
	dtToken  = "dt-token-5f3a9c"
	dtSecret = "SECdingtalk-secret-77e1"
)

// dingtalkFake implements a DingTalk custom robot: access_token, and timestamp+sign verified with
// HMAC-SHA256 over "timestamp\nsecret". errcode decides the answer.
func dingtalkFake(t *testing.T, errcode int) (*httptest.Server, *fake) {
	return httpFake(t, func(r *http.Request, body []byte) (string, int, string) {
		var problems []string
		q := r.URL.Query()
		if q.Get("access_token") != dtToken {
			problems = append(problems, "access_token = "+q.Get("access_token"))
		}
		ts := q.Get("timestamp")
		if !nearNow(ts, true) {
			problems = append(problems, "timestamp not a current millisecond time: "+ts)
		}
		if want := hmacB64([]byte(dtSecret), []byte(ts+"\n"+dtSecret)); q.Get("sign") != want {
			problems = append(problems, "sign mismatch")
		}
		if m := decodeJSON(body); m["msgtype"] != "markdown" {
			problems = append(problems, fmt.Sprintf("msgtype %v, want markdown", m["msgtype"]))
		} else if md, _ := m["markdown"].(map[string]any); md["title"] == "" || md["title"] == nil || !strings.Contains(fmt.Sprint(md["text"]), "green") {
			problems = append(problems, fmt.Sprintf("markdown = %v", md))
		}
		if errcode != 0 {
			return strings.Join(problems, "; "), 200, fmt.Sprintf(`{"errcode":%d,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq] access_token=%s"}`, errcode, dtToken)
		}
		return strings.Join(problems, "; "), 200, `{"errcode":0,"errmsg":"ok"}`
	})
}

// providerCase is one provider's end-to-end setup.
type providerCase struct {
	name  string
	draft string
	// start runs the fake and returns the provider's config section (YAML, indented under providers:),
	// the environment, and a check of the fake after the run.
	start func(t *testing.T, repo string) (section string, env map[string]string, verify func(t *testing.T))
}

func providerCases() []providerCase {
	const markdown = "---\nprovider: %s\nto: %s\nsubject: Build status\ncontent_type: markdown\n---\n# Build\n\nBuild **#412** is green.\n"
	return []providerCase{
		{name: "dingtalk", draft: fmt.Sprintf(markdown, "dingtalk", "ops"),
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				srv, f := dingtalkFake(t, 0)
				sec := "  dingtalk:\n    webhook: \"" + srv.URL + "/robot/send?access_token=${DT_TOKEN}\"\n    secret: \"${DT_SECRET}\"\n"
				return sec, map[string]string{"DT_TOKEN": dtToken, "DT_SECRET": dtSecret}, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "lark", draft: fmt.Sprintf(markdown, "lark", "oc_chat"),
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				const hook, secret = "hook-1c2b", "lark-secret-9d"
				srv, f := httpFake(t, func(r *http.Request, body []byte) (string, int, string) {
					var problems []string
					if r.URL.Path != "/open-apis/bot/v2/hook/"+hook {
						problems = append(problems, "path "+r.URL.Path)
					}
					m := decodeJSON(body)
					ts, _ := m["timestamp"].(string)
					if !nearNow(ts, false) {
						problems = append(problems, fmt.Sprintf("timestamp %v is not a current time in seconds (a JSON string)", m["timestamp"]))
					}
					if want := hmacB64([]byte(ts+"\n"+secret), nil); m["sign"] != want {
						problems = append(problems, "sign mismatch")
					}
					if m["msg_type"] == nil {
						problems = append(problems, "no msg_type")
					}
					return strings.Join(problems, "; "), 200, `{"code":0,"msg":"success","data":{}}`
				})
				sec := "  lark:\n    webhook: \"" + srv.URL + "/open-apis/bot/v2/hook/${LARK_HOOK}\"\n    secret: \"${LARK_SECRET}\"\n"
				return sec, map[string]string{"LARK_HOOK": hook, "LARK_SECRET": secret}, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "wecom", draft: fmt.Sprintf(markdown, "wecom", "ops"),
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				const key = "wecom-key-0e4f"
				srv, f := httpFake(t, func(r *http.Request, body []byte) (string, int, string) {
					var problems []string
					if r.URL.Query().Get("key") != key {
						problems = append(problems, "key = "+r.URL.Query().Get("key"))
					}
					m := decodeJSON(body)
					if m["msgtype"] != "markdown" {
						problems = append(problems, fmt.Sprintf("msgtype %v", m["msgtype"]))
					}
					return strings.Join(problems, "; "), 200, `{"errcode":0,"errmsg":"ok"}`
				})
				sec := "  wecom:\n    webhook: \"" + srv.URL + "/cgi-bin/webhook/send?key=${WECOM_KEY}\"\n"
				return sec, map[string]string{"WECOM_KEY": key}, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "slack", draft: fmt.Sprintf(markdown, "slack", "general"),
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				srv, f := httpFake(t, func(r *http.Request, body []byte) (string, int, string) {
					var problems []string
					if r.URL.Path != "/services/T000/B000/xyz" {
						problems = append(problems, "path "+r.URL.Path)
					}
					if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
						problems = append(problems, "content type "+r.Header.Get("Content-Type"))
					}
					if text, _ := decodeJSON(body)["text"].(string); !strings.Contains(text, "green") {
						problems = append(problems, "text "+text)
					}
					return strings.Join(problems, "; "), 200, "ok"
				})
				sec := "  slack:\n    webhook: \"${SLACK_WEBHOOK_URL}\"\n"
				return sec, map[string]string{"SLACK_WEBHOOK_URL": srv.URL + "/services/T000/B000/xyz"}, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "teams", draft: fmt.Sprintf(markdown, "teams", "general"),
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				srv, f := httpFake(t, func(r *http.Request, body []byte) (string, int, string) {
					var p struct {
						Type        string `json:"type"`
						Attachments []struct {
							ContentType string         `json:"contentType"`
							Content     map[string]any `json:"content"`
						} `json:"attachments"`
					}
					if err := json.Unmarshal(body, &p); err != nil || p.Type != "message" || len(p.Attachments) != 1 ||
						p.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
						p.Attachments[0].Content["type"] != "AdaptiveCard" {
						return "not an adaptive card message: " + string(body), 400, "bad"
					}
					return "", 202, ""
				})
				sec := "  teams:\n    webhook: \"${TEAMS_WEBHOOK_URL}\"\n"
				return sec, map[string]string{"TEAMS_WEBHOOK_URL": srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=s1g"}, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "webhook", draft: "---\nprovider: webhook\nto: anyone\n---\nBuild #412 is green.\n",
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				key := []byte("standard-webhooks-key-32-bytes!!")
				b64 := base64.StdEncoding.EncodeToString(key)
				srv, f := httpFake(t, func(r *http.Request, body []byte) (string, int, string) {
					var problems []string
					id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
					if !strings.HasPrefix(id, "out_webhook_") {
						problems = append(problems, "webhook-id "+id)
					}
					if !nearNow(ts, false) {
						problems = append(problems, "webhook-timestamp "+ts)
					}
					want := "v1," + hmacB64(key, []byte(id+"."+ts+"."+string(body)))
					found := false
					for _, s := range strings.Fields(r.Header.Get("webhook-signature")) {
						found = found || s == want
					}
					if !found {
						problems = append(problems, "webhook-signature mismatch")
					}
					m := decodeJSON(body)
					data, _ := m["data"].(map[string]any)
					if m["type"] != "courier.message" || data == nil || !strings.Contains(fmt.Sprint(data["body"]), "green") {
						problems = append(problems, "payload "+string(body))
					}
					return strings.Join(problems, "; "), 200, ""
				})
				sec := "  webhook:\n    url: \"" + srv.URL + "/hook\"\n    secret: \"whsec_${WEBHOOK_SECRET_B64}\"\n"
				return sec, map[string]string{"WEBHOOK_SECRET_B64": b64}, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "email", draft: "---\nprovider: email\nto: alice@example.com\nsubject: \"Build #412\"\n---\nBuild #412 is green.\n",
			start: func(t *testing.T, _ string) (string, map[string]string, func(*testing.T)) {
				addr, f := smtpFake(t)
				sec := "  email:\n    smtp: \"smtp://" + addr + "\"\n    from: \"Courier <bot@example.com>\"\n"
				return sec, nil, func(t *testing.T) { f.verify(t, 1) }
			}},
		{name: "file", draft: "---\nprovider: file\nto: local\n---\nBuild #412 is green.\n",
			start: func(t *testing.T, repo string) (string, map[string]string, func(*testing.T)) {
				return "  file: {dir: .monoco/outbox-local}\n", nil, func(t *testing.T) {
					got, _ := filepath.Glob(filepath.Join(repo, ".monoco", "outbox-local", "*.md"))
					if len(got) != 1 {
						t.Fatalf("file provider wrote %d files, want 1: %v", len(got), got)
					}
					if !strings.Contains(readFile(t, got[0]), "green") {
						t.Errorf("%s lacks the body", got[0])
					}
				}
			}},
	}
}
