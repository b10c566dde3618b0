"""check --all: every enabled source fetched once through the reader run
uses, a row and a verdict each, nothing stored."""
import datetime
import hashlib
import json
import os
import socket

from harness import Route, Server, Workspace, eq, lines, main, ok, test, ul_page


def days_ago(n):
    return (datetime.date.today() - datetime.timedelta(days=n)).isoformat()


def fresh_page():
    return ul_page([("关于二级建造师电子证书发放的通知", days_ago(10), "/n/3.html"),
                    ("二级建造师证书领取地点调整", days_ago(40), "/n/2.html"),
                    ("一级造价工程师考务安排", days_ago(60), "/n/1.html")])


def one_good_source():
    srv = Server()
    srv.routes["/ok.html"] = Route(fresh_page())
    ws = Workspace()
    ws.write_config("[noticewatch]\ntimeout = 5\n\n[source good]\nurl = %s\n"
                    % srv.url("/ok.html"))
    return srv, ws


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def catalog(srv):
    srv.routes["/ok.html"] = Route(fresh_page())
    srv.routes["/empty.html"] = Route(b"<html><body><p>maintenance</p></body></html>")
    srv.routes["/500.html"] = Route(b"oops", status=500)
    srv.routes["/403.html"] = Route(b"forbidden", status=403)
    srv.routes["/418.html"] = Route(b"teapot", status=418)
    srv.routes["/stale.html"] = Route(ul_page([
        ("二级建造师证书发放的通知", days_ago(500), "/s/2.html"),
        ("二级建造师合格人员公告", days_ago(520), "/s/1.html")]))
    srv.routes["/old.html"] = Route(b"", status=301, headers={
        "Location": "http://localhost:%d/new.html" % srv.port})
    srv.routes["/new.html"] = Route(fresh_page())
    srv.routes["/off.html"] = Route(fresh_page())
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n\n"
    for sid, url, extra in [
            ("good", srv.url("/ok.html"), ""),
            ("empty", srv.url("/empty.html"), ""),
            ("broken", srv.url("/500.html"), ""),
            ("noport", "http://127.0.0.1:%d/" % closed_port(), ""),
            ("forbidden", srv.url("/403.html"), ""),
            ("teapot", srv.url("/418.html"), ""),
            ("stale", srv.url("/stale.html"), ""),
            ("moved", srv.url("/old.html"), ""),
            ("off", srv.url("/off.html"), "enabled = no\n")]:
        text += "[source %s]\nurl = %s\n%s\n" % (sid, url, extra)
    ws.write_config(text, stale_days=None)
    return ws


WANT = {"good": "ok", "empty": "empty", "broken": "failing", "noport": "failing",
        "forbidden": "refused", "teapot": "refused", "stale": "stale", "moved": "moved"}


@test
def check_all_text_rows_and_verdicts():
    srv = Server()
    ws = catalog(srv)
    try:
        rc, out, err = ws.run("check", "--all")
        eq(rc, 1, "some sources are not ok: " + out + err)
        rows = {l.split()[0]: l for l in lines(out)[1:]}
        head = lines(out)[0].split()
        eq(head[:7], ["ID", "HTTP", "ITEMS", "DATED", "NEWEST", "RELEVANT", "VERDICT"],
           "header")
        eq(sorted(rows), sorted(WANT), "one row per enabled source")
        for sid, verdict in WANT.items():
            eq(rows[sid].split()[6], verdict, "verdict of " + sid + ": " + rows[sid])
        eq(rows["good"].split()[1:6], ["200", "3", "3", days_ago(10), "2"], "good's figures")
        ok(srv.url("/ok.html") in rows["good"], "good's address: " + rows["good"])
        eq(rows["stale"].split()[4], days_ago(500), "stale's newest date")
        eq(rows["forbidden"].split()[1], "403", "HTTP 403")
        eq(rows["teapot"].split()[1], "418", "HTTP 418")
        eq(rows["broken"].split()[1], "500", "HTTP 500")
        eq(rows["noport"].split()[1], "-", "no answer at all")
        ok("http://localhost:%d/new.html" % srv.port in rows["moved"],
           "moved's final address: " + rows["moved"])
        eq(rows["moved"].split()[1:4], ["200", "3", "3"], "moved was read where it went")
        eq(srv.hits.get("/off.html", 0), 0, "a disabled source is not fetched")
        eq(srv.hits.get("/ok.html"), 1, "fetched once")
        ok(not os.path.exists(ws.db), "no database created")
    finally:
        srv.close()
        ws.close()


@test
def check_all_json():
    srv = Server()
    ws = catalog(srv)
    try:
        rc, out, err = ws.run("check", "--all", "--format", "json")
        eq(rc, 1, "some sources are not ok")
        rows = {r["source"]: r for r in json.loads(out)}
        eq({k: r["verdict"] for k, r in rows.items()}, WANT, "verdicts")
        g = rows["good"]
        eq((g["status"], g["items"], g["dated"], g["newest"], g["relevant"], g["error"]),
           (200, 3, 3, days_ago(10), 2, None), "good")
        eq(g["url"], srv.url("/ok.html"), "good's address")
        eq(g["final_url"], srv.url("/ok.html"), "good's final address")
        eq(rows["moved"]["final_url"], "http://localhost:%d/new.html" % srv.port, "moved to")
        eq(rows["moved"]["moved"], True, "moved flag")
        eq(g["moved"], False, "good did not move")
        eq(rows["noport"]["status"], None, "no HTTP status")
        ok(rows["noport"]["error"], "an error for the refused port")
        eq(rows["forbidden"]["error"], "HTTP 403", "403's error")
        eq(rows["empty"]["items"], 0, "empty has no items")
        # the list the generic extractor chose, as an XPath that --items takes
        chosen = g["list"]
        ok(chosen and chosen.startswith("/"), "good's list: %r" % chosen)
        rc, out, err = ws.run("check", srv.url("/ok.html"), "--items", chosen)
        eq((rc, len(lines(out))), (0, 3), "--items with the list chosen: " + out + err)
        eq(rows["noport"]["list"], None, "no list where nothing was read")
        rc, out, err = ws.run("check", "--all")
        good = [l for l in lines(out) if l.startswith("good ")][0]
        ok(good.endswith("  list " + chosen), "the text row names the list: " + good)
    finally:
        srv.close()
        ws.close()


@test
def check_all_exit_zero_and_nothing_stored():
    srv, ws = one_good_source()
    try:
        eq(ws.run("run")[0], 0, "a run stores the source")
        with open(ws.db, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        fetches = ws.query("SELECT count(*) FROM fetches")
        rc, out, err = ws.run("check", "--all")
        eq((rc, err), (0, ""), "every source ok")
        eq(lines(out)[1].split()[6], "ok", "verdict")
        with open(ws.db, "rb") as f:
            eq(hashlib.sha256(f.read()).hexdigest(), before, "database untouched")
        eq(ws.query("SELECT count(*) FROM fetches"), fetches, "no fetch recorded")
        eq(ws.run("check", "--all", "--format", "xml")[0], 2, "an unknown format")
        rc, out, err = ws.run("check", "--all", "good")
        eq(rc, 2, "--all takes no source: " + err)
    finally:
        srv.close()
        ws.close()


@test
def default_user_agent_is_honest():
    srv, ws = one_good_source()
    try:
        rc, out, err = ws.run("--version")
        version = out.split()[1]
        eq(ws.run("check", "--all")[0], 0, "check --all")
        agents = [h.get("User-Agent") for p, h in srv.requests if p == "/ok.html"]
        eq(agents, ["noticewatch/" + version], "the user agent names noticewatch and its version")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
