"""noticewatch run/check/sources/notices/history against loopback servers
whose pages change between runs."""
import fcntl
import json
import os
import signal
import subprocess
import time

from harness import (PAGE1, Route, Server, Workspace, command, eq, fixture, lines, main, ok,
                     test, ul_page)


def setup(extra_sources="", timeout=5, **pages):
    srv = Server()
    ws = Workspace()
    sources = ""
    for sid, route in pages.items():
        path = "/%s/list.html" % sid
        srv.routes[path] = route
        sources += "[source %s]\nname = %s\nurl = %s\n\n" % (sid, sid.upper(), srv.url(path))
    ws.write_config("[noticewatch]\ndatabase = noticewatch.db\ntimeout = %d\n"
                    "concurrency = 4\nper_host = 2\n\n%s%s" % (timeout, sources, extra_sources))
    return srv, ws


@test
def new_changed_removed_across_runs():
    srv, ws = setup(js=Route(ul_page(PAGE1)),
                    hb=Route(fixture("table-rows-gbk.html"), ctype="text/html"),
                    han=Route(fixture("hanweb-cdata.html"), ctype="text/html; charset=utf-8"))
    try:
        rc, out, err = ws.run("run")
        eq(rc, 0, "exit status of the first run (stderr: %s)" % err)
        eq(err, "", "stderr of the first run")
        got = lines(out)
        js_url = srv.url("/n/105.html")
        ok("NEW js 2021-10-09 关于2021年度二级建造师电子证书发放的通知 %s" % js_url in got,
           "the first js notice in %r" % got)
        ok(any(l.startswith("NEW hb 2021-10-09 湖北省2021年度二级建造师资格证书领取通知 ")
               for l in got), "the GBK page decoded in %r" % got)
        ok(any(l.startswith("NEW han 2021-10-09 关于2021年度二级建造师执业资格考试合格人员"
                            "打印成绩合格证明的通知 ") for l in got), "the Hanweb record in %r" % got)
        # relevant only: 一级造价工程师考务安排 is not printed, but stored
        eq(len([l for l in got if l.startswith("NEW js ")]), 4, "relevant js notices")
        eq(ws.query("SELECT count(*) FROM notices WHERE source_id='js'"), [(5,)], "js stored")
        eq(ws.query("SELECT count(*) FROM notices WHERE source_id='hb'"), [(4,)], "hb stored")
        for (t,) in ws.query("SELECT title FROM notices"):
            ok("\ufffd" not in t, "no replacement character in %r" % t)

        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "an unchanged second run")

        page2 = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html"),
                 ("关于2021年度二级建造师电子证书发放的补充通知", "2021-10-09", "/n/105.html"),
                 PAGE1[2], PAGE1[3], PAGE1[4]]
        srv.routes["/js/list.html"].body = ul_page(page2)
        rc, out, err = ws.run("run")
        eq(rc, 0, "exit status of the third run")
        eq(lines(out), [
            "NEW js 2021-10-12 2021年度二级建造师证书邮寄办理通知 %s" % srv.url("/n/106.html"),
            "CHANGED js 2021-10-09 关于2021年度二级建造师电子证书发放的补充通知 %s"
            " (was: 关于2021年度二级建造师电子证书发放的通知)" % js_url,
            "REMOVED js 2021-09-28 2021年度二级建造师合格人员资格核查公告 %s"
            % srv.url("/n/104.html")], "events of the third run")
        eq(ws.query("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind"),
           [("changed", 1), ("new", 13), ("removed", 1)], "events stored")
        eq(ws.query("SELECT old_title FROM events WHERE kind='changed'"),
           [("关于2021年度二级建造师电子证书发放的通知",)], "the old title kept")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NOT NULL"), [(1,)],
           "one notice removed")
    finally:
        srv.close()
        ws.close()


@test
def conditional_requests_cost_a_304():
    srv, ws = setup(js=Route(ul_page(PAGE1), etag='"v1"',
                             headers={"Last-Modified": "Sat, 09 Oct 2021 08:00:00 GMT"}))
    try:
        eq(ws.run("run")[0], 0, "first run")
        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "second run")
        path, headers = srv.requests[-1]
        eq(headers.get("If-None-Match"), '"v1"', "If-None-Match sent")
        eq(headers.get("If-Modified-Since"), "Sat, 09 Oct 2021 08:00:00 GMT",
           "If-Modified-Since sent")
        eq(ws.query("SELECT outcome, status FROM fetches ORDER BY id"),
           [("changed", 200), ("not-modified", 304)], "fetches recorded")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL"), [(5,)],
           "notices still present")
    finally:
        srv.close()
        ws.close()


@test
def same_body_skips_the_diff():
    srv, ws = setup(js=Route(ul_page(PAGE1)))
    try:
        eq(ws.run("run")[0], 0, "first run")
        eq(ws.run("run"), (0, "", ""), "second run")
        eq(ws.query("SELECT outcome FROM fetches ORDER BY id"),
           [("changed",), ("unchanged",)], "second fetch recorded as unchanged")
    finally:
        srv.close()
        ws.close()


@test
def failures_are_never_removals():
    srv, ws = setup(timeout=2, ok=Route(ul_page(PAGE1)), bad=Route(ul_page(PAGE1)),
                    slow=Route(ul_page(PAGE1)), empty=Route(ul_page(PAGE1)))
    try:
        rc, out, err = ws.run("run")
        eq(rc, 0, "first run: " + err)
        before = ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL")
        srv.routes["/bad/list.html"] = Route(b"oops", status=500)
        srv.routes["/slow/list.html"].delay = 5
        srv.routes["/empty/list.html"] = Route(
            b"<html><body><div class='nav'><a href='/'>\xe9\xa6\x96\xe9\xa1\xb5</a></div>"
            b"<p>maintenance</p></body></html>")
        new_ok = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html")] + PAGE1
        srv.routes["/ok/list.html"].body = ul_page(new_ok)
        t0 = time.time()
        rc, out, err = ws.run("run")
        eq(rc, 1, "exit status with failed sources")
        ok(time.time() - t0 < 15, "the hang bounded by the timeout")
        eq(lines(out), ["NEW ok 2021-10-12 2021年度二级建造师证书邮寄办理通知 %s"
                        % srv.url("/n/106.html")], "only the healthy source reports")
        errs = sorted(lines(err))
        eq(len(errs), 3, "one stderr line per failed source: %r" % errs)
        ok(errs[0].startswith("noticewatch: bad: HTTP 500"), "bad named: %r" % errs)
        ok(errs[1].startswith("noticewatch: empty: no notice list found on the page"),
           "empty named: %r" % errs)
        ok(errs[2].startswith("noticewatch: slow: ") and "timed out" in errs[2],
           "slow named: %r" % errs)
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NOT NULL"), [(0,)],
           "nothing removed")
        eq(ws.query("SELECT count(*) FROM events WHERE kind='removed'"), [(0,)],
           "no removal events")
        eq(srv.hits["/bad/list.html"], 3, "the 500 retried once (1 + 2 requests)")
        eq(ws.query("SELECT id, failures FROM sources ORDER BY id"),
           [("bad", 1), ("empty", 1), ("ok", 0), ("slow", 1)], "failures in a row")
        ok(before[0][0] == 20, "20 notices before")
        rc, out, err = ws.run("sources")
        eq(rc, 0, "sources")
        ok(any(l.startswith("bad ") and "HTTP 500" in l for l in lines(out)),
           "sources shows the error: %r" % out)
    finally:
        srv.close()
        ws.close()


@test
def a_5xx_then_success_is_retried():
    srv, ws = setup(js=Route(ul_page(PAGE1), fail_times=1, fail_status=503))
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "a single 503 is retried")
        eq(srv.hits["/js/list.html"], 2, "two requests")
        eq(len(lines(out)), 4, "events after the retry")
    finally:
        srv.close()
        ws.close()


@test
def a_second_run_waits_on_the_lock():
    srv, ws = setup(js=Route(ul_page(PAGE1)))
    try:
        with open(ws.db + ".lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            rc, out, err = ws.run("run")
        eq(rc, 75, "exit status while locked")
        ok("another run holds the lock" in err, "message: %r" % err)
        ok(not os.path.exists(ws.db), "the store untouched")
        eq(srv.hits.get("/js/list.html", 0), 0, "nothing fetched")
        eq(ws.run("run")[0], 0, "runs once the lock is free")
    finally:
        srv.close()
        ws.close()


@test
def kill_9_leaves_no_stale_lock():
    srv, ws = setup(timeout=30, js=Route(ul_page(PAGE1), delay=20))
    try:
        p = subprocess.Popen(command("-c", ws.config, "run"), cwd=ws.dir,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if srv.hits.get("/js/list.html"):
                break
            time.sleep(0.05)
        p.send_signal(signal.SIGKILL)
        p.wait()
        srv.routes["/js/list.html"].delay = 0
        rc, out, err = ws.run("run")
        eq(rc, 0, "the next run after kill -9: " + err)
        eq(len(lines(out)), 4, "its events")
        eq(ws.query("PRAGMA integrity_check"), [("ok",)], "integrity")
    finally:
        srv.close()
        ws.close()


@test
def intervals_and_named_sources():
    srv, ws = setup(extra_sources="[source later]\nurl = %s\ninterval = 1h\n\n"
                    "[source off]\nurl = %s\nenabled = no\n",
                    js=Route(ul_page(PAGE1)))
    srv.routes["/later/list.html"] = Route(ul_page(PAGE1))
    srv.routes["/off/list.html"] = Route(ul_page(PAGE1))
    cfg = open(ws.config).read().replace("url = %s\ninterval", "url = %s\ninterval" % srv.url(
        "/later/list.html"), 1)
    cfg = cfg.replace("url = %s\nenabled", "url = %s\nenabled" % srv.url("/off/list.html"), 1)
    ws.write_config(cfg)
    try:
        eq(ws.run("run")[0], 0, "first run")
        eq(srv.hits.get("/later/list.html"), 1, "due source fetched")
        eq(srv.hits.get("/off/list.html"), None, "disabled source skipped")
        eq(ws.run("run")[0], 0, "second run")
        eq(srv.hits.get("/later/list.html"), 1, "checked within its interval: skipped")
        eq(srv.hits.get("/js/list.html"), 2, "no interval: fetched again")
        rc, out, err = ws.run("run", "later", "off")
        eq(rc, 0, "named run: " + err)
        eq(srv.hits.get("/later/list.html"), 2, "named: fetched now")
        eq(srv.hits.get("/off/list.html"), 1, "named disabled source fetched")
        rc, out, err = ws.run("run", "nosuch")
        eq(rc, 2, "unknown id")
        ok("unknown source 'nosuch'" in err, err)
    finally:
        srv.close()
        ws.close()


@test
def config_errors_exit_2_and_fetch_nothing():
    srv, ws = setup(js=Route(ul_page(PAGE1)))
    try:
        cfg = open(ws.config).read()
        ws.write_config(cfg + "[source js]\nurl = http://127.0.0.1:1/\n")
        rc, out, err = ws.run("run")
        eq(rc, 2, "duplicate id")
        ok("noticewatch.ini:" in err and "duplicate source id 'js'" in err, err)
        ws.write_config(cfg + "[source x]\nurl = http://127.0.0.1:1/\nitems = //li[\n")
        rc, out, err = ws.run("run")
        eq(rc, 2, "bad XPath")
        ok(err.strip().endswith("bad XPath '//li[' in 'items'") and "noticewatch.ini:" in err,
           err)
        eq(srv.hits, {}, "nothing fetched")
        ok(not os.path.exists(ws.db), "no database created")
    finally:
        srv.close()
        ws.close()


@test
def check_prints_items_and_stores_nothing():
    srv, ws = setup(js=Route(ul_page(PAGE1)))
    try:
        rc, out, err = ws.run("check", "js")
        eq(rc, 0, "check: " + err)
        got = lines(out)
        eq(len(got), 5, "all items")
        eq(got[0], "* 2021-10-09 关于2021年度二级建造师电子证书发放的通知 %s"
           % srv.url("/n/105.html"), "relevant marked")
        ok(got[3].startswith("  2021-09-10 2021年度一级造价工程师考务安排"), got[3])
        rc, out, err = ws.run("check", srv.url("/js/list.html"))
        eq((rc, len(lines(out))), (0, 5), "check by URL")
        ok(not os.path.exists(ws.db), "no database")
        rc, out, err = ws.run("check", srv.url("/missing"))
        eq(rc, 1, "check of a 404")
        ok("HTTP 404" in err, err)
    finally:
        srv.close()
        ws.close()


@test
def notices_and_history_outputs():
    srv, ws = setup(js=Route(ul_page(PAGE1)))
    try:
        eq(ws.run("run")[0], 0, "run")
        rc, out, err = ws.run("notices", "--format", "json")
        eq(rc, 0, "notices json: " + err)
        data = json.loads(out)
        eq(len(data), 4, "relevant notices only")
        first = data[0]
        eq(sorted(first), ["date", "facts", "first_seen", "last_seen", "link", "relevant",
                           "removed_at", "source", "title"], "fields")
        eq((first["source"], first["date"], first["relevant"], first["removed_at"]),
           ("js", "2021-10-09", True, None), "first notice")
        rc, out, err = ws.run("notices", "--all", "--format", "json", "--since", "2021-09-10")
        eq([d["date"] for d in json.loads(out)],
           ["2021-10-09", "2021-09-28", "2021-09-20", "2021-09-10"], "--since and --all")
        rc, out, err = ws.run("notices", "--format", "csv")
        eq(out.splitlines()[0], "source,date,title,link,relevant,first_seen,last_seen,removed_at",
           "csv header")
        eq(len(out.splitlines()), 5, "csv rows")
        rc, out, err = ws.run("notices")
        ok(out.startswith("2021-10-09 js"), out)
        eq(ws.run("notices", "--since", "yesterday")[0], 2, "bad --since")
        eq(ws.run("notices", "--format", "xml")[0], 2, "bad --format")
        rc, out, err = ws.run("history", "js")
        eq(rc, 0, "history")
        eq(len(lines(out)), 5, "five events")
        ok(" NEW " in out and "电子证书发放的通知" in out, out)
    finally:
        srv.close()
        ws.close()


@test
def init_writes_a_config_that_loads():
    ws = Workspace()
    try:
        target = os.path.join(ws.dir, "site")
        p = subprocess.run(command("init", target), capture_output=True, timeout=30)
        eq(p.returncode, 0, "init: %r" % p.stderr)
        ok(os.path.exists(os.path.join(target, "noticewatch.db")), "database created")
        p = subprocess.run(command("-c", os.path.join(target, "noticewatch.ini"), "sources"),
                           capture_output=True, timeout=30)
        eq(p.returncode, 0, "sources")
        out = p.stdout.decode()
        ok("beijing" in out and "xinjiang" in out and "(off)" in out, out)
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "sources",
                               "provinces.ini"), encoding="utf-8") as f:
            catalog = sum(1 for l in f if l.startswith("[source "))
        ok(catalog >= 31, "the catalog covers the 31 provinces")
        eq(len(out.splitlines()), 1 + catalog, "a row per source")
        p = subprocess.run(command("init", target), capture_output=True, timeout=30)
        eq(p.returncode, 2, "init refuses to overwrite")
        ok(b"already exists" in p.stderr, p.stderr)
    finally:
        ws.close()


if __name__ == "__main__":
    main()
