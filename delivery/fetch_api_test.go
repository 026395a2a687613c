package delivery

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// POST /api/v1/courier/fetch runs Config.Fetch (central mode) under the same rules as every other
// endpoint, and answers once the fetch is done.
func TestAPIFetch(t *testing.T) {
	const js = "application/json"
	f := newFixture(t)
	if res, _ := apiCall(t, f.watcher(t).Handler(""), "POST", "/api/v1/courier/fetch", js, "", "{}"); res.StatusCode != 404 {
		t.Errorf("without Config.Fetch: %d, want 404", res.StatusCode)
	}
	calls := 0
	var fail error
	f.cfg.Fetch = func(ctx context.Context) (int, int, error) {
		calls++
		return 3, 1, fail
	}
	h := f.watcher(t).Handler("s3cret")
	for _, tc := range []struct {
		name, ctype, token string
		code               int
		want               string
	}{
		{"no token", js, "", 401, "token"},
		{"wrong token", js, "nope", 401, "token"},
		{"no content type", "", "s3cret", 415, "Content-Type"},
		{"fetched", js, "s3cret", 200, `{"delivered":3,"invalid":1,"status":"fetched"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := apiCall(t, h, "POST", "/api/v1/courier/fetch", tc.ctype, tc.token, "{}")
			if res.StatusCode != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s, want %d %s", res.StatusCode, body, tc.code, tc.want)
			}
		})
	}
	if calls != 1 {
		t.Errorf("Fetch ran %d times, want once (only the authorised request)", calls)
	}
	fail = errors.New("git fetch: could not read from remote repository")
	if res, body := apiCall(t, h, "POST", "/api/v1/courier/fetch", js, "s3cret", "{}"); res.StatusCode != 502 || !strings.Contains(body, "could not read") {
		t.Errorf("failed fetch: %d %s, want 502 with the reason", res.StatusCode, body)
	}
}
