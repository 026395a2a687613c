"""More black-box scenarios for courier, built on the shared acceptance harness (../shared/acceptance).

    python3 .ci/accept_extra.py --checkout .          # all of them
    python3 .ci/accept_extra.py --checkout . x_kill9  # one

Each checks a promise of CONTRACT.md that the visible suite does not: no secret or signature in an
error_message when a provider echoes the request, rate limits leave retry_count alone, tampered/forged/garbage
files are dead-lettered and never sent, kill -9 mid-send then restart, two watchers, SIGTERM, the local API,
a linked worktree, schedule_at with fan-out, every provider verified by the harness's protocol fakes, a DingTalk
actionCard, and email Bcc/threading/markdown. Not part of .ci/run (it needs ../shared beside the checkout)."""
import sys, os, signal, time, json, re
from pathlib import Path as _P
sys.path.insert(0, str(_P(__file__).resolve().parent.parent.parent / "shared" / "acceptance"))
import courier_accept as ca
from courier_accept import *
from courier_accept import _dig, _first

X = ca.Registry()

@X.case("x_echo_redact")
def x_echo_redact(ctx):
    fake = ctx.fake_providers()
    out = []
    for prov in ("dingtalk", "lark", "wecom", "slack", "teams", "webhook"):
        ep = fake.endpoint(prov, responses=["echo500"] * 10)
        repo = ctx.repo({prov: ep.config()}, branch=BRANCH, name="r" + prov,
                        config_extra={"retry": {"max_attempts": 1, "initial_delay": "100ms", "max_delay": "400ms", "multiplier": 2}})
        repo.enqueue("e", provider_meta(prov), f"echo {ctx.marker()}\n")
        run_watch_until(repo, lambda: repo.mailbox.count(DEADLETTER) + repo.mailbox.count(ARCHIVE) >= 1)
        dead = repo.mailbox.messages(DEADLETTER)
        expect(len(dead) == 1, f"{prov}: {len(dead)} dead")
        err = str(dead[0].get("error_message"))
        reqs = fake.requests(prov)
        leaked = []
        for val in (ep.token, ep.secret):
            if val and val in err: leaked.append("token/secret")
        for r in reqs:
            for k in ("sign", "sig"):
                v = ca._first(r.query, k)
                if v and (v in err or urllib.parse.quote(v, safe="") in err): leaked.append(k)
            sig = r.headers.get("webhook-signature")
            if sig and sig.split(",",1)[-1] in err: leaked.append("webhook-signature")
            if isinstance(r.json, dict) and r.json.get("sign") and r.json["sign"] in err: leaked.append("lark sign")
        # every file under mailbox
        for p in repo.mailbox.all_files():
            data = p.read_bytes()
            for val in (ep.token, ep.secret):
                if val and val.encode() in data: leaked.append("file:" + p.name)
        expect(not leaked, f"{prov}: leaked {leaked}: {err[:300]}")
        out.append(prov)
    return "no leaks: " + ",".join(out)

@X.case("x_ratelimit")
def x_ratelimit(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("slack", responses=["ratelimit", "ok"])
    repo = ctx.repo({"slack": ep.config()}, branch=BRANCH)
    repo.enqueue("r", provider_meta("slack"), f"rl {ctx.marker()}\n")
    done = run_watch_until(repo, lambda: repo.mailbox.count(ARCHIVE) >= 1, linger=0.5)
    expect(done, "not archived")
    a = repo.mailbox.messages(ARCHIVE)[0]
    expect(a.get("retry_count") == 0, f"retry_count {a.get('retry_count')}")
    expect(fake.count(provider="slack") == 2, "want 2 requests")
    return "rate limit deferred, retry_count 0"

@X.case("x_tampered")
def x_tampered(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("dingtalk")
    repo = ctx.repo({"dingtalk": ep.config()}, branch=BRANCH)
    m = repo.enqueue("t", provider_meta("dingtalk"), f"tamper {ctx.marker()}\n")
    p = m.path
    p.write_text(p.read_text().replace("tamper", "TAMPERED"))
    # a foreign file too
    (p.parent / "20260101T000000_out_dingtalk_aaaaaaaaaaaa.md").write_text("---\nid: out_dingtalk_aaaaaaaaaaaa\nprovider: dingtalk\nto: [ops]\ncontent_type: text\n---\nforged\n")
    (p.parent / "20260101T000001_out_dingtalk_bbbbbbbbbbbb.md").write_text("garbage without frontmatter")
    run_watch_until(repo, lambda: repo.mailbox.count(DEADLETTER) >= 3, linger=0.5)
    dead = repo.mailbox.messages(DEADLETTER) if False else None
    files = repo.mailbox.files(DEADLETTER)
    expect(len(files) == 3, f"{len(files)} dead")
    expect(fake.count(provider="dingtalk") == 0, "something was sent")
    for f in files:
        try:
            msg = read_message(f)
            expect("tampered" in str(msg.get("error_message")) , f"{f.name}: {msg.get('error_message')}")
            expect(msg.get("status") == "failed", "status")
        except (ValueError, UnicodeDecodeError):
            side = f.parent / ("." + f.name + ".reason")
            expect(side.exists(), "no sidecar for " + f.name)
    return "3 dead-lettered, none sent"

@X.case("x_kill9")
def x_kill9(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("slack", responses=["slow:3", "ok"])
    repo = ctx.repo({"slack": ep.config()}, branch=BRANCH)
    repo.enqueue("k", provider_meta("slack"), f"kill {ctx.marker()}\n")
    w = repo.start_watch()
    expect(fake.wait_for(lambda: fake.count(provider="slack") >= 1, 10), "no request")
    os.kill(w.pid, signal.SIGKILL); w.wait(5)
    expect(repo.mailbox.count(ARCHIVE) == 0, "archived already")
    done = run_watch_until(repo, lambda: repo.mailbox.count(ARCHIVE) >= 1, linger=0.5)
    expect(done, "not archived after restart")
    leftovers = [p for p in repo.mailbox.all_files() if "claims" in str(p) and p.name.endswith(".md")]
    expect(not leftovers, f"claims left {leftovers}")
    return f"{fake.count(provider='slack')} requests; archived"

@X.case("x_two_watchers")
def x_two_watchers(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("webhook")
    repo = ctx.repo({"webhook": ep.config()}, branch=BRANCH)
    for i in range(20):
        repo.write_draft(f"d{i:02d}", provider_meta("webhook"), f"m{i} {ctx.marker()}\n")
    repo.commit("many")
    repo.deliver()
    expect(repo.mailbox.count(OUTBOUND) == 20, f"outbound {repo.mailbox.count(OUTBOUND)}")
    a = repo.start_watch(name="a"); b = repo.start_watch(name="b")
    ok = wait_until(lambda: repo.mailbox.count(ARCHIVE) == 20, 30)
    time.sleep(0.5)
    a.stop(); b.stop()
    expect(ok, f"archived {repo.mailbox.count(ARCHIVE)}")
    expect(fake.count(provider="webhook") == 20, f"{fake.count(provider='webhook')} requests")
    return "20 sent once each"

@X.case("x_sigterm")
def x_sigterm(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("webhook", responses=["slow:2", "ok"])
    repo = ctx.repo({"webhook": ep.config()}, branch=BRANCH)
    repo.enqueue("s", provider_meta("webhook"), f"term {ctx.marker()}\n")
    w = repo.start_watch()
    expect(fake.wait_for(lambda: fake.count(provider="webhook") >= 1, 10), "no request")
    w.signal(signal.SIGTERM)
    rc = w.wait(15)
    expect(rc == 0, f"rc {rc}")
    expect(repo.mailbox.count(ARCHIVE) == 1, "in-flight send not finished within grace")
    return "exit 0, archived"

@X.case("x_api")
def x_api(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("webhook", responses=["perm", "ok"])
    repo = ctx.repo({"webhook": ep.config()}, branch=BRANCH)
    m = repo.enqueue("a", provider_meta("webhook"), f"api {ctx.marker()}\n")
    port = free_port()
    w = repo.start_watch("--listen", f"127.0.0.1:{port}")
    base = f"http://127.0.0.1:{port}"
    expect(wait_until(lambda: http_request("GET", base + "/healthz")[0] == 200, 10), "healthz")
    expect(wait_until(lambda: repo.mailbox.count(DEADLETTER) == 1, 10), "not dead")
    st, h, body = http_request("GET", base + "/api/v1/courier/outbound/queue")
    q = json.loads(body)
    expect(q["messages"][0]["state"] == "failed", str(q))
    st, h, body = http_request("POST", base + f"/api/v1/courier/outbound/retry/{m.id}", b"{}")
    expect(st == 415, f"415 want, got {st}")
    st, h, body = http_request("POST", base + f"/api/v1/courier/outbound/retry/{m.id}", b"{}", {"Content-Type": "application/json"})
    expect(st == 200 and json.loads(body) == {"id": m.id, "state": "pending"}, f"{st} {body}")
    st, h, body = http_request("POST", base + "/api/v1/courier/outbound/retry/out_x_000000000000", b"{}", {"Content-Type": "application/json"})
    expect(st == 404, f"{st}")
    expect(wait_until(lambda: repo.mailbox.count(ARCHIVE) == 1, 10), "not archived after retry")
    st, h, body = http_request("GET", base + "/metrics")
    expect(b"courier_messages" in body, "metrics")
    w.stop()
    return "api ok"

@X.case("x_worktree")
def x_worktree(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("dingtalk")
    repo = ctx.repo({"dingtalk": ep.config()}, hooks=True)
    wt = ctx.tmp / "wt"
    repo.git("worktree", "add", "-q", "-b", "FEAT-0002-wt", str(wt))
    d = repo.write_draft("w", provider_meta("dingtalk"), f"wt {ctx.marker()}\n", item="FEAT-0002", root=wt)
    res = repo.commit("wt draft", d, cwd=wt)
    expect(res.rc == 0, res.stderr)
    expect(repo.mailbox.count(OUTBOUND) == 1, f"main mailbox has {repo.mailbox.count(OUTBOUND)}; out={res.stdout} err={res.stderr}")
    expect(not (wt / ".monoco" / "mailbox" / "outbound").exists() or not list((wt / ".monoco" / "mailbox" / "outbound").rglob("*.md")), "worktree mailbox used")
    return "delivered into main mailbox"

@X.case("x_schedule_and_fanout")
def x_schedule(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("dingtalk")
    cfg = ep.config(); cfg["channels"]["dev"] = dict(cfg["channels"]["ops"])
    repo = ctx.repo({"dingtalk": cfg}, branch=BRANCH)
    repo.write_draft("f", {"provider": "dingtalk", "to": ["ops", "dev"], "options": {"schedule_at": "2030-01-01T08:00:00+08:00"}}, "fan\n")
    repo.commit("fan")
    res = repo.deliver()
    expect(res.rc == 0, res.stderr)
    msgs = repo.mailbox.messages(OUTBOUND)
    expect(len(msgs) == 2, f"{len(msgs)}")
    expect(all(m.get("next_retry_at", "").startswith("2030-01-01T00:00:00") for m in msgs), str([m.get("next_retry_at") for m in msgs]))
    res = ctx.courier("watch", "--once", cwd=repo.root)
    expect(res.rc == 0, f"rc {res.rc} {res.stderr}")
    expect(fake.count() == 0, "sent before schedule")
    return "fanout 2, scheduled"


@X.case("x_all_providers_verified")
def x_allprov(ctx):
    fake = ctx.fake_providers()
    out = []
    for prov in ("dingtalk", "lark", "wecom", "slack", "teams", "webhook"):
        for ct in ("text", "markdown"):
            ep = fake.endpoint(prov, scenario=f"s{ct}")
            cfg = ep.config()
            repo = ctx.repo({prov: cfg}, branch=BRANCH, name=f"r{prov}{ct}")
            mk = ctx.marker()
            meta = provider_meta(prov, content_type=ct)
            if prov in ("dingtalk", "wecom") :
                meta["mentions"] = [{"type": "user", "target": "13800000000"}, {"type": "all"}] if prov=="dingtalk" else [{"type":"user","target":"alice"}]
            body = f"# Heading {mk}\n\nSome **bold** text {mk}\n" if ct == "markdown" else f"plain {mk}\n"
            repo.enqueue("p", meta, body)
            done = run_watch_until(repo, lambda: repo.mailbox.count(ARCHIVE) + repo.mailbox.count(DEADLETTER) >= 1, linger=0.3)
            reqs = fake.requests(prov, f"s{ct}")
            expect(reqs and reqs[0].verified, f"{prov}/{ct}: {reqs[0].problems if reqs else 'no request'} ; dead={[m.get('error_message') for m in repo.mailbox.messages(DEADLETTER)]}")
            expect(repo.mailbox.count(ARCHIVE) == 1, f"{prov}/{ct} not archived")
            expect(reqs[0].has(mk), f"{prov}/{ct}: marker missing in {reqs[0].body[:300]!r}")
            if prov == "dingtalk" and ct == "markdown":
                expect(_dig(reqs[0].json, "markdown", "title").startswith("Heading"), f"title {_dig(reqs[0].json,'markdown','title')!r}")
                at = reqs[0].json.get("at", {})
                expect(at.get("atMobiles") == ["13800000000"] and at.get("isAtAll") is True, f"at {at}")
                expect("@13800000000" in _dig(reqs[0].json, "markdown", "text"), "no @ text")
            out.append(f"{prov}/{ct}")
    return " ".join(out)

@X.case("x_card")
def x_card(ctx):
    fake = ctx.fake_providers()
    ep = fake.endpoint("dingtalk")
    repo = ctx.repo({"dingtalk": ep.config()}, branch=BRANCH)
    repo.enqueue("c", provider_meta("dingtalk", content_type="card", subject="Deploy"),
                 '{"title": "Deploy", "text": "### done", "btnOrientation": "0", "singleTitle": "Open", "singleURL": "https://example.com"}\n')
    run_watch_until(repo, lambda: repo.mailbox.count(ARCHIVE) + repo.mailbox.count(DEADLETTER) >= 1)
    req = fake.requests("dingtalk")[0]
    expect(req.verified and req.json.get("msgtype") == "actionCard", f"{req.json} {req.problems}")
    return "actionCard"

@X.case("x_email_markdown_bcc")
def x_email_md(ctx):
    smtp = ctx.fake_smtp()
    providers = {"email": {"smtp": f"smtp://127.0.0.1:{smtp.port}", "from": "Courier <bot@example.com>"}}
    repo = ctx.repo(providers, branch=BRANCH)
    mk = ctx.marker()
    meta = {"provider": "email", "to": ["alice@example.com"], "bcc": "hidden@example.com", "subject": f"Ünïcode {mk}",
            "reply_to": "parent@example.com", "thread_root": "<root@example.com>", "content_type": "markdown"}
    repo.enqueue("m", meta, f"# Hi\n\n**bold** {mk}\n")
    run_watch_until(repo, lambda: repo.mailbox.count(ARCHIVE) + repo.mailbox.count(DEADLETTER) >= 1)
    expect(len(smtp.messages) == 1, f"{len(smtp.messages)}")
    mail = smtp.messages[0]
    expect("hidden@example.com" in mail.rcpt_to, str(mail.rcpt_to))
    expect("hidden" not in mail.raw.decode(errors="replace").split("\r\n\r\n")[0], "bcc in headers")
    expect(mail.header("Subject") == f"Ünïcode {mk}", mail.header("Subject"))
    expect(mail.header("In-Reply-To").strip() == "<parent@example.com>", mail.header("In-Reply-To"))
    refs = mail.header("References")
    expect("<root@example.com>" in refs and refs.index("root") < refs.index("parent"), refs)
    msg = mail.message
    expect(msg.get_content_type() == "multipart/alternative", msg.get_content_type())
    return "ok"

if __name__ == "__main__":
    sys.exit(ca.main(registry=X))
