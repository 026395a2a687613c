package delivery

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func apiCall(t *testing.T, h http.Handler, method, path, ctype, token, body string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = "127.0.0.1:8787" // as a local client addresses the API (httptest's default is example.com)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestAPI(t *testing.T) {
	t.Parallel()
	f, _, failed, waiting, _ := queueFixture(t)
	w := f.watcher(t)
	h := w.Handler("")
	const js = "application/json"

	res, body := apiCall(t, h, "GET", "/healthz", "", "", "")
	if res.StatusCode != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", res.StatusCode, body)
	}

	res, body = apiCall(t, h, "GET", "/api/v1/courier/outbound/queue", "", "", "")
	var q struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body), &q); err != nil || res.StatusCode != 200 || len(q.Messages) != 3 {
		t.Errorf("queue: %d %s %v", res.StatusCode, body, err)
	}

	res, body = apiCall(t, h, "POST", "/api/v1/courier/outbound/send", js, "", "{}")
	if res.StatusCode != 202 || !strings.Contains(body, `"sweeping"`) || len(w.sweep) != 1 {
		t.Errorf("send: %d %s", res.StatusCode, body)
	}

	for _, tc := range []struct {
		name, id, ctype string
		code            int
		want            string
	}{
		{"no content type", failed.ID, "", 415, "Content-Type"},
		{"form content type", failed.ID, "application/x-www-form-urlencoded", 415, "Content-Type"},
		{"unknown id", "out_test_nope", js, 404, "no such message"},
		{"not dead-lettered", waiting.ID, js, 409, "not dead-lettered"},
		{"ok", failed.ID, "application/json; charset=utf-8", 200, `{"id":"` + failed.ID + `","state":"pending"}`},
	} {
		res, body := apiCall(t, h, "POST", "/api/v1/courier/outbound/retry/"+tc.id, tc.ctype, "", "{}")
		if res.StatusCode != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("retry %s: %d %s; want %d containing %q", tc.name, res.StatusCode, body, tc.code, tc.want)
		}
		if tc.code != 200 && !json.Valid([]byte(body)) {
			t.Errorf("retry %s: error is not JSON: %s", tc.name, body)
		}
	}
	f.mustState(t, failed.ID, StatePending)
}

func TestAPIToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.watcher(t).Handler("s3cret")
	for _, tc := range []struct {
		name, token string
		code        int
	}{{"none", "", 401}, {"wrong", "nope", 401}, {"prefix", "s3c", 401}, {"right", "s3cret", 200}} {
		res, _ := apiCall(t, h, "GET", "/healthz", "", tc.token, "")
		if res.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.code)
		}
	}
	res, _ := apiCall(t, h, "POST", "/api/v1/courier/outbound/send", "application/json", "", "{}")
	if res.StatusCode != 401 {
		t.Errorf("POST without token: %d", res.StatusCode)
	}
}

// TestMetrics checks the exposition parses line by line: HELP/TYPE comments and `name{labels} value`.
func TestMetrics(t *testing.T) {
	t.Parallel()
	f, _, _, _, _ := queueFixture(t)
	w := f.watcher(t)
	f.enqueue(t, f.msg("test", "z"))
	f.once(t, w)
	res, body := apiCall(t, w.Handler(""), "GET", "/metrics", "", "", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	sample := regexp.MustCompile(`^([a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? ([0-9.e+-]+|\+Inf)$`)
	comment := regexp.MustCompile(`^# (HELP|TYPE) [a-z_]+ .+$`)
	values := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if comment.MatchString(line) {
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("unparseable metrics line %q", line)
			continue
		}
		values[m[1]+m[2]] = m[4]
	}
	for k, want := range map[string]string{
		`courier_messages{state="pending"}`:                               "1",
		`courier_messages{state="sending"}`:                               "1",
		`courier_messages{state="sent"}`:                                  "2",
		`courier_messages{state="failed"}`:                                "1",
		`courier_sent_total{provider="test"}`:                             "1",
		`courier_send_duration_seconds_count{provider="test"}`:            "1",
		`courier_send_duration_seconds_bucket{provider="test",le="+Inf"}`: "1",
		`courier_retries_total`:                                           "0",
	} {
		if values[k] != want {
			t.Errorf("%s = %q, want %q", k, values[k], want)
		}
	}
}

// TestAPIHostAndOrigin: DNS rebinding (a foreign Host) and a foreign Origin get 403; loopback names,
// addresses and the configured api_hosts are answered.
func TestAPIHostAndOrigin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.APIHosts = []string{"Courier.Internal"}
	h := f.watcher(t).Handler("")
	for _, tc := range []struct {
		name, host, origin string
		want               int
	}{
		{"loopback address", "127.0.0.1:8787", "", 200},
		{"other 127/8 address", "127.3.4.5", "", 200},
		{"ipv6 loopback", "[::1]:8787", "", 200},
		{"localhost", "localhost:8787", "", 200},
		{"localhost with trailing dot", "LOCALHOST.:8787", "", 200},
		{"api_hosts", "courier.internal:8787", "", 200},
		{"loopback origin", "127.0.0.1:8787", "http://localhost:3000", 200},
		{"api_hosts origin", "127.0.0.1:8787", "https://courier.internal", 200},
		{"dns rebinding", "evil.example:8787", "", 403},
		{"rebinding without port", "evil.example", "", 403},
		{"empty host", "", "", 403},
		{"non-loopback address", "192.168.1.10:8787", "", 403},
		{"foreign origin", "127.0.0.1:8787", "https://evil.example", 403},
		{"null origin", "127.0.0.1:8787", "null", 403},
	} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Host = tc.host
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.want)
		}
	}
}
