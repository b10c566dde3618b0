"""Alerts: email through a real SMTP server, webhooks through a real HTTP
receiver; the outbox across failures, retries, backoff and expiry."""
import os
import time

from harness import (PAGE1, Route, Server, Workspace, eq, lines, main, ok, test, ul_page)
from mailhook import HookServer, SMTPServer

TRICKY = ("关于<b>二建</b>证书 & 领取的通知", "2021-10-15", "/n/200.html")


def setup(channels, extra="", pages=("js", "gd"), retry="2s"):
    srv = Server()
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\noutbox_retry = %s\n%s\n" % (retry, extra)
    for sid in pages:
        srv.routes["/%s/list.html" % sid] = Route(ul_page(PAGE1))
        text += "[source %s]\nname = %s\nurl = %s\n\n" % (
            sid, {"js": "江苏", "gd": "广东"}.get(sid, sid), srv.url("/%s/list.html" % sid))
    ws.write_config(text + channels)
    return srv, ws


def email_section(smtp, extra=""):
    return ("[email]\nurl = %s\ntls = no\nfrom = 考试通知 <watch@example.org>\n"
            "to = 张三 <a@example.org>, b@example.org\n%s\n" % (smtp.url(), extra))


@test
def digest_mail_is_proper_mime():
    smtp = SMTPServer()
    srv, ws = setup(email_section(smtp))
    srv.routes["/js/list.html"].body = ul_page([TRICKY] + PAGE1)
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(len(smtp.messages), 1, "one digest mail")
        env, raw, msg = smtp.messages[0]
        eq(sorted(env.rcpt_tos), ["a@example.org", "b@example.org"], "recipients")
        eq(env.mail_from, "watch@example.org", "envelope sender")
        eq(str(msg["From"]), "考试通知 <watch@example.org>", "From decoded")
        ok(b"=?UTF-8?B?" in raw.split(b"\r\n\r\n")[0], "RFC 2047 in the headers")
        eq(str(msg["To"]).split(", ")[0], "张三 <a@example.org>", "To decoded")
        eq(str(msg["Subject"]), "noticewatch: 9 updates (江苏、广东)", "Subject decoded")
        ok(msg["Date"] is not None and msg["Message-ID"] is not None, "Date and Message-ID")
        ok(msg["Message-ID"].endswith("@example.org>"), msg["Message-ID"])
        eq(msg.get_content_type(), "multipart/alternative", "top type")
        parts = list(msg.iter_parts())
        eq([p.get_content_type() for p in parts], ["text/plain", "text/html"], "parts")
        eq([p.get_content_charset() for p in parts], ["utf-8", "utf-8"], "charsets")
        text, html = parts[0].get_content(), parts[1].get_content()
        ok("江苏 (js)" in text and "广东 (gd)" in text, "grouped by source: " + text)
        ok(text.index("江苏 (js)") < text.index("广东 (gd)"), "sources in order")
        ok("NEW 2021-10-15 关于<b>二建</b>证书 & 领取的通知" in text, text)
        ok("关于&lt;b&gt;二建&lt;/b&gt;证书 &amp; 领取的通知" in html, "title escaped in HTML")
        ok("<b>二建</b>" not in html, "no raw markup from a title")
        ok(all(len(l) <= 998 for l in raw.split(b"\r\n")), "no line over 998 octets")
        eq(ws.run("run"), (0, "", ""), "a quiet run")
        eq(len(smtp.messages), 1, "sends nothing more")
    finally:
        smtp.close()
        srv.close()
        ws.close()


@test
def each_mode_and_subject_template():
    smtp = SMTPServer()
    srv, ws = setup(email_section(smtp, "mode = each\nsubject = 【{source}】{kind}: {title}"),
                    pages=("js",))
    try:
        eq(ws.run("run")[0], 0, "run")
        eq(len(smtp.messages), 4, "one mail per relevant event")
        subjects = sorted(str(m["Subject"]) for _, _, m in smtp.messages)
        eq(subjects[0], "【江苏】NEW: 2021年度二级建造师合格人员资格核查公告", "templated subject")
        long_title = "二级建造师证书领取" * 18
        srv.routes["/js/list.html"].body = ul_page([(long_title, "2021-12-01", "/l")] + PAGE1)
        eq(ws.run("run")[0], 0, "second run")
        env, raw, msg = smtp.messages[-1]
        eq(str(msg["Subject"]), "【江苏】NEW: " + long_title, "a long subject survives folding")
        head = raw.split(b"\r\n\r\n")[0].split(b"\r\n")
        subject_lines = head[[i for i, l in enumerate(head) if l.startswith(b"Subject:")][0]:]
        subject_lines = [subject_lines[0]] + [l for l in subject_lines[1:]
                                              if l.startswith(b" ")]
        ok(len(subject_lines) > 5 and all(len(l) <= 78 for l in subject_lines),
           "folded into short lines: %r" % subject_lines)
    finally:
        smtp.close()
        srv.close()
        ws.close()


@test
def webhook_formats_send_their_shapes():
    hooks = HookServer()
    os.environ["NW_TEST_DING"] = "SECdingtalk-secret"
    os.environ["NW_TEST_FEISHU"] = "feishu-secret"
    hooks.secrets["/ding"] = ("dingtalk", "SECdingtalk-secret")
    hooks.secrets["/feishu"] = ("feishu", "feishu-secret")
    channels = ""
    for name, fmt, extra in [("j", "json", ""), ("s", "slack", ""), ("d", "discord", ""),
                             ("ding", "dingtalk", "secret_env = NW_TEST_DING\n"),
                             ("wecom", "wecom", ""),
                             ("feishu", "feishu", "secret_env = NW_TEST_FEISHU\n"),
                             ("tg", "telegram", "chat_id = -100123\n")]:
        channels += "[webhook %s]\nurl = %s\nformat = %s\n%s\n" % (
            name, hooks.url("/" + name + ("?access_token=T0KEN" if fmt == "dingtalk" else "")),
            fmt, extra)
    srv, ws = setup(channels, pages=("js",))
    try:
        hooks.reply = b'{"errcode":0,"code":0,"ok":true}'
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        by = {p: (q, b) for p, q, b in hooks.posts}
        eq(sorted(by), ["/d", "/ding", "/feishu", "/j", "/s", "/tg", "/wecom"], "one post each")
        events = by["/j"][1]["events"]
        eq(len(events), 4, "json: the relevant events")
        eq(sorted(events[0]), ["date", "link", "source", "source_name", "title", "type"],
           "json event fields")
        eq((events[0]["type"], events[0]["source"], events[0]["source_name"]),
           ("new", "js", "江苏"), "json event")
        ok("二级建造师" in by["/s"][1]["text"], "slack text")
        ok("二级建造师" in by["/d"][1]["content"], "discord content")
        eq(by["/ding"][1]["msgtype"], "text", "dingtalk msgtype")
        eq(by["/ding"][0]["access_token"], "T0KEN", "dingtalk token kept")
        ok("sign" in by["/ding"][0] and "timestamp" in by["/ding"][0], "dingtalk signed")
        eq(by["/wecom"][1]["msgtype"], "text", "wecom msgtype")
        eq(by["/feishu"][1]["msg_type"], "text", "feishu msg_type")
        ok("sign" in by["/feishu"][1], "feishu signed")
        eq(hooks.bad_signatures, [], "signatures verify")
        eq((by["/tg"][1]["chat_id"], "二级建造师" in by["/tg"][1]["text"]), ("-100123", True),
           "telegram")
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def chat_messages_split_at_the_service_limit():
    hooks = HookServer()
    srv, ws = setup("[webhook w]\nurl = %s\nformat = wecom\n" % hooks.url("/w"), pages=("js",))
    many = [("第%d号 二级建造师证书领取通知：请于规定时间内携带身份证原件到指定地点领取" % i,
             "2021-10-%02d" % (i % 28 + 1), "/n/%d.html" % i) for i in range(60)]
    srv.routes["/js/list.html"].body = ul_page(many)
    try:
        eq(ws.run("run")[0], 0, "run")
        ok(len(hooks.posts) > 1, "split into several messages")
        texts = [b["text"]["content"] for _, _, b in hooks.posts]
        ok(all(len(t.encode()) <= 2048 for t in texts), "each within 2048 bytes")
        joined = "".join(texts)
        for title, _, _ in many:
            eq(joined.count(title), 1, "each event once: " + title)
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def failed_channels_queue_and_deliver_exactly_once():
    port = __import__("mailhook").free_port()
    hooks = HookServer()
    hooks.status = 500
    srv, ws = setup("[email]\nurl = smtp://127.0.0.1:%d\ntls = no\nfrom = w@example.org\n"
                    "to = a@example.org\n\n[webhook ding]\nurl = %s\nformat = dingtalk\n"
                    % (port, hooks.url("/ding?access_token=SECRET_TOKEN_123")))
    try:
        rc, out, err = ws.run("run")
        eq(rc, 1, "deliveries failed: exit 1")
        eq(len(lines(out)), 8, "events still printed")
        ok("email: 8 alerts wait for delivery" in err, err)
        ok("ding: 8 alerts wait for delivery" in err, err)
        ok("SECRET_TOKEN_123" not in err, "no token in errors")
        rc, out, err = ws.run("outbox")
        eq(rc, 0, "outbox")
        eq(len(lines(out)), 16, "16 rows queued, one line each")
        ok("failed 1 time, next try at the next run" in out and "HTTP 500" in out, out)
        ok("SECRET_TOKEN_123" not in out, "no token in the outbox")

        # back: the SMTP server comes up, DingTalk answers 200 but refuses
        smtp = SMTPServer(port)
        hooks.status = 200
        hooks.reply = b'{"errcode":310000,"errmsg":"keywords not in content"}'
        try:
            rc, out, err = ws.run("run")
            eq(rc, 1, "dingtalk refused in the body")
            eq(len(smtp.messages), 1, "the queued email delivered in one digest")
            ok("errcode 310000" in err, err)
            hooks.reply = b'{"errcode":0,"errmsg":"ok"}'
            time.sleep(3.1)     # outbox_retry = 2s after the second failure (whole seconds)
            rc, out, err = ws.run("run")
            eq((rc, err), (0, ""), "all delivered")
            eq(len(smtp.messages), 1, "email not sent twice")
            oks = [b for p, q, b in hooks.posts if p == "/ding"]
            content = oks[-1]["text"]["content"]
            eq(content.count("二级建造师"), 6, "all 8 events in the accepted message")
            eq(ws.run("run"), (0, "", ""), "nothing more to send")
            eq(len(smtp.messages), 1, "still one mail")
            eq(ws.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"), [(0,)],
               "outbox empty")
        finally:
            smtp.close()
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def backoff_is_honoured_and_old_alerts_die():
    hooks = HookServer()
    hooks.status = 503
    srv, ws = setup("[webhook j]\nurl = %s\nformat = json\n" % hooks.url("/j"),
                    extra="outbox_max_age = 12s", pages=("js",), retry="4s")
    try:
        t0 = time.time()
        eq(ws.run("run")[0], 1, "first failure")
        eq(ws.run("run")[0], 1, "second failure: tried on the next run")
        eq(len(hooks.posts), 2, "two attempts")
        eq(ws.run("run")[0], 0, "within the backoff: nothing tried, nothing failed")
        eq(len(hooks.posts), 2, "no attempt during the backoff")
        time.sleep(5.1)     # 4s, counted in whole seconds
        eq(ws.run("run")[0], 1, "after the backoff: tried again")
        eq(len(hooks.posts), 3, "third attempt")
        eq(ws.query("SELECT DISTINCT attempts FROM outbox"), [(3,)], "attempts counted")
        time.sleep(max(0.0, t0 + 13.2 - time.time()))   # past the 12s age
        rc, out, err = ws.run("run")
        ok("given up as dead" in err, err)
        eq(len(hooks.posts), 3, "dead alerts are not sent")
        rc, out, err = ws.run("outbox")
        eq(len([l for l in lines(out) if "dead since" in l]), 4, "dead rows listed: " + out)
        hooks.status = 200
        hooks.reply = b"{}"
        eq(ws.run("run")[0], 0, "later runs")
        eq(len(hooks.posts), 3, "the dead stay dead")
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def broken_and_recovered_alerts():
    hooks = HookServer()
    hooks.reply = b"{}"
    srv, ws = setup("[webhook j]\nurl = %s\nformat = json\n" % hooks.url("/j"),
                    extra="broken_after = 2", pages=("js",))
    try:
        eq(ws.run("run")[0], 0, "healthy")
        srv.routes["/js/list.html"].status = 404
        eq(ws.run("run")[0], 1, "first failure")
        eq(len(hooks.posts), 1, "no alert yet")
        eq(ws.run("run")[0], 1, "second failure")
        eq(len(hooks.posts), 2, "one broken alert")
        ev = hooks.posts[-1][2]["events"]
        eq((ev[0]["type"], ev[0]["source"]), ("broken", "js"), "broken alert")
        ok("2 failed checks in a row: HTTP 404" in ev[0]["detail"], ev[0]["detail"])
        eq(ws.run("run")[0], 1, "third failure")
        eq(len(hooks.posts), 2, "no second broken alert")
        srv.routes["/js/list.html"].status = 200
        eq(ws.run("run")[0], 0, "back")
        eq(hooks.posts[-1][2]["events"][0]["type"], "recovered", "recovered alert")
        # a page that suddenly yields nothing is broken at once
        srv.routes["/js/list.html"].body = b"<html><body><p>maintenance</p></body></html>"
        eq(ws.run("run")[0], 1, "empty page")
        eq(hooks.posts[-1][2]["events"][0]["type"], "broken", "broken at once")
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def notify_test_and_secrets():
    smtp = SMTPServer()
    hooks = HookServer()
    hooks.status = 500
    srv, ws = setup(email_section(smtp) + "[webhook f]\nurl = %s\nformat = feishu\n"
                    "secret_env = NW_UNSET_SECRET\n" % hooks.url("/f?tok=SECRET_TOKEN_9"),
                    pages=("js",))
    os.environ.pop("NW_UNSET_SECRET", None)
    try:
        rc, out, err = ws.run("notify-test")
        eq(rc, 1, "a channel failed")
        eq(lines(out), ["email: delivered",
                        "f: failed: environment variable NW_UNSET_SECRET (secret_env) is not set"],
           "per channel")
        eq(len(smtp.messages), 1, "test mail sent")
        ok("test message" in str(smtp.messages[0][2]["Subject"]), "test subject")
        rc, out, err = ws.run("notify-test", "email")
        eq((rc, out), (0, "email: delivered\n"), "one channel")
        eq(ws.run("notify-test", "nope")[0], 2, "unknown channel")
        os.environ["NW_UNSET_SECRET"] = "s3cr3t-value"
        rc, out, err = ws.run("notify-test", "f")
        eq(rc, 1, "HTTP 500")
        ok("HTTP 500" in out and "SECRET_TOKEN_9" not in out + err and "s3cr3t" not in out + err,
           out + err)
        # a password file others can read is refused
        pw = os.path.join(ws.dir, "pw")
        with open(pw, "w") as f:
            f.write("hunter2\n")
        os.chmod(pw, 0o644)
        cfg = open(ws.config).read().replace("tls = no", "tls = no\nusername = u\n"
                                             "password_file = pw")
        ws.write_config(cfg)
        rc, out, err = ws.run("run")
        eq(rc, 2, "refused password file")
        ok("can be read by others" in err and "hunter2" not in err, err)
        os.chmod(pw, 0o600)
        eq(ws.run("sources")[0], 0, "accepted once private")
    finally:
        os.environ.pop("NW_UNSET_SECRET", None)
        smtp.close()
        hooks.close()
        srv.close()
        ws.close()


@test
def tls_required_refuses_a_plain_server():
    smtp = SMTPServer()
    srv, ws = setup(email_section(smtp).replace("tls = no", "tls = required"), pages=("js",))
    try:
        rc, out, err = ws.run("notify-test")
        eq(rc, 1, "no STARTTLS offered")
        ok(out.startswith("email: failed: ") and ("SSL" in out or "TLS" in out), out)
        eq(smtp.messages, [], "nothing sent in the clear")
    finally:
        smtp.close()
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
