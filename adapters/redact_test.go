package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

func TestRedactorString(t *testing.T) {
	t.Parallel()
	r := NewRedactor(
		"https://oapi.dingtalk.com/robot/send?access_token=dtTOKEN123",
		"SECdingsecret+/=",
		"https://open.feishu.cn/open-apis/bot/v2/hook/lark-hook-uuid",
		"https://hooks.slack.com/services/T000/B000/XXXXSLACK",
		"smtp://user:p%40ssWord@smtp.example.com:587",
		"https://prod.westus.logic.azure.com:443/workflows/wfID1234/triggers/manual/paths/invoke?api-version=1&sig=SIGvalue99",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"abc", // too short: ignored
		"",
	)
	tests := []struct{ name, in, out string }{
		{"whole url", "post https://oapi.dingtalk.com/robot/send?access_token=dtTOKEN123 failed", "post [REDACTED] failed"},
		{"token in longer url", "GET /robot/send?access_token=dtTOKEN123&timestamp=1&sign=x", "GET /robot/send?access_token=[REDACTED]&timestamp=1&sign=x"},
		{"secret raw", "secret SECdingsecret+/= here", "secret [REDACTED] here"},
		{"secret query-escaped", "s=" + url.QueryEscape("SECdingsecret+/="), "s=[REDACTED]"},
		{"secret lower hex", "s=SECdingsecret%2b%2f%3d", "s=[REDACTED]"},
		{"lark path token", "/open-apis/bot/v2/hook/lark-hook-uuid", "/open-apis/bot/v2/hook/[REDACTED]"},
		{"slack path", "url /services/T000/B000/XXXXSLACK", "url /services/[REDACTED]"},
		{"slack token alone", "XXXXSLACK", "[REDACTED]"},
		{"smtp password decoded", "auth p@ssWord rejected", "auth [REDACTED] rejected"},
		{"smtp password encoded", "p%40ssWord", "[REDACTED]"},
		{"teams sig", "sig=SIGvalue99", "sig=[REDACTED]"},
		{"teams workflow id", "workflows/wfID1234/x", "workflows/[REDACTED]/x"},
		{"whsec body", "key MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "key [REDACTED]"},
		{"short ignored", "abc is fine", "abc is fine"},
		{"json escaped", `{"u":"https:\/\/x"}`, `{"u":"https:\/\/x"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.String(tc.in); got != tc.out {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.out)
			}
		})
	}
}

func TestRedactorAddAndNil(t *testing.T) {
	t.Parallel()
	var nilR *Redactor
	if got := nilR.String("tok-secret"); got != "tok-secret" {
		t.Errorf("nil String = %q", got)
	}
	nilR.Add("x")
	if err := nilR.Error(errors.New("e")); err == nil || err.Error() != "e" {
		t.Errorf("nil Error = %v", err)
	}
	r := NewRedactor()
	if got := r.String("tok-secret"); got != "tok-secret" {
		t.Errorf("empty = %q", got)
	}
	r.Add("tok-secret")
	if got := r.String("a tok-secret b"); got != "a [REDACTED] b" {
		t.Errorf("after Add = %q", got)
	}
}

func TestRedactorErrorKeepsClass(t *testing.T) {
	t.Parallel()
	r := NewRedactor("tok-secret")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		err       error
		permanent bool
		rate      bool
		after     time.Duration
		is        error
	}{
		{"permanent", Permanent("bad tok-secret"), true, false, 0, mailbox.ErrPermanent},
		{"wrapped permanent", fmt.Errorf("send: %w", Permanent("bad tok-secret")), true, false, 0, mailbox.ErrPermanent},
		{"rate", RateLimited(9*time.Second, "slow tok-secret"), false, true, 9 * time.Second, nil},
		{"transient after", Transient(3*time.Second, "busy tok-secret"), false, false, 3 * time.Second, nil},
		{"cancelled", fmt.Errorf("post tok-secret: %w", TransportError(ctx, context.Canceled)), false, false, 0, context.Canceled},
		{"plain deadline", fmt.Errorf("x tok-secret: %w", context.DeadlineExceeded), false, false, 0, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Error(tc.err)
			if strings.Contains(err.Error(), "tok-secret") || !strings.Contains(err.Error(), Redacted) {
				t.Errorf("text = %q", err)
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v", !tc.permanent)
			}
			var f *Failure
			if !errors.As(err, &f) || f.RateLimited() != tc.rate || f.RetryAfter() != tc.after {
				t.Errorf("class lost: %#v", f)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) = false", tc.is)
			}
			for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
				if strings.Contains(u.Error(), "tok-secret") {
					t.Errorf("unwrap leaks %q", u)
				}
			}
		})
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

func TestRedactorWith(t *testing.T) {
	t.Parallel()
	base := NewRedactor("tok-secret")
	sig := "l/JDUsy5cz9xEdP2CNFWJyT1FMjG0kUjoSj1+WcOH8E="
	r := base.With(sig, "v1,"+sig)
	in := "tok-secret sign=" + url.QueryEscape(sig) + " raw " + sig + " header v1," + sig
	got := r.String(in)
	if strings.Contains(got, "tok-secret") || strings.Contains(got, sig) || strings.Contains(got, url.QueryEscape(sig)) {
		t.Errorf("With: %q", got)
	}
	if base.String(sig) != sig {
		t.Error("With changed the base redactor")
	}
	var nilR *Redactor
	if got := nilR.With(sig).String(sig); got != Redacted {
		t.Errorf("nil.With = %q", got)
	}
}

func TestRedactorSnippet(t *testing.T) {
	t.Parallel()
	r := NewRedactor("tok-0123456789abcdef")
	// The secret straddles the cut: redacting after cutting would leak "tok-0123".
	in := strings.Repeat("x", 195) + " tok-0123456789abcdef tail"
	got := r.Snippet(in, 200)
	if strings.Contains(got, "tok-0") {
		t.Errorf("Snippet leaks a cut secret: %q", got)
	}
	if got := r.Snippet("a\n  b\tc", 0); got != "a b c" {
		t.Errorf("Snippet whitespace = %q", got)
	}
	if got := r.Snippet("ééééé", 3); got != "ééé…" {
		t.Errorf("Snippet runes = %q", got)
	}
}
