"""Delivery that can be trusted (issue 12, items 6, 7 and 10): a crash
repeats at most the message in flight; a backlog larger than one message
goes out as several, in order, each under the cap, and new alerts follow;
a hostile title cannot mention everyone or disguise a link in a chat."""
import asyncio
import datetime
import email
import email.policy
import json
import os
import signal
import subprocess
import threading
import time

from aiosmtpd.controller import Controller

from harness import Route, Server, Workspace, command, eq, main, ok, test, ul_page
from mailhook import HookServer, free_port

TODAY = datetime.date.today().isoformat()
MAIL_CAP = 4194304


class HoldingSMTP:
    """An SMTP server that accepts `hold_after` mails, then keeps the next
    one waiting in DATA until release() (a slow server to crash against)."""

    def __init__(self, hold_after=None):
        self.messages = []
        self.arrived = 0
        self.hold_after = hold_after
        self.gate = threading.Event()
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.arrived += 1
                if outer.hold_after is not None and outer.arrived > outer.hold_after:
                    await asyncio.get_running_loop().run_in_executor(None, outer.gate.wait)
                raw = envelope.original_content or envelope.content
                outer.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
                outer.raw_sizes.append(len(raw))
                return "250 OK"

        self.raw_sizes = []
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     data_size_limit=64 << 20)
        self.controller.start()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def release(self):
        self.gate.set()

    def close(self):
        self.gate.set()
        self.controller.stop()


def chat_hooks():
    """The webhook receiver, answering as every service wants."""
    hooks = HookServer()
    hooks.reply = b'{"errcode":0,"code":0,"ok":true}'
    return hooks


def posts_to(hooks, path):
    return [raw for p, raw in hooks.raw if p == path]


def setup(items, channels, extra=""):
    srv = Server()
    ws = Workspace()
    srv.routes["/js/list.html"] = Route(ul_page(items))
    ws.write_config("[noticewatch]\ntimeout = 20\nmax_size = 64M\n%s\n"
                    "[source js]\nname = 江苏\nurl = %s\n\n%s"
                    % (extra, srv.url("/js/list.html"), channels))
    return srv, ws


def mail_section(smtp, extra=""):
    return ("[email]\nurl = %s\ntls = no\nfrom = watch@example.org\nto = a@example.org\n%s\n"
            % (smtp.url(), extra))


def text_of(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def run_ok(ws, what):
    rc, out, err = ws.run("-q", "run", timeout=600)
    eq((rc, err), (0, ""), what)


def wait_for(cond, what, limit=60):
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("gave up waiting for " + what)
        time.sleep(0.05)


@test
def a_crash_repeats_at_most_the_mail_in_flight():
    titles = ["第%d批二级建造师证书领取通知" % i for i in range(10)]
    smtp = HoldingSMTP(hold_after=4)
    srv, ws = setup([(t, TODAY, "/n/%d.html" % i) for i, t in enumerate(titles)],
                    mail_section(smtp, "mode = each"))
    try:
        p = subprocess.Popen(command("-c", ws.config, "run"), cwd=ws.dir,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: smtp.arrived == 5, "the fifth mail")
            eq(len(smtp.messages), 4, "four mails accepted before the crash")
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
        smtp.hold_after = None  # the mail in flight dies with the connection
        smtp.release()
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "the run after the crash")
        got = [str(m["Subject"]) for m in smtp.messages]
        for t in titles:
            ok(any(t in s for s in got), "no mail lost: " + t)
        ok(len(got) <= len(titles) + 1, "at most one repeat: %d mails for 10 alerts" % len(got))
        eq(ws.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"), [(0,)],
           "all recorded as delivered")
    finally:
        smtp.close()
        srv.close()
        ws.close()


@test
def a_crash_repeats_at_most_the_chat_part_in_flight():
    titles = ["第%02d号 二级建造师证书领取通知：请携带身份证原件到指定地点领取" % i for i in range(60)]
    hooks = chat_hooks()
    hooks.hold_after = 3
    srv, ws = setup([(t, TODAY, "/n/%d.html" % i) for i, t in enumerate(titles)],
                    "[webhook w]\nurl = %s\nformat = wecom\n" % hooks.url("/w"))
    try:
        p = subprocess.Popen(command("-c", ws.config, "run"), cwd=ws.dir,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: hooks.arrived == 4, "the fourth part")
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
        hooks.hold_after = None
        hooks.gate.set()        # the part in flight is dropped with its connection
        before = [b["text"]["content"] for _, _, b in hooks.posts]
        eq(len(before), 3, "three parts accepted before the crash")
        run_ok(ws, "the run after the crash")
        after = [b["text"]["content"] for _, _, b in hooks.posts[3:]]
        for t in titles:
            sent = [x for x in before if t in x]
            again = [x for x in after if t in x]
            ok(len(sent) + len(again) >= 1, "no alert lost: " + t)
            ok(not (sent and again), "an accepted part is not sent again: " + t)
    finally:
        hooks.close()
        srv.close()
        ws.close()


def backlog(n, prefix):
    """n notices with long titles and links, as a first check of a big site
    (or weeks of alerts a dead server let pile up) gives."""
    pad = "证书领取及资格核查有关事项的通知" * 9
    return [("%s%05d号 二级建造师%s" % (prefix, i, pad), TODAY,
             "/notice/2026/%05d/" % i + "x" * 280 + ".html") for i in range(n)]


@test
def a_digest_larger_than_a_mail_goes_out_in_several():
    items = backlog(6000, "第")
    smtp = HoldingSMTP()
    srv, ws = setup(items, mail_section(smtp))
    try:
        run_ok(ws, "the backlog is delivered")
        ok(len(smtp.messages) > 1, "several mails, not one: %d" % len(smtp.messages))
        ok(all(s <= MAIL_CAP for s in smtp.raw_sizes),
           "each mail under %d bytes: %r" % (MAIL_CAP, smtp.raw_sizes))
        seen = []
        for m in smtp.messages:
            seen += [l.split()[2] for l in text_of(m).splitlines()
                     if l.startswith("  NEW ")]
        order = [t.split(" 二级建造师")[0] for t, _, _ in items]
        eq(sorted(seen), sorted(order), "every alert once")
        want = [r[0].split(" 二级建造师")[0] for r in ws.query(
            "SELECT e.title FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY o.id")]
        eq(seen, want, "in the order they were queued")
        n = len(smtp.messages)
        srv.routes["/js/list.html"].body = ul_page(
            [("新发布的二级建造师证书领取通知", TODAY, "/n/new.html")] + items)
        run_ok(ws, "the next run")
        eq(len(smtp.messages), n + 1, "one mail for the new alert")
        ok("新发布的二级建造师证书领取通知" in text_of(smtp.messages[-1]), "the new alert is mailed")
    finally:
        smtp.close()
        srv.close()
        ws.close()


# name, format, extra config, what is measured, the cap
CHATS = [("s", "slack", "", "text", 40000, "chars"),
         ("d", "discord", "", "content", 2000, "chars"),
         ("ding", "dingtalk", "", "text.content", 15000, "bytes"),
         ("w", "wecom", "", "text.content", 2048, "bytes"),
         ("f", "feishu", "", "body", 20 * 1024, "bytes"),
         ("tg", "telegram", "chat_id = -100123\n", "text", 4096, "chars"),
         ("j", "json", "max_bytes = 64K\n", "body", 64 * 1024, "bytes")]


def field(body, path):
    if path == "body":
        return body
    v = json.loads(body)
    for k in path.split("."):
        v = v[k]
    return v


def hooks_config(hooks, caps=True):
    return "".join("[webhook %s]\nurl = %s\nformat = %s\n%s\n"
                   % (name, hooks.url("/" + name), fmt,
                      extra if caps or "max_bytes" not in extra else "")
                   for name, fmt, extra, _, _, _ in CHATS)


@test
def each_webhook_post_is_under_its_cap():
    items = backlog(400, "第")
    hooks = chat_hooks()
    srv, ws = setup(items, hooks_config(hooks))
    try:
        run_ok(ws, "run")
        for name, fmt, _, what, cap, unit in CHATS:
            bodies = posts_to(hooks, "/" + name)
            ok(len(bodies) > 1, "%s: split into several posts" % fmt)
            for b in bodies:
                v = field(b, what)
                size = len(v) if unit == "chars" else len(v.encode() if isinstance(v, str) else v)
                ok(size <= cap, "%s: %s of %d %s over the cap %d" % (fmt, what, size, unit, cap))
            if fmt == "json":
                got = [e["title"] for b in bodies for e in json.loads(b)["events"]]
                eq(got, [t for t, _, _ in items], "json: every event once, in order")
            else:
                text = "".join(json.dumps(json.loads(b), ensure_ascii=False) for b in bodies)
                for t, _, _ in items[::37]:
                    eq(text.count(t.split(" ")[0] + " "), 1, "%s: once: %s" % (fmt, t[:12]))
    finally:
        hooks.close()
        srv.close()
        ws.close()


def article(lines_):
    return ("<html><head><meta charset='utf-8'></head><body><div class='article'>"
            "<h1>二级建造师证书领取通知</h1><div class='TRS_Editor'>%s</div></div></body></html>"
            % "".join("<p>%s</p>" % l for l in lines_)).encode()


@test
def one_event_over_the_cap_is_cut_not_stuck():
    """A detail text edited throughout (a list of names, one a line) makes
    one event larger than a post: it goes out cut under each cap, and the
    channel is not blocked behind it."""
    hooks = chat_hooks()
    srv, ws = setup([("二级建造师证书领取通知", TODAY, "/n/1.html")],
                    "[git]\npath = history\n\n" + hooks_config(hooks).replace(
                        "max_bytes = 64K", "max_bytes = 16K"))
    names = ["%05d 张三丰 二级建造师 合格人员 证书编号 JS%08d" % (i, i) for i in range(1500)]
    srv.routes["/n/1.html"] = Route(article(names))
    try:
        run_ok(ws, "first run")
        srv.routes["/n/1.html"].body = article([n.replace("张三丰", "李四光") for n in names])
        before = len(hooks.raw)
        run_ok(ws, "the detail text changed throughout")
        caps = {name: (what, 16 * 1024 if fmt == "json" else cap, unit)
                for name, fmt, _, what, cap, unit in CHATS}
        for path, raw in hooks.raw[before:]:
            what, cap, unit = caps[path[1:]]
            v = field(raw, what)
            size = len(v) if unit == "chars" else len(v.encode() if isinstance(v, str) else v)
            ok(size <= cap, "%s: %s of %d %s over the cap %d" % (path, what, size, unit, cap))
        eq(sorted({p for p, _ in hooks.raw[before:]}), sorted("/" + c[0] for c in CHATS),
           "every channel got the change")
        eq(ws.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"), [(0,)],
           "nothing left waiting")
    finally:
        hooks.close()
        srv.close()
        ws.close()


HOSTILE = ('<!channel> @everyone @here 证书 <https://evil.example|点此领取证书> '
           '<at user_id="all">所有人</at> <@all> [点此领取证书](https://evil.example) *急*')


@test
def a_hostile_title_reaches_each_chat_escaped():
    hooks = chat_hooks()
    srv, ws = setup([(HOSTILE, TODAY, "/n/1.html")], hooks_config(hooks, caps=False))
    try:
        run_ok(ws, "run")
        body = {name: json.loads(posts_to(hooks, "/" + name)[0]) for name, *_ in CHATS}
        slack = body["s"]["text"]
        ok("<!channel>" not in slack and "<https://evil" not in slack,
           "slack: no mass mention, no disguised link: " + slack)
        ok("&lt;!channel&gt;" in slack and "&lt;https://evil.example|点此领取证书&gt;" in slack,
           "slack: the title shown as written: " + slack)
        disc = body["d"]["content"]
        eq(body["d"]["allowed_mentions"], {"parse": []}, "discord: no mentions parsed")
        ok("@everyone" not in disc and "@here" not in disc, "discord: no @everyone: " + disc)
        ok("](https://evil" not in disc and "\\[点此领取证书\\]" in disc,
           "discord: no masked link: " + disc)
        ok("\\<https://evil" in disc and "\\*急\\*" in disc, "discord: markdown escaped: " + disc)
        feishu = body["f"]["content"]["text"]
        ok("<at" not in feishu and "所有人" in feishu, "feishu: no <at: " + feishu)
        wecom = body["w"]["text"]["content"]
        ok("<@" not in wecom and "mentioned_list" not in body["w"]["text"],
           "wecom: no <@ mention: " + wecom)
        eq((body["w"]["msgtype"], body["ding"]["msgtype"]), ("text", "text"),
           "dingtalk and wecom: text, where markdown links are not rendered")
        ok("at" not in body["ding"] and HOSTILE in body["ding"]["text"]["content"],
           "dingtalk: no @ list, the title as written")
        ok("parse_mode" not in body["tg"] and HOSTILE in body["tg"]["text"],
           "telegram: no parse mode, the title as written")
        eq(json.loads(posts_to(hooks, "/j")[0])["events"][0]["title"], HOSTILE,
           "json: the title as it is")
    finally:
        hooks.close()
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
