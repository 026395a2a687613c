package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 2, 7, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {" 120 ", 2 * time.Minute}, {"1.5", 1500 * time.Millisecond},
		{"-3", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tc := range tests {
		if got := ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestClassifyHTTP(t *testing.T) {
	t.Parallel()
	h := func(k, v string) http.Header { x := http.Header{}; x.Set(k, v); return x }
	tests := []struct {
		name             string
		resp             Response
		nilErr, perm, rl bool
		after            time.Duration
	}{
		{"200", Response{Status: 200}, true, false, false, 0},
		{"202", Response{Status: 202}, true, false, false, 0},
		{"429", Response{Status: 429, Header: h("Retry-After", "30")}, false, false, true, 30 * time.Second},
		{"503 retry-after", Response{Status: 503, Header: h("Retry-After", "5")}, false, false, false, 5 * time.Second},
		{"500", Response{Status: 500}, false, false, false, 0},
		{"408", Response{Status: 408}, false, false, false, 0},
		{"404", Response{Status: 404}, false, true, false, 0},
		{"301", Response{Status: 301}, false, true, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.resp.Header == nil {
				tc.resp.Header = http.Header{}
			}
			err := ClassifyHTTP(&tc.resp)
			if (err == nil) != tc.nilErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil {
				return
			}
			var f *Failure
			errors.As(err, &f)
			if IsPermanent(err) != tc.perm || f.RateLimited() != tc.rl || f.RetryAfter() != tc.after {
				t.Errorf("%q: perm=%v rl=%v after=%v", err, IsPermanent(err), f.RateLimited(), f.RetryAfter())
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	ok := []string{"https://oapi.dingtalk.com/robot/send?access_token=x", "http://127.0.0.1:8080/x",
		"http://127.9.9.9/x", "http://[::1]:9/x", "http://localhost:1/x"}
	bad := []string{"", "http://example.com/hook?key=SECRETKEY", "ftp://example.com/SECRETKEY",
		"example.com/SECRETKEY", "https:///SECRETKEY", "http://10.0.0.1/SECRETKEY", "://SECRETKEY"}
	for _, u := range ok {
		if err := CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v", u, err)
		}
	}
	for _, u := range bad {
		err := CheckURL(u)
		if err == nil {
			t.Errorf("CheckURL(%q) = nil", u)
		} else if strings.Contains(err.Error(), "SECRETKEY") {
			t.Errorf("CheckURL error echoes the URL: %v", err)
		}
	}
}

func TestPostJSON(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
			r.Header.Get("X-Extra") != "1" {
			t.Errorf("request: %s %v", r.Method, r.Header)
		}
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/raw" {
			if string(b) != `{"exact": 1}` {
				t.Errorf("raw body = %s", b)
			}
		} else {
			var v map[string]string
			if json.Unmarshal(b, &v) != nil || v["a"] != "b" {
				t.Errorf("body = %s", b)
			}
		}
		w.Header().Set("X-Reply", "yes")
		_, _ = io.WriteString(w, strings.Repeat("x", MaxResponseBody+10))
	}))
	defer srv.Close()
	hdr := http.Header{"X-Extra": {"1"}}
	resp, err := PostJSON(context.Background(), srv.Client(), srv.URL+"/j", map[string]string{"a": "b"}, hdr)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || len(resp.Body) != MaxResponseBody || resp.Header.Get("X-Reply") != "yes" {
		t.Errorf("resp = %d %d", resp.Status, len(resp.Body))
	}
	if _, err := PostJSON(context.Background(), srv.Client(), srv.URL+"/raw", []byte(`{"exact": 1}`), hdr); err != nil {
		t.Fatal(err)
	}
}

func TestPostJSONErrorsHideURL(t *testing.T) {
	t.Parallel()
	// Connection refused: a closed server.
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/hook?access_token=TOKSECRET"
	srv.Close()
	_, err := PostJSON(context.Background(), nil, u, struct{}{}, nil)
	if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "TOKSECRET") {
		t.Errorf("refused: %v", err)
	}
	_, err = PostJSON(context.Background(), nil, "http://bad host/?access_token=TOKSECRET", struct{}{}, nil)
	if err == nil || !IsPermanent(err) || strings.Contains(err.Error(), "TOKSECRET") {
		t.Errorf("bad url: %v", err)
	}
	_, err = PostJSON(context.Background(), nil, "http://127.0.0.1:1/", func() {}, nil)
	if !IsPermanent(err) {
		t.Errorf("unencodable: %v", err)
	}
}

func TestPostJSONDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := PostJSON(ctx, srv.Client(), srv.URL+"/?token=TOKSECRET", struct{}{}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) || strings.Contains(err.Error(), "TOKSECRET") {
		t.Errorf("deadline: %v", err)
	}
	c := &http.Client{Timeout: 100 * time.Millisecond}
	_, err = PostJSON(context.Background(), c, srv.URL+"/?token=TOKSECRET", struct{}{}, nil)
	if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "TOKSECRET") {
		t.Errorf("client timeout: %v", err)
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	t.Parallel()
	o := Options{}.WithDefaults()
	if o.Client == nil || o.Client.Timeout != DefaultTimeout || o.Now == nil {
		t.Errorf("defaults: %+v", o)
	}
	// A caller's client without a Timeout would let a hung server block a send forever when
	// the context has no deadline: it gets DefaultTimeout, on a copy.
	rt := &http.Transport{}
	unbounded := &http.Client{Transport: rt}
	o = Options{Client: unbounded}.WithDefaults()
	if o.Client.Timeout != DefaultTimeout || o.Client.Transport != rt || unbounded.Timeout != 0 {
		t.Errorf("unbounded client: Timeout %v, transport kept %v, caller's Timeout %v",
			o.Client.Timeout, o.Client.Transport == rt, unbounded.Timeout)
	}
	if b := bounded(unbounded); b.Timeout != DefaultTimeout || b == unbounded {
		t.Errorf("bounded(unbounded) = %+v", b)
	}
	own := &http.Client{Timeout: time.Second}
	if o := (Options{Client: own}).WithDefaults(); o.Client != own {
		t.Error("a client with a Timeout must be used as given")
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://h.example/landing?access_token=tok-0123456&x=1", "https://h.example/landing?access_token=[REDACTED]&x=1"},
		{"https://u:pass-9876@h.example/open-apis/bot/v2/hook/abcd-1234", "https://h.example/open-apis/bot/v2/hook/[REDACTED]"},
		{"/relative?key=k-0123456", Redacted},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
