"""Alerts where they belong, and sources that leave (issue 16): channels
take only the sources and kinds they name; include = * and case-blind Latin
words; a readable outbox with retry and drop; forget ID."""
import datetime
import os
import re
import subprocess

from harness import Route, Server, Workspace, eq, lines, main, ok, test, ul_page
from mailhook import HookServer

TODAY = datetime.date.today().isoformat()


def hooks_server():
    hooks = HookServer()
    hooks.reply = b"{}"
    return hooks


def events_to(hooks, path):
    return [(e["type"], e["source"]) for p, _, b in hooks.posts if p == path
            for e in b["events"]]


def two_sources(srv, channels, extra=""):
    ws = Workspace()
    srv.routes["/js/list.html"] = Route(ul_page(
        [("江苏二级建造师证书领取通知", TODAY, "/js/1.html")]))
    srv.routes["/zj/list.html"] = Route(ul_page(
        [("浙江二级建造师证书领取通知", TODAY, "/zj/1.html")]))
    ws.write_config("[noticewatch]\ntimeout = 5\nbroken_after = 1\n%s\n"
                    "[source js]\nurl = %s\n\n[source zj]\nurl = %s\n\n%s"
                    % (extra, srv.url("/js/list.html"), srv.url("/zj/list.html"), channels))
    return ws


@test
def each_channel_gets_only_its_sources_and_kinds():
    hooks = hooks_server()
    srv = Server()
    ws = two_sources(srv, "[webhook a]\nurl = %s\nformat = json\nsources = js\n\n"
                          "[webhook b]\nurl = %s\nformat = json\nsources = js, zj\n"
                          "kinds = broken\n" % (hooks.url("/a"), hooks.url("/b")))
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "first run")
        eq(events_to(hooks, "/a"), [("new", "js")], "a: js's new notice only")
        eq(events_to(hooks, "/b"), [], "b: no new notices")
        eq(ws.query("SELECT channel, count(*) FROM outbox GROUP BY channel"), [("a", 1)],
           "nothing queued for a channel that does not want it")
        srv.routes["/zj/list.html"].status = 404
        eq(ws.run("run")[0], 1, "zj fails")
        eq(events_to(hooks, "/a"), [("new", "js")], "a does not take zj")
        eq(events_to(hooks, "/b"), [("broken", "zj")], "b: zj broken")
        srv.routes["/zj/list.html"].status = 200
        eq(ws.run("run")[0], 0, "zj back")
        eq(events_to(hooks, "/b"), [("broken", "zj"), ("recovered", "zj")],
           "recovered follows broken")
        eq(events_to(hooks, "/a"), [("new", "js")], "a still only js's new notice")
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def unknown_sources_and_kinds_are_config_errors():
    srv = Server()
    for bad, want in (("sources = js, gd", ":16: unknown source 'gd' in [webhook a] sources"),
                      ("kinds = new, moved", ":16: unknown kind 'moved' in kinds"),
                      ("kinds = recovered", ":16: unknown kind 'recovered' in kinds"),
                      # empty would route nothing, silently
                      ("kinds =", ":16: kinds is empty: leave it out to take every kind"),
                      ("sources = ,", ":16: sources is empty: leave it out to take every source")):
        ws = two_sources(srv, "[webhook a]\nurl = http://127.0.0.1:9/a\nformat = json\n%s\n"
                         % bad)
        try:
            rc, out, err = ws.run("sources")
            eq(rc, 2, bad)
            ok(err.startswith("noticewatch: " + ws.config + want), bad + ": " + err)
        finally:
            ws.close()
    ws = two_sources(srv, "[email]\nurl = smtp://127.0.0.1:9\nfrom = a@example.org\n"
                          "to = b@example.org\nsources = xx\n")
    try:
        rc, out, err = ws.run("sources")
        eq(rc, 2, "email's sources")
        ok("noticewatch.ini:17: unknown source 'xx' in [email] sources" in err, err)
    finally:
        ws.close()
        srv.close()


def one_source(srv, items, keys=""):
    ws = Workspace()
    srv.routes["/x/list.html"] = Route(ul_page(items))
    ws.write_config("[noticewatch]\ntimeout = 5\n\n[source x]\nurl = %s\n%s\n"
                    % (srv.url("/x/list.html"), keys))
    return ws


@test
def include_star_makes_every_notice_relevant():
    srv = Server()
    ws = one_source(srv, [("2026年春季运动会安排", TODAY, "/x/1.html")], "include = *\n")
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        ok("NEW x %s 2026年春季运动会安排" % TODAY in out, out)
        eq(ws.query("SELECT relevant FROM notices"), [(1,)], "stored relevant")
    finally:
        srv.close()
        ws.close()


@test
def latin_words_match_case_insensitively_and_check_v_names_the_word():
    srv = Server()
    ws = one_source(srv, [("Download the pdf of the 2026 results", TODAY, "/x/1.html"),
                          ("2026年春季运动会安排", TODAY, "/x/2.html")],
                    "include = 证书, PDF\n")
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        ok("Download the pdf" in out, "the pdf notice is relevant: " + out)
        ok("运动会" not in out, out)
        rc, out, err = ws.run("-v", "check", "x")
        eq(rc, 0, "check")
        ok("Download the pdf of the 2026 results: include 'PDF'" in lines(err),
           "check -v names the word: %r" % err)
        ok("* %s Download the pdf" % TODAY in out, "marked relevant: " + out)
    finally:
        srv.close()
        ws.close()


def failing_hook(titles, extra="", fmt="json"):
    """A webhook that fails: json answers 503; wecom answers 200 with a long
    refusal, as the service does."""
    hooks = HookServer()
    hooks.status = 503 if fmt == "json" else 200
    hooks.reply = ('{"errcode":93000,"errmsg":"invalid webhook url, hint: [1718000000_1_abc],'
                   ' from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/'
                   'query?e=93000"}').encode()
    srv = Server()
    ws = Workspace()
    srv.routes["/js/list.html"] = Route(ul_page(
        [(t, TODAY, "/js/%d.html" % i) for i, t in enumerate(titles)]))
    ws.write_config("[noticewatch]\ntimeout = 5\n%s\n[source js]\nurl = %s\n\n"
                    "[webhook j]\nurl = %s\nformat = %s\n"
                    % (extra, srv.url("/js/list.html"), hooks.url("/j"), fmt))
    return hooks, srv, ws


def outbox_ids(ws):
    return [r[0] for r in ws.query("SELECT id FROM outbox ORDER BY id")]


@test
def waiting_alerts_are_counted_right():
    for titles, want in ((["证书领取通知"], "j: 1 alert waits for delivery"),
                         (["第%d批证书领取通知" % i for i in range(3)],
                          "j: 3 alerts wait for delivery")):
        hooks, srv, ws = failing_hook(titles)
        try:
            rc, out, err = ws.run("run")
            eq(rc, 1, "the hook fails")
            ok(want in err, want + ": " + err)
        finally:
            hooks.close()
            srv.close()
            ws.close()


def sent_titles(hooks, titles, after):
    """The titles of the posts accepted after the first `after` posts."""
    text = "".join(b["text"]["content"] for _, _, b in hooks.posts[after:])
    return [t for t in titles if t in text]


@test
def outbox_lines_retry_and_drop():
    titles = ["第%d批证书领取通知" % i for i in range(3)]
    hooks, srv, ws = failing_hook(titles, "outbox_retry = 30m", "wecom")
    try:
        eq(ws.run("run")[0], 1, "first failure")
        rc, out, err = ws.run("outbox")
        eq(rc, 0, "outbox")
        ids = outbox_ids(ws)
        eq(len(lines(out)), 3, "one line per row: " + out)
        for i, line in zip(ids, lines(out)):
            ok(re.match(r"^%d +NEW js %s 第\d批证书领取通知 → j  failed 1 time, next try at "
                        r"the next run: the service refused: errcode 93000: invalid" % (i, TODAY), line), "a readable line: " + line)
            ok(len(line) < 160 and line.endswith("…"), "the error shortened: " + line)
        eq(ws.run("run")[0], 1, "second failure")
        out = ws.run("outbox")[1]
        ok(all("failed 2 times, next try in 30 min" in l for l in lines(out)), out)
        eq(ws.run("outbox", "retry", "x")[0], 2, "not an id")
        rc, out, err = ws.run("outbox", "retry", "999")
        eq(rc, 1, "no such row: " + err)
        ok("no alert 999 waits in the outbox" in err, err)
        rc, out, err = ws.run("outbox", "retry", str(ids[0]))
        eq((rc, lines(out)), (0, ["1 alert is due now"]), "retry one")
        rc, out, err = ws.run("outbox", "drop", str(ids[1]))
        eq((rc, lines(out)), (0, ["alert %d dropped: it will not be sent" % ids[1]]), "drop")
        eq(ws.run("outbox", "drop")[0], 2, "drop needs an id")
        n = len(hooks.posts)
        hooks.reply = b'{"errcode":0,"errmsg":"ok"}'
        eq(ws.run("run")[0], 0, "the retried one goes, the others wait")
        eq(sent_titles(hooks, titles, n), [titles[0]], "only the retried alert sent")
        rc, out, err = ws.run("outbox", "retry")
        eq(lines(out), ["1 alert is due now"], "retry all: the dropped one stays dropped")
        eq(ws.run("run")[0], 0, "run")
        eq(sent_titles(hooks, titles, n), [titles[0], titles[2]],
           "the dropped alert never sent")
        eq(ws.query("SELECT id FROM outbox WHERE dropped_at IS NOT NULL"), [(ids[1],)],
           "marked dropped")
        eq(lines(ws.run("outbox")[1]), ["no alert waits"], "nothing waits")
        out = ws.run("outbox", "--all")[1]
        ok(re.search(r"^%d +NEW js .* → j  dropped " % ids[1], out, re.M), out)
        eq(len([l for l in lines(out) if "delivered" in l]), 2, out)
    finally:
        hooks.close()
        srv.close()
        ws.close()


def article(title):
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>%s</title></head><body>"
            "<div class='article'><h1>%s</h1><div class='TRS_Editor'><p>考试合格人员可于2021年"
            "10月15日后登录电子证书系统，查询、下载或打印电子证书。</p><p>电子证书与纸质证书"
            "具有同等效力，请各位考生及时办理。</p></div></div></body></html>"
            % (title, title)).encode()


def git(ws, *args):
    p = subprocess.run(["git", "-C", os.path.join(ws.dir, "history")] + list(args),
                       capture_output=True)
    return p.stdout.decode()


def leaving_setup():
    srv = Server()
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n\n[git]\npath = history\n\n"
    for sid, name in (("js", "江苏"), ("zj", "浙江")):
        title = "%s二级建造师证书领取通知" % name
        srv.routes["/%s/list.html" % sid] = Route(ul_page([(title, TODAY, "/%s/1.html" % sid)]))
        srv.routes["/%s/1.html" % sid] = Route(article(title))
        text += "[source %s]\nname = %s\nurl = %s\n\n" % (sid, name,
                                                          srv.url("/%s/list.html" % sid))
    ws.write_config(text + "[webhook j]\nurl = http://127.0.0.1:9/j\nformat = json\n")
    return srv, ws, text


ZJ_ROWS = ["SELECT count(*) FROM notices WHERE source_id = 'zj'",
           "SELECT count(*) FROM events WHERE source_id = 'zj'",
           "SELECT count(*) FROM alerts WHERE source_id = 'zj'",
           "SELECT count(*) FROM fetches WHERE source_id = 'zj'",
           "SELECT count(*) FROM sources WHERE id = 'zj'",
           "SELECT count(*) FROM details d JOIN notices n ON n.id = d.notice_id"
           " WHERE n.source_id = 'zj'",
           "SELECT count(*) FROM outbox o JOIN events e ON e.id = o.event_id"
           " WHERE e.source_id = 'zj'"]


@test
def a_source_no_longer_configured_is_hidden_until_forgotten():
    srv, ws, text = leaving_setup()
    try:
        eq(ws.run("run")[0], 1, "run (the hook is down)")
        ok("zj" in git(ws, "ls-tree", "-r", "--name-only", "HEAD"), "zj's folder committed")
        ws.write_config(text.split("[source zj]")[0])
        rc, out, err = ws.run("notices")
        eq((rc, err), (0, ""), "notices")
        ok("江苏" in out and "浙江" not in out, "zj's notices left out: " + out)
        rc, out, err = ws.run("feed")
        ok("江苏" in out and "浙江" not in out, "left out of the feed")
        for fmt in ("text", "html", "article"):
            rc, out, err = ws.run("report", "--format", fmt)
            eq(rc, 0, "report " + fmt)
            ok("浙江二级建造师" not in out, "left out of the report (%s)" % fmt)
        rc, out, err = ws.run("sources")
        zj = [l for l in lines(out) if l.split()[0] == "zj"]
        ok(zj and "not in config" in zj[0], "sources shows it: " + out)
        eq([ws.query(q)[0][0] > 0 for q in ZJ_ROWS[:2]], [True, True], "kept until forgotten")
    finally:
        srv.close()
        ws.close()


@test
def forget_deletes_a_source_and_its_folder():
    srv, ws, text = leaving_setup()
    try:
        eq(ws.run("run")[0], 1, "run")
        rc, out, err = ws.run("forget", "zj")
        eq(rc, 2, "still configured: " + err)
        ok("source 'zj' is still in " in err, err)
        ws.write_config(text.split("[source zj]")[0])
        eq(ws.run("forget", "gd")[0], 1, "nothing stored for gd")
        rc, out, err = ws.run("forget", "zj")
        eq((rc, err), (0, ""), "forget")
        ok(lines(out)[0].startswith("forgot zj: 1 notice, 1 event"), out)
        eq([ws.query(q)[0][0] for q in ZJ_ROWS], [0] * len(ZJ_ROWS), "every row gone")
        ok(ws.query("SELECT count(*) FROM notices WHERE source_id = 'js'")[0][0] == 1,
           "js kept")
        eq(git(ws, "log", "-1", "--format=%s").strip(), "zj forgotten: its notices removed",
           "the commit says so")
        files = git(ws, "ls-tree", "-r", "--name-only", "HEAD").split()
        ok(files and not [f for f in files if f.startswith("zj/")], "zj's folder gone: %r"
           % files)
        ok([f for f in files if f.startswith("js/")], "js's folder kept")
        rc, out, err = ws.run("sources")
        ok("zj" not in out, "no longer listed")
    finally:
        srv.close()
        ws.close()


@test
def events_after_a_forget_reach_the_history():
    """A forgotten source took the newest events with it; the next notice of
    another source is still committed and named."""
    srv, ws, text = leaving_setup()
    try:
        ws.run("run")
        srv.routes["/zj/list.html"].body = ul_page(
            [("浙江二级建造师证书补发通知第%d批" % i, TODAY, "/zj/n%d.html" % i) for i in range(5)] +
            [("浙江二级建造师证书领取通知", TODAY, "/zj/1.html")])
        ws.run("run", "zj")
        ws.write_config(text.split("[source zj]")[0])
        eq(ws.run("forget", "zj")[0], 0, "forget")
        srv.routes["/js/list.html"].body = ul_page(
            [("江苏二级建造师电子证书下载通知", TODAY, "/js/2.html"),
             ("江苏二级建造师证书领取通知", TODAY, "/js/1.html")])
        rc, out, err = ws.run("run", "js")
        ok("NEW js" in out, out + err)
        subject = git(ws, "log", "-1", "--format=%s").strip()
        ok(subject.startswith("江苏: 1 new"), "the new notice named in the commit: " + subject)
    finally:
        srv.close()
        ws.close()


@test
def outbox_changes_wait_for_no_run():
    """A run delivering now could send the alert being dropped: drop and
    retry take the run's lock, and say so when a run holds it."""
    import fcntl
    srv = Server()
    ws = one_source(srv, [("二级建造师证书领取通知", TODAY, "/x/1.html")])
    try:
        with open(ws.db + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for args in (("outbox", "drop", "1"), ("outbox", "retry")):
                rc, out, err = ws.run(*args)
                eq(rc, 75, " ".join(args) + ": " + err)
                ok("another run holds the lock" in err, err)
            eq(ws.run("outbox")[0], 0, "reading the outbox needs no lock")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
