package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type queueMsg struct {
	ID            string   `json:"id"`
	Provider      string   `json:"provider"`
	State         string   `json:"state"`
	Status        string   `json:"status"`
	To            []string `json:"to"`
	RetryCount    int      `json:"retry_count"`
	NextRetryAt   *string  `json:"next_retry_at"`
	ErrorMessage  *string  `json:"error_message"`
	CreatedAt     string   `json:"created_at"`
	CorrelationID string   `json:"correlation_id"`
}

// queueJSON runs `courier queue --json ARGS` and checks the exact shape of every entry.
func queueJSON(t *testing.T, repo string, args ...string) []queueMsg {
	t.Helper()
	r := courier(t, repo, nil, append([]string{"queue", "--json"}, args...)...)
	wantCode(t, r, 0, "queue --json "+strings.Join(args, " "))
	obj, keys := jsonObject(t, []byte(r.stdout))
	if diff := cmp.Diff([]string{"messages"}, keys); diff != "" {
		t.Fatalf("queue --json keys (-want +got):\n%s", diff)
	}
	raw := jsonList(t, "messages", obj["messages"])
	want := []string{"attempts", "correlation_id", "created_at", "error_message", "id", "next_retry_at", "provider",
		"retry_count", "state", "status", "to"}
	for i, m := range raw {
		if diff := cmp.Diff(want, sortedKeys(m)); diff != "" {
			t.Errorf("messages[%d] keys (-want +got):\n%s", i, diff)
		}
	}
	var out struct{ Messages []queueMsg }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("queue --json: %v\n%s", err, r.stdout)
	}
	for _, m := range out.Messages {
		wantUTC(t, m.ID+" created_at", m.CreatedAt)
		if m.NextRetryAt != nil {
			wantUTC(t, m.ID+" next_retry_at", *m.NextRetryAt)
		}
		if len(m.To) == 0 || m.CorrelationID == "" {
			t.Errorf("%s: to %v, correlation_id %q", m.ID, m.To, m.CorrelationID)
		}
	}
	return out.Messages
}

func byState(ms []queueMsg) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		out[m.State] = append(out[m.State], m.Provider)
	}
	return out
}

// TestQueueShowRetry drives dead letters through queue, show and retry (README.md, "Commands" and "JSON output").
func TestQueueShowRetry(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	fail.Store(true)
	srv, f := httpFake(t, func(r *http.Request, _ []byte) (string, int, string) {
		if strings.HasPrefix(r.URL.Path, "/wecom") {
			return "", 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`
		}
		if fail.Load() {
			return "", 400, `{"error":"rejected"}`
		}
		return "", 204, ""
	})
	repo := newRepo(t, "FEAT-0020-queue")
	writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"), "providers:\n"+
		"  webhook: {url: \""+srv.URL+"/hook\"}\n"+
		"  wecom: {webhook: \""+srv.URL+"/wecom?key=k\"}\n")
	writeDraft(t, repo, "FEAT-0020", "a-hook", "---\nprovider: webhook\nto: a\n---\none\n")
	writeDraft(t, repo, "FEAT-0020", "b-hook", "---\nprovider: webhook\nto: b\n---\ntwo\n")
	writeDraft(t, repo, "FEAT-0020", "c-wecom", "---\nprovider: wecom\nto: ops\n---\nthree\n")
	writeDraft(t, repo, "FEAT-0020", "d-file", fileDraft("four"))
	wantCode(t, courier(t, repo, nil, "deliver"), 0, "deliver")

	pending := queueJSON(t, repo)
	if diff := cmp.Diff(map[string][]string{"pending": {"webhook", "webhook", "wecom", "file"}}, byState(pending),
		cmpSortStrings()); diff != "" {
		t.Errorf("queue before sending (-want +got):\n%s", diff)
	}

	r := courier(t, repo, nil, "watch", "--once")
	wantCode(t, r, 1, "watch --once with permanent failures")
	f.verify(t, 3)

	got := queueJSON(t, repo)
	if diff := cmp.Diff(map[string][]string{"failed": {"webhook", "webhook", "wecom"}}, byState(got), cmpSortStrings()); diff != "" {
		t.Errorf("queue (sent hidden) (-want +got):\n%s", diff)
	}
	for _, m := range got {
		if m.Status != "failed" || m.ErrorMessage == nil || *m.ErrorMessage == "" {
			t.Errorf("%s: status %q error_message %v, want failed with a reason", m.ID, m.Status, m.ErrorMessage)
		}
	}
	all := queueJSON(t, repo, "--all")
	if diff := cmp.Diff(map[string][]string{"failed": {"webhook", "webhook", "wecom"}, "sent": {"file"}}, byState(all), cmpSortStrings()); diff != "" {
		t.Errorf("queue --all (-want +got):\n%s", diff)
	}
	sent := queueJSON(t, repo, "--state", "sent")
	if len(sent) != 1 || sent[0].Provider != "file" || sent[0].Status != "sent" {
		t.Fatalf("queue --state sent = %+v, want the file message", sent)
	}
	if w := queueJSON(t, repo, "--provider", "wecom"); len(w) != 1 || w[0].Provider != "wecom" {
		t.Errorf("queue --provider wecom = %+v", w)
	}
	r = courier(t, repo, nil, "queue", "--state", "bogus")
	wantCode(t, r, 2, "queue --state bogus")
	if n := len(lines(r.stderr)); n != 1 {
		t.Errorf("queue --state bogus: %d stderr lines, want 1:\n%s", n, r.stderr)
	}
	r = courier(t, repo, nil, "queue")
	wantCode(t, r, 0, "queue (table)")
	for _, m := range got {
		if !strings.Contains(r.stdout, m.ID) {
			t.Errorf("queue table lacks %s:\n%s", m.ID, r.stdout)
		}
	}

	// show prints the file itself, from any state.
	archived := messages(t, repo, "archive", "file")
	if len(archived) != 1 {
		t.Fatalf("archive/file holds %d", len(archived))
	}
	r = courier(t, repo, nil, "show", sent[0].ID)
	wantCode(t, r, 0, "show")
	if r.stdout != readFile(t, archived[0]) {
		t.Errorf("show %s printed\n%s\nwant the file\n%s", sent[0].ID, r.stdout, readFile(t, archived[0]))
	}
	// Its path and state on stderr, the state named as queue names it (sent, not the directory).
	if want := "# archive/file/" + filepath.Base(archived[0]) + " (sent)\n"; r.stderr != want {
		t.Errorf("show %s: stderr %q, want %q", sent[0].ID, r.stderr, want)
	}
	r = courier(t, repo, nil, "show", "out_file_000000000000")
	if r.code == 0 || len(lines(r.stderr)) != 1 || r.stdout != "" {
		t.Errorf("show of an unknown id: want non-zero exit and one stderr line\n%s", r)
	}

	// retry ID: back in outbound, attempts reset.
	var hooks []string
	for _, m := range got {
		if m.Provider == "webhook" {
			hooks = append(hooks, m.ID)
		}
	}
	r = courier(t, repo, nil, "retry", hooks[0])
	wantCode(t, r, 0, "retry ID")
	out := messages(t, repo, "outbound", "webhook")
	if len(out) != 1 || !strings.Contains(out[0], hooks[0]) {
		t.Fatalf("outbound/webhook = %v, want %s", out, hooks[0])
	}
	fm := frontmatter(t, out[0])
	if rc, st := scalar(fm, "retry_count"), scalar(fm, "status"); rc != "0" || st != "pending" {
		t.Errorf("retried message: retry_count %s status %s, want 0 pending", rc, st)
	}
	// retry --dead --provider webhook moves only webhook's dead letters.
	r = courier(t, repo, nil, "retry", "--dead", "--provider", "webhook")
	wantCode(t, r, 0, "retry --dead --provider webhook")
	if !strings.Contains(r.stdout, hooks[1]) {
		t.Errorf("retry --dead stdout = %q, want %s", r.stdout, hooks[1])
	}
	if n := len(messages(t, repo, "outbound", "webhook")); n != 2 {
		t.Errorf("outbound/webhook holds %d, want 2", n)
	}
	if n := len(messages(t, repo, ".deadletter", "wecom")); n != 1 {
		t.Errorf(".deadletter/wecom holds %d, want 1 (untouched by --provider webhook)", n)
	}
	q := queueJSON(t, repo, "--provider", "webhook")
	for _, m := range q {
		if m.State != "pending" || m.RetryCount != 0 {
			t.Errorf("%s after retry: state %s retry_count %d, want pending 0", m.ID, m.State, m.RetryCount)
		}
	}
	r = courier(t, repo, nil, "retry", "out_webhook_000000000000")
	if r.code == 0 || len(lines(r.stderr)) != 1 {
		t.Errorf("retry of an unknown id: want non-zero exit and one stderr line\n%s", r)
	}
	r = courier(t, repo, nil, "retry")
	wantCode(t, r, 2, "retry without ids or --dead")

	// Now the endpoint accepts: the retried messages are sent.
	fail.Store(false)
	r = courier(t, repo, nil, "watch", "--once")
	wantCode(t, r, 0, "watch --once after retry")
	if n := len(messages(t, repo, "archive", "webhook")); n != 2 {
		t.Errorf("archive/webhook holds %d, want 2\n%s", n, r)
	}
}

func cmpSortStrings() cmp.Option {
	return cmp.Transformer("sort", func(in []string) []string {
		out := append([]string(nil), in...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	})
}
