package wecom

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/monoco/courier/adapters"
)

// fakeRobot behaves like qyapi.weixin.qq.com/cgi-bin/webhook/send: it checks the key, the
// Content-Type, the msgtype and the content byte limits, answering WeCom's real errcodes (with
// the `hint:` suffix) over HTTP 200; otherwise it answers the scripted reply.
type fakeRobot struct {
	t       *testing.T
	key     string
	lenient bool

	mu     sync.Mutex
	status int
	reply  string
	bodies [][]byte
}

func newFakeRobot(t *testing.T, key string) (*fakeRobot, *httptest.Server) {
	f := &fakeRobot{t: t, key: key}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRobot) url(srv *httptest.Server) string {
	return srv.URL + "/cgi-bin/webhook/send?key=" + f.key
}

func (f *fakeRobot) script(status int, reply string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.reply = status, reply
}

func (f *fakeRobot) requests() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.bodies...)
}

func wecomAnswer(code int, msg string) string {
	if code != 0 {
		msg += fmt.Sprintf(", hint: [1653710540075724015410106], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=%d", code)
	}
	b, _ := json.Marshal(map[string]any{"errcode": code, "errmsg": msg})
	return string(b)
}

func (f *fakeRobot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	status, reply := f.status, f.reply
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if problem, code, msg := f.verify(r, body); problem != "" {
		if !f.lenient {
			f.t.Errorf("fake wecom: %s", problem)
		}
		_, _ = io.WriteString(w, wecomAnswer(code, msg))
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	if reply == "" {
		reply = wecomAnswer(0, "ok")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func (f *fakeRobot) verify(r *http.Request, body []byte) (string, int, string) {
	if r.Method != http.MethodPost || r.URL.Query().Get("key") != f.key {
		return "method is not POST or wrong key", 93000, "invalid webhook url"
	}
	var p map[string]any
	if r.Header.Get("Content-Type") != "application/json; charset=utf-8" || json.Unmarshal(body, &p) != nil {
		return "not JSON", 40008, "invalid message type, Warning: wrong json format."
	}
	limits := map[string]int{"text": MaxText, "markdown": MaxMarkdown, "markdown_v2": MaxMarkdown}
	mt, _ := p["msgtype"].(string)
	if limit, ok := limits[mt]; ok {
		inner, _ := p[mt].(map[string]any)
		content, _ := inner["content"].(string)
		switch {
		case strings.TrimSpace(content) == "":
			return mt + ".content empty", 44004, "empty content"
		case len(content) > limit:
			return mt + ".content too long", 45002, "content size out of limit"
		}
		return "", 0, ""
	}
	if mt == "template_card" || mt == "news" {
		return "", 0, ""
	}
	return "msgtype " + mt, 40008, "invalid message type"
}

// Sender and New build the sender the provider registry builds (Descriptor).
type Sender = adapters.RobotSender

func New(cfg Config, opts adapters.Options) (*Sender, error) {
	return adapters.NewRobot(robot(), cfg, opts)
}
