package dingtalk

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/monoco/courier/adapters"
)

// fakeRobot behaves like oapi.dingtalk.com/robot/send for one robot: it checks the method,
// access_token, Content-Type, signature (timestamp in ms within 1 h, sign compared after
// query-decoding), msgtype and required keys, and body size, answering DingTalk's real error
// codes with HTTP 200; otherwise it answers the scripted reply.
type fakeRobot struct {
	t       *testing.T
	token   string
	secret  string
	lenient bool // protocol errors are expected: answer them without failing the test

	mu     sync.Mutex
	status int    // HTTP status of the scripted reply (0: 200)
	reply  string // scripted reply body (""  : {"errcode":0,"errmsg":"ok"})
	header http.Header
	bodies [][]byte
	paths  []string
}

func newFakeRobot(t *testing.T, token, secret string) (*fakeRobot, *httptest.Server) {
	f := &fakeRobot{t: t, token: token, secret: secret}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRobot) url(srv *httptest.Server) string {
	return srv.URL + "/robot/send?access_token=" + f.token
}

func (f *fakeRobot) script(status int, reply string, h http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.reply, f.header = status, reply, h
}

func (f *fakeRobot) requests() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.bodies...)
}

func dtAnswer(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"errcode":%d,"errmsg":%q}`, code, msg)
}

func (f *fakeRobot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.paths = append(f.paths, r.URL.String())
	status, reply, hdr := f.status, f.reply, f.header
	f.mu.Unlock()
	if problem, code, msg := f.verify(r, body); problem != "" {
		if !f.lenient {
			f.t.Errorf("fake dingtalk: %s", problem)
		}
		dtAnswer(w, code, msg)
		return
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if status == 0 {
		status = http.StatusOK
	}
	if reply == "" {
		reply = `{"errcode":0,"errmsg":"ok"}`
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func (f *fakeRobot) verify(r *http.Request, body []byte) (problem string, code int, msg string) {
	q := r.URL.Query()
	switch {
	case r.Method != http.MethodPost:
		return "method " + r.Method, 43002, "需要POST请求"
	case q.Get("access_token") == "":
		return "access_token missing", 40035, "缺少参数 access_token"
	case q.Get("access_token") != f.token:
		return "wrong access_token", 300005, "token is not exist"
	case r.Header.Get("Content-Type") != "application/json; charset=utf-8":
		return "content type " + r.Header.Get("Content-Type"), 43004, "无效的HTTP HEADER Content-Type"
	}
	if f.secret != "" {
		ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Hour {
			return "timestamp missing or not ms within 1 h: " + q.Get("timestamp"), 310000, "invalid timestamp"
		}
		if !hmac.Equal([]byte(q.Get("sign")), []byte(sign(f.secret, ts))) {
			return "sign does not match", 310000, "sign not match"
		}
	} else if q.Has("sign") {
		return "signed although the robot has no secret", 310000, "sign not match"
	}
	var p map[string]any
	if json.Unmarshal(body, &p) != nil {
		return "body is not a JSON object", 40035, "缺少参数 json"
	}
	required := map[string][]string{"text": {"content"}, "markdown": {"title", "text"}, "actionCard": {"title", "text"}}
	mt, _ := p["msgtype"].(string)
	keys, ok := required[mt]
	if !ok {
		return "msgtype " + mt, 400105, "不支持的消息类型"
	}
	inner, _ := p[mt].(map[string]any)
	for _, k := range keys {
		if s, _ := inner[k].(string); s == "" {
			return mt + "." + k + " missing", 40035, "缺少参数 " + k
		}
	}
	if len(body) > MaxBody {
		return "body too large", 460101, "body 大小不合法"
	}
	return "", 0, ""
}

// Sender and New build the sender the provider registry builds (Descriptor).
type Sender = adapters.RobotSender

func New(cfg Config, opts adapters.Options) (*Sender, error) {
	return adapters.NewRobot(robot(), cfg, opts)
}
