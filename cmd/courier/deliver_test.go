package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jsonKeys decodes a JSON object and returns its keys, sorted, with the raw values.
func jsonObject(t *testing.T, raw []byte) (map[string]json.RawMessage, []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return m, keys
}

// jsonList decodes a JSON list of objects; null is an error (lists are never null).
func jsonList(t *testing.T, what string, raw json.RawMessage) []map[string]json.RawMessage {
	t.Helper()
	if strings.TrimSpace(string(raw)) == "null" {
		t.Fatalf("%s is null, want a list", what)
	}
	var l []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("%s: not a list of objects: %v\n%s", what, err, raw)
	}
	return l
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("want a JSON string, got %s", raw)
	}
	return s
}

var msgIDRe = regexp.MustCompile(`^out_file_[0-9a-f]{12}$`)

// TestDeliverJSON covers README.md, "JSON output": a mixed run enqueues every valid draft, reports the invalid
// one and exits 65; the --json shape is exact with lists never null; a re-run skips; nothing to do is 0.
func TestDeliverJSON(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "FEAT-0001-mixed")
	a := writeDraft(t, repo, "FEAT-0001", "a", fileDraft("first"))
	b := writeDraft(t, repo, "FEAT-0001", "b", fileDraft("second"))
	badText := "---\nprovider: file\n---\nno recipient\n"
	bad := writeDraft(t, repo, "FEAT-0001", "c-bad", badText)

	r := courier(t, repo, nil, "deliver", "--json")
	wantCode(t, r, 65, "mixed deliver")
	obj, keys := jsonObject(t, []byte(r.stdout))
	if diff := cmp.Diff([]string{"delivered", "invalid", "skipped"}, keys); diff != "" {
		t.Fatalf("deliver --json keys (-want +got):\n%s", diff)
	}
	delivered := jsonList(t, "delivered", obj["delivered"])
	if len(delivered) != 2 {
		t.Fatalf("delivered %d, want 2:\n%s", len(delivered), r.stdout)
	}
	for i, d := range delivered {
		if diff := cmp.Diff([]string{"correlation_id", "draft", "id", "path", "provider"}, sortedKeys(d)); diff != "" {
			t.Errorf("delivered[%d] keys (-want +got):\n%s", i, diff)
		}
		if got, want := str(t, d["draft"]), []string{a, b}[i]; got != want {
			t.Errorf("delivered[%d].draft = %q, want %q (path order, repository-relative)", i, got, want)
		}
		id := str(t, d["id"])
		if !msgIDRe.MatchString(id) {
			t.Errorf("delivered[%d].id = %q, want out_file_<12 hex>", i, id)
		}
		if p := str(t, d["provider"]); p != "file" {
			t.Errorf("delivered[%d].provider = %q", i, p)
		}
		if c := str(t, d["correlation_id"]); !regexp.MustCompile(`^feat_FEAT-0001_\d{8}T\d{6}Z$`).MatchString(c) {
			t.Errorf("delivered[%d].correlation_id = %q, want feat_FEAT-0001_<YYYYMMDDTHHMMSSZ>", i, c)
		}
		p := str(t, d["path"])
		if !regexp.MustCompile(`/outbound/file/\d{8}T\d{6}_` + id + `\.md$`).MatchString(filepath.ToSlash(p)) {
			t.Errorf("delivered[%d].path = %q, want …/outbound/file/{YYYYMMDDTHHMMSS}_%s.md", i, p, id)
		}
	}
	if s := jsonList(t, "skipped", obj["skipped"]); len(s) != 0 {
		t.Errorf("skipped = %v, want []", s)
	}
	invalid := jsonList(t, "invalid", obj["invalid"])
	if len(invalid) != 1 {
		t.Fatalf("invalid %d, want 1:\n%s", len(invalid), r.stdout)
	}
	if diff := cmp.Diff([]string{"draft", "field", "line", "message"}, sortedKeys(invalid[0])); diff != "" {
		t.Errorf("invalid[0] keys (-want +got):\n%s", diff)
	}
	if got := str(t, invalid[0]["draft"]); got != bad {
		t.Errorf("invalid[0].draft = %q, want %q", got, bad)
	}
	if got := str(t, invalid[0]["field"]); got != "to" {
		t.Errorf("invalid[0].field = %q, want to", got)
	}
	var line int
	if err := json.Unmarshal(invalid[0]["line"], &line); err != nil || line < 1 {
		t.Errorf("invalid[0].line = %s, want a positive number", invalid[0]["line"])
	}
	if got := messages(t, repo, "outbound", "file"); len(got) != 2 {
		t.Fatalf("outbound/file holds %d messages, want 2: %v", len(got), got)
	}
	if got := readFile(t, filepath.Join(repo, bad)); got != badText {
		t.Errorf("invalid draft was modified:\n%s", got)
	}

	// Re-run without the invalid draft: both skipped, nothing new, exit 0, empty lists (not null).
	git(t, repo, "rm", "-q", "--cached", "--ignore-unmatch", bad)
	if err := os.Remove(filepath.Join(repo, bad)); err != nil {
		t.Fatal(err)
	}
	r = courier(t, repo, nil, "deliver", "--json")
	wantCode(t, r, 0, "re-run")
	obj, _ = jsonObject(t, []byte(r.stdout))
	if d := jsonList(t, "delivered", obj["delivered"]); len(d) != 0 {
		t.Errorf("re-run delivered %v, want []", d)
	}
	if i := jsonList(t, "invalid", obj["invalid"]); len(i) != 0 {
		t.Errorf("re-run invalid %v, want []", i)
	}
	skipped := jsonList(t, "skipped", obj["skipped"])
	if len(skipped) != 2 {
		t.Fatalf("re-run skipped %d, want 2:\n%s", len(skipped), r.stdout)
	}
	for i, s := range skipped {
		if diff := cmp.Diff([]string{"draft", "reason"}, sortedKeys(s)); diff != "" {
			t.Errorf("skipped[%d] keys (-want +got):\n%s", i, diff)
		}
		if str(t, s["reason"]) == "" {
			t.Errorf("skipped[%d].reason is empty", i)
		}
	}
	if got := messages(t, repo, "outbound", "file"); len(got) != 2 {
		t.Errorf("re-run enqueued again: outbound/file holds %d messages, want 2", len(got))
	}
}

// TestDeliverText: the plain-text mixed run lists the invalid draft on stderr as one
// `path:line: field: message` line and still enqueues the valid ones.
func TestDeliverText(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "feat/FEAT-0001-text")
	writeDraft(t, repo, "FEAT-0001", "a", fileDraft("first"))
	writeDraft(t, repo, "FEAT-0001", "b", fileDraft("second"))
	bad := writeDraft(t, repo, "FEAT-0001", "c", "---\nprovider: file\nto: local\ncolour: blue\n---\nx\n")
	r := courier(t, repo, nil, "deliver")
	wantCode(t, r, 65, "mixed deliver")
	errLines := lines(r.stderr)
	if len(errLines) != 1 || !regexp.MustCompile(`^`+regexp.QuoteMeta(bad)+`:4: colour: .+`).MatchString(errLines[0]) {
		t.Errorf("stderr = %q, want one line %s:4: colour: …", r.stderr, bad)
	}
	if n := strings.Count(r.stdout, "delivered "); n != 2 {
		t.Errorf("stdout reports %d deliveries, want 2:\n%s", n, r.stdout)
	}
	if got := messages(t, repo, "outbound", "file"); len(got) != 2 {
		t.Errorf("outbound/file holds %d messages, want 2", len(got))
	}
}

// TestDeliverNothing: a work-item branch without drafts delivers nothing and exits 0.
func TestDeliverNothing(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "FEAT-0001-empty")
	r := courier(t, repo, nil, "deliver")
	wantCode(t, r, 0, "deliver with no drafts")
	r = courier(t, repo, nil, "deliver", "--json")
	wantCode(t, r, 0, "deliver --json with no drafts")
	if got := strings.Join(strings.Fields(r.stdout), ""); got != `{"delivered":[],"skipped":[],"invalid":[]}` {
		t.Errorf("deliver --json with no drafts = %s", r.stdout)
	}
	if got := messages(t, repo, "outbound", ""); len(got) != 0 {
		t.Errorf("enqueued %v", got)
	}
}

// TestDeliverItemFlag: --item delivers another item's drafts from a branch that is not a work item.
func TestDeliverItemFlag(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "main")
	rel := writeDraft(t, repo, "FEAT-0002", "hello", fileDraft("hi"))
	r := courier(t, repo, nil, "deliver", "--item", "FEAT-0002")
	wantCode(t, r, 0, "deliver --item")
	if !strings.Contains(r.stdout, "delivered "+rel+" → out_file_") {
		t.Errorf("stdout = %q, want delivered %s → out_file_…", r.stdout, rel)
	}
	got := messages(t, repo, "outbound", "file")
	if len(got) != 1 {
		t.Fatalf("outbound/file holds %d messages, want 1", len(got))
	}
	fm := frontmatter(t, got[0])
	if c := scalar(fm, "correlation_id"); !strings.HasPrefix(c, "feat_FEAT-0002_") {
		t.Errorf("correlation_id = %q, want feat_FEAT-0002_…", c)
	}
}

// TestDeliverExplicitUncommitted: PATH of a draft that git has never seen is delivered, stamped as the
// contract says (source.draft_blob is the git blob id of its content), and only that file is looked at.
func TestDeliverExplicitUncommitted(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "FEAT-0003-explicit")
	rel := writeDraft(t, repo, "FEAT-0003", "one", fileDraft("only me"))
	writeDraft(t, repo, "FEAT-0003", "other", fileDraft("not me"))
	writeDraft(t, repo, "FEAT-0003", "broken", "no frontmatter at all\n")
	r := courier(t, repo, nil, "deliver", rel)
	wantCode(t, r, 0, "deliver PATH")
	got := messages(t, repo, "outbound", "file")
	if len(got) != 1 {
		t.Fatalf("outbound/file holds %d messages, want 1 (only PATH)", len(got))
	}
	fm := frontmatter(t, got[0])
	for k, want := range map[string]string{"direction": "outbound", "status": "pending", "retry_count": "0",
		"provider": "file", "sent_at": "", "error_message": ""} {
		if v := scalar(fm, k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	wantUTC(t, "created_at", scalar(fm, "created_at"))
	src := fm["source"]
	if src == nil {
		t.Fatal("no source block")
	}
	var source map[string]string
	if err := src.Decode(&source); err != nil {
		t.Fatal(err)
	}
	blob := git(t, repo, "hash-object", rel)
	if source["draft"] != rel || source["draft_blob"] != blob || source["item"] != "FEAT-0003" ||
		source["branch"] != "FEAT-0003-explicit" || source["commit"] != git(t, repo, "rev-parse", "HEAD") {
		t.Errorf("source = %v, want draft %s, draft_blob %s, item FEAT-0003, branch, commit HEAD", source, rel, blob)
	}
}

// TestSendProviderOverride: `send --provider file` enqueues through file whatever the draft says.
func TestSendProviderOverride(t *testing.T) {
	t.Parallel()
	repo := newRepo(t, "FEAT-0004-send")
	writeFile(t, filepath.Join(repo, ".monoco", "courier.yaml"),
		"providers:\n  wecom: {webhook: \"https://wecom.example.invalid/cgi-bin/webhook/send?key=${WECOM_KEY}\"}\n")
	rel := writeDraft(t, repo, "FEAT-0004", "w", "---\nprovider: wecom\nto: ops\n---\nhello\n")
	r := courier(t, repo, nil, "send", rel, "--provider", "file")
	wantCode(t, r, 0, "send --provider file")
	if got := messages(t, repo, "outbound", "wecom"); len(got) != 0 {
		t.Errorf("enqueued under wecom despite --provider file: %v", got)
	}
	got := messages(t, repo, "outbound", "file")
	if len(got) != 1 {
		t.Fatalf("outbound/file holds %d messages, want 1\n%s", len(got), r)
	}
	if p := scalar(frontmatter(t, got[0]), "provider"); p != "file" {
		t.Errorf("provider = %q, want file", p)
	}
}
