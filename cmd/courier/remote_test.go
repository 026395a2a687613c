package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// centralWorld is central mode on disk: a bare "origin" whose main carries the agents' configuration,
// agents' clones, a bare central clone and the central host's own configuration (--config).
type centralWorld struct {
	root, origin, central, config, mailbox string
}

// newCentralWorld seeds origin with agentConfig as .monoco/courier.yaml and writes the central
// configuration (mailbox outside the bare clone, then centralExtra).
func newCentralWorld(t *testing.T, agentConfig, centralExtra string) *centralWorld {
	t.Helper()
	w := &centralWorld{root: t.TempDir()}
	w.origin = filepath.Join(w.root, "origin.git")
	git(t, w.root, "init", "-q", "--bare", "-b", "main", w.origin)
	seed := w.agent(t, "seed", "main")
	writeFile(t, filepath.Join(seed, ".monoco", "courier.yaml"), agentConfig)
	writeFile(t, filepath.Join(seed, "README.md"), "# agents push here\n")
	git(t, seed, "add", "-A")
	git(t, seed, "commit", "-q", "-m", "seed")
	git(t, seed, "push", "-q", "origin", "main")
	w.central = filepath.Join(w.root, "central.git")
	git(t, w.root, "clone", "-q", "--bare", w.origin, w.central)
	w.mailbox = filepath.Join(w.root, "central-mailbox")
	w.config = filepath.Join(w.root, "central.yaml")
	writeFile(t, w.config, fmt.Sprintf("mailbox: %s\n%s", w.mailbox, centralExtra))
	return w
}

// agent clones origin into name and checks out branch (new unless it is main).
func (w *centralWorld) agent(t *testing.T, name, branch string) string {
	t.Helper()
	dir := filepath.Join(w.root, name)
	// clone -c writes these to the clone's configuration, as `git config` in it would.
	git(t, w.root, "clone", "-q", "-c", "user.name="+name, "-c", "user.email="+name+"@agents.invalid",
		"-c", "commit.gpgsign=false", w.origin, dir)
	if branch != "main" {
		git(t, dir, "checkout", "-q", "-b", branch)
	}
	return dir
}

// push commits a draft in an agent's clone (through its hooks) and pushes the branch.
func (w *centralWorld) push(t *testing.T, bin, dir, item, name, content string) result {
	t.Helper()
	rel := writeDraft(t, dir, item, name, content)
	git(t, dir, "add", rel)
	r := runIn(t, dir, nil, "git", "commit", "-q", "-m", item+": "+name)
	if r.code != 0 {
		return r
	}
	git(t, dir, "push", "-q", "-u", "origin", "HEAD")
	return r
}

// recorder is a generic-webhook endpoint that records each message's body in arrival order.
type recorder struct {
	mu     sync.Mutex
	bodies []string
	ids    map[string]int
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.ids == nil {
		rc.ids = map[string]int{}
	}
	rc.ids[r.Header.Get("webhook-id")]++
	var body string
	if i := bytes.Index(b, []byte(`"body":"`)); i >= 0 {
		body, _, _ = strings.Cut(string(b[i+8:]), `"`)
	}
	rc.bodies = append(rc.bodies, strings.TrimSuffix(body, `\n`))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{}`))
}

func (rc *recorder) got() ([]string, map[string]int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ids := map[string]int{}
	for k, v := range rc.ids {
		ids[k] = v
	}
	return append([]string(nil), rc.bodies...), ids
}

// await polls cond until it holds; the deadline only keeps a broken build from hanging.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// background starts the binary and returns a function that stops it with SIGTERM and returns its
// exit code and output.
func background(t *testing.T, dir, bin string, args ...string) func() result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() result {
		if !stopped {
			stopped = true
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	}
	t.Cleanup(func() { stop() })
	return stop
}

func webhookConfig(url string) string {
	return fmt.Sprintf("providers:\n  webhook: {url: %q}\n", url)
}

func webhookDraft(body string) string {
	return "---\nprovider: webhook\nto: team\n---\n" + body + "\n"
}

// Two agents with validate-only hooks push on their own FEAT branches; the central watcher, in a
// bare clone, fetches every 200ms and sends what they pushed, a draft changed twice in commit order.
func TestCentralTwoAgentsEndToEnd(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	w := newCentralWorld(t, webhookConfig(srv.URL), webhookConfig(srv.URL)+"watch: {interval: 100ms}\n")
	alice := w.agent(t, "alice", "feat/FEAT-0001-login")
	bob := w.agent(t, "bob", "feat/FEAT-0002-logout")
	for _, dir := range []string{alice, bob} {
		r := runIn(t, dir, nil, bin, "hooks", "install", "--validate-only")
		wantCode(t, r, 0, "hooks install --validate-only")
		if strings.Contains(r.stdout, "post-commit") {
			t.Errorf("validate-only install wrote a delivery hook:\n%s", r)
		}
		st := runIn(t, dir, nil, bin, "hooks", "status")
		if !strings.Contains(st.stdout, "mode: validate-only") || strings.Contains(st.stdout, "warning") {
			t.Errorf("hooks status does not say validate-only:\n%s", st)
		}
		t.Logf("%s$ courier hooks status\n%s", filepath.Base(dir), st.stdout)
	}
	stop := background(t, w.central, bin, "watch", "--remote", "origin", "--fetch-interval", "200ms", "--config", w.config)

	// An invalid draft is blocked on the agent's machine by the validate-only pre-commit hook.
	r := w.push(t, bin, alice, "FEAT-0001", "broken", "---\nprovider: webhook\n---\nno recipient\n")
	if r.code == 0 || !strings.Contains(r.stderr, "to: required field is missing") {
		t.Fatalf("the validate-only hook let an invalid draft through:\n%s", r)
	}
	git(t, alice, "reset", "-q")
	os.Remove(filepath.Join(alice, filepath.FromSlash(draftPath("FEAT-0001", "broken"))))

	wantCode(t, w.push(t, bin, alice, "FEAT-0001", "hello", webhookDraft("alice: login is ready")), 0, "alice commit")
	wantCode(t, w.push(t, bin, bob, "FEAT-0002", "bye", webhookDraft("bob: logout is ready")), 0, "bob commit")
	if out, _ := filepath.Glob(filepath.Join(alice, ".monoco", "mailbox", "outbound", "*", "*.md")); len(out) > 0 {
		t.Errorf("an agent's validate-only commit delivered locally: %v", out)
	}
	await(t, "both agents' messages", func() bool { b, _ := rec.got(); return len(b) >= 2 })

	rel := writeDraft(t, alice, "FEAT-0001", "status", webhookDraft("status v1"))
	git(t, alice, "add", rel)
	git(t, alice, "commit", "-q", "-m", "v1")
	writeDraft(t, alice, "FEAT-0001", "status", webhookDraft("status v2"))
	git(t, alice, "commit", "-q", "-am", "v2")
	git(t, alice, "push", "-q")
	await(t, "both versions of the changed draft", func() bool { b, _ := rec.got(); return len(b) >= 4 })

	res := stop()
	wantCode(t, res, 0, "central watch stopped with SIGTERM")
	bodies, ids := rec.got()
	if len(bodies) != 4 || bodies[2] != "status v1" || bodies[3] != "status v2" {
		t.Errorf("received %q, want both agents' messages, then status v1 before v2", bodies)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
	t.Logf("central$ courier watch --remote origin --fetch-interval 200ms --config central.yaml\n%s", res.stderr)
	t.Logf("provider received, in order: %q", bodies)
}

// POST /api/v1/courier/fetch (a forge's push webhook) fetches at once and answers with the counts.
func TestCentralFetchAPI(t *testing.T) {
	t.Parallel()
	bin := courierBinary(t)
	w := newCentralWorld(t, "", "watch: {api_token: s3cret}\n")
	alice := w.agent(t, "alice", "feat/FEAT-0001")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stop := background(t, w.central, bin, "watch", "--remote", "origin", "--fetch-interval", "1h", "--config", w.config, "--listen", addr)
	post := func(token string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/courier/fetch", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(b))
	}
	await(t, "the API", func() bool { code, _ := post("s3cret"); return code == 200 })
	if code, _ := post("wrong"); code != 401 {
		t.Errorf("wrong token: %d, want 401", code)
	}
	git(t, alice, "commit", "-q", "--allow-empty", "-m", "first sight")
	git(t, alice, "push", "-q", "-u", "origin", "HEAD")
	post("s3cret")
	rel := writeDraft(t, alice, "FEAT-0001", "a", fileDraft("via webhook"))
	writeDraft(t, alice, "FEAT-0001", "bad", "---\nprovider: file\n---\nno recipient\n")
	git(t, alice, "add", "-A")
	git(t, alice, "commit", "-q", "--no-verify", "-m", "a")
	git(t, alice, "push", "-q")
	code, body := post("s3cret")
	if code != 200 || body != `{"delivered":1,"invalid":1,"status":"fetched"}` {
		t.Errorf("POST fetch: %d %s", code, body)
	}
	res := stop()
	wantCode(t, res, 0, "watch")
	if !strings.Contains(res.stderr, "bad.md:3: to: required field is missing") || !strings.Contains(res.stderr, rel) {
		t.Errorf("log lacks the delivered and the invalid draft:\n%s", res.stderr)
	}
}

// `watch --once --remote` fetches, delivers, sends what is due and exits; a bare clone needs
// --config with mailbox:; invalid versions are listed with branch and commit; the service unit
// repeats --remote.
func TestWatchOnceRemote(t *testing.T) {
	t.Parallel()
	w := newCentralWorld(t, "", "")
	alice := w.agent(t, "alice", "feat/FEAT-0001")
	writeDraft(t, alice, "FEAT-0001", "a", fileDraft("once"))
	git(t, alice, "add", "-A")
	git(t, alice, "commit", "-q", "-m", "a")
	git(t, alice, "push", "-q", "-u", "origin", "HEAD")

	r := courier(t, w.central, nil, "watch", "--once", "--remote", "origin")
	wantCode(t, r, 78, "watch --remote in a bare clone without --config")
	if !strings.Contains(r.stderr, "mailbox:") {
		t.Errorf("the error does not say what is missing:\n%s", r)
	}
	r = courier(t, w.central, nil, "watch", "--once", "--remote", "origin", "--config", w.config)
	wantCode(t, r, 0, "watch --once --remote")
	if !strings.Contains(r.stdout, "sent 1,") {
		t.Errorf("want one message sent:\n%s", r)
	}
	sent, _ := filepath.Glob(filepath.Join(w.mailbox, "archive", "file", "*.md"))
	if len(sent) != 1 {
		t.Errorf("archive/file holds %v", sent)
	}
	r = courier(t, w.central, nil, "watch", "--once", "--remote", "origin", "--config", w.config)
	if wantCode(t, r, 0, "second --once"); !strings.Contains(r.stdout, "sent 0,") {
		t.Errorf("a second run sent again:\n%s", r)
	}

	// An invalid version pushed past the hook: never enqueued, listed by status --json with its
	// branch and commit, whatever branch the central clone is on.
	writeDraft(t, alice, "FEAT-0001", "bad", "---\nprovider: file\n---\nno recipient\n")
	git(t, alice, "add", "-A")
	git(t, alice, "commit", "-q", "--no-verify", "-m", "bad")
	git(t, alice, "push", "-q", "origin", "HEAD")
	badCommit := strings.TrimSpace(git(t, alice, "rev-parse", "HEAD"))
	r = courier(t, w.central, nil, "watch", "--once", "--remote", "origin", "--config", w.config)
	wantCode(t, r, 0, "--once with an invalid version")
	r = courier(t, w.central, nil, "status", "--json", "--config", w.config)
	wantCode(t, r, 0, "status --json in the central clone")
	var st struct {
		Invalid []struct{ Draft, Branch, Commit string } `json:"invalid"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r)
	}
	if len(st.Invalid) != 1 || st.Invalid[0].Branch != "origin/feat/FEAT-0001" || st.Invalid[0].Commit != badCommit ||
		!strings.HasSuffix(st.Invalid[0].Draft, "drafts/bad.md") {
		t.Errorf("status --json invalid = %+v, want bad.md on origin/feat/FEAT-0001 at %s", st.Invalid, badCommit)
	}

	r = courier(t, w.central, nil, "watch", "--print-service", "systemd", "--remote", "origin", "--config", w.config)
	wantCode(t, r, 0, "print-service")
	if !strings.Contains(r.stdout, `watch "--config" "`+w.config+`" "--remote" "origin"`) {
		t.Errorf("the unit does not run central mode:\n%s", r.stdout)
	}

	// A remote that is down: --once still sends what is due and exits 1.
	if err := os.Rename(w.origin, w.origin+".away"); err != nil {
		t.Fatal(err)
	}
	r = courier(t, w.central, nil, "watch", "--once", "--remote", "origin", "--config", w.config)
	if r.code != 1 || !strings.Contains(r.stderr, "fetch failed") || !strings.Contains(r.stdout, "sent 0,") {
		t.Errorf("watch --once with the remote down:\n%s", r)
	}
}

// remote: in the configuration turns central mode on; --fetch-interval alone is a usage error.
func TestRemoteConfig(t *testing.T) {
	t.Parallel()
	w := newCentralWorld(t, "", "remote: {name: origin, fetch_interval: 1m}\n")
	alice := w.agent(t, "alice", "feat/FEAT-0002")
	writeDraft(t, alice, "FEAT-0002", "a", fileDraft("configured"))
	git(t, alice, "add", "-A")
	git(t, alice, "commit", "-q", "-m", "a")
	git(t, alice, "push", "-q", "-u", "origin", "HEAD")
	r := courier(t, w.central, nil, "watch", "--once", "--config", w.config)
	if wantCode(t, r, 0, "watch --once with remote.name"); !strings.Contains(r.stdout, "sent 1,") {
		t.Errorf("remote.name did not turn central mode on:\n%s", r)
	}
	repo := newRepo(t, "main")
	wantCode(t, courier(t, repo, nil, "watch", "--once", "--fetch-interval", "1s"), 2, "--fetch-interval without a remote")
}
