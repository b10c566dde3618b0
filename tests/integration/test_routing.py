"""Alerts where they belong, and sources that leave (issue 16): channels
take only the sources and kinds they name; include = * and case-blind Latin
words; a readable outbox with retry and drop; forget ID."""
import datetime
import os
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
                      ("kinds = recovered", ":16: unknown kind 'recovered' in kinds")):
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
        hit = [l for l in lines(out) + lines(err) if "Download the pdf" in l]
        ok(hit and "PDF" in hit[0], "check -v names the word: %r" % (out + err))
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
