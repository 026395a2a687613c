package lark

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/adapters"
)

// fakeBot behaves like open.feishu.cn/open-apis/bot/v2/hook/<token>: it checks the hook token,
// Content-Type, body size, the signature in the JSON body (timestamp in seconds within 1 h), and
// the msg_type shape, answering Lark's real error codes with HTTP 200; otherwise it answers the
// scripted reply.
type fakeBot struct {
	t       *testing.T
	token   string
	secret  string
	lenient bool

	mu     sync.Mutex
	status int
	reply  string
	bodies [][]byte
}

func newFakeBot(t *testing.T, token, secret string) (*fakeBot, *httptest.Server) {
	f := &fakeBot{t: t, token: token, secret: secret}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeBot) url(srv *httptest.Server) string {
	return srv.URL + "/open-apis/bot/v2/hook/" + f.token
}

func (f *fakeBot) script(status int, reply string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.reply = status, reply
}

func (f *fakeBot) requests() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.bodies...)
}

func larkAnswer(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"code":%d,"msg":%q,"data":{}}`, code, msg)
}

func (f *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	status, reply := f.status, f.reply
	f.mu.Unlock()
	if problem, code, msg := f.verify(r, body); problem != "" {
		if !f.lenient {
			f.t.Errorf("fake lark: %s", problem)
		}
		larkAnswer(w, code, msg)
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	if reply == "" {
		reply = `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func (f *fakeBot) verify(r *http.Request, body []byte) (string, int, string) {
	const signMsg = "sign match fail or timestamp is not within one hour from current time"
	if r.Method != http.MethodPost {
		return "method " + r.Method, 9499, "Bad Request"
	}
	if r.URL.Path != "/open-apis/bot/v2/hook/"+f.token {
		return "wrong hook token", 19001, "param invalid: incoming webhook access token invalid"
	}
	var p map[string]any
	if r.Header.Get("Content-Type") != "application/json; charset=utf-8" || json.Unmarshal(body, &p) != nil {
		return "not a JSON object with Content-Type application/json", 9499, "Bad Request"
	}
	if len(body) > MaxBody {
		return "body too large", 9499, "Bad Request"
	}
	if f.secret != "" {
		ts, _ := p["timestamp"].(string)
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(n, 0)).Abs() > time.Hour {
			return "timestamp not seconds (string) within 1 h: " + ts, 19021, signMsg
		}
		if sig, _ := p["sign"].(string); !hmac.Equal([]byte(sig), []byte(sign(f.secret, n))) {
			return "sign does not match", 19021, signMsg
		}
	} else if _, ok := p["sign"]; ok {
		return "signed although the bot has no secret", 19021, signMsg
	}
	switch mt, _ := p["msg_type"].(string); mt {
	case "text":
		c, _ := p["content"].(map[string]any)
		if s, _ := c["text"].(string); strings.TrimSpace(s) == "" {
			return "content.text empty", 9499, "Bad Request"
		}
	case "post":
		c, _ := p["content"].(map[string]any)
		if _, ok := c["post"].(map[string]any); !ok {
			return "content.post missing", 9499, "Bad Request"
		}
	case "interactive":
		if c, _ := p["card"].(map[string]any); len(c) == 0 {
			return "card missing (must be top-level, not in content)", 9499, "Bad Request"
		}
	default:
		return "msg_type " + mt, 9499, "Bad Request"
	}
	return "", 0, ""
}

// Sender and New build the sender the provider registry builds (Descriptor).
type Sender = adapters.RobotSender

func New(cfg Config, opts adapters.Options) (*Sender, error) {
	return adapters.NewRobot(robot(), cfg, opts)
}
