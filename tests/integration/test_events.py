"""The event log is `events`; `history` stays an alias of it (and
`history --rebuild` the git history's rebuild)."""
import os
import re

from harness import (PAGE1, ROOT, Route, Server, Workspace, eq, lines, main, ok,
                     source_workspace, test, ul_page)


def setup():
    srv = Server()
    for sid in ("js", "gd"):
        srv.routes["/%s/list.html" % sid] = Route(ul_page(PAGE1))
    return srv, source_workspace(srv, {sid: "url = URL/%s/list.html" % sid
                                       for sid in ("js", "gd")})


@test
def events_prints_the_event_log_as_history_did():
    srv, ws = setup()
    try:
        eq(ws.run("run")[0], 0, "run")
        rc, out, err = ws.run("events")
        eq((rc, err), (0, ""), "events")
        eq(len(lines(out)), 10, "five new notices of each source")
        for l in lines(out):
            ok(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d NEW     (js|gd) 2021-\d\d-\d\d( \*)? "
                        r".+ http://\S+/n/10\d\.html$", l), "an event line: %r" % l)
        ok(" NEW     js 2021-10-09 * 关于2021年度二级建造师电子证书发放的通知 %s"
           % srv.url("/n/105.html") in out, out)
        rc, js, err = ws.run("events", "js")
        eq((rc, err), (0, ""), "events js")
        eq(len(lines(js)), 5, "five events of js")
        ok(all(" js " in l for l in lines(js)), js)
        eq(ws.run("history"), (0, out, ""), "history is the same log")
        eq(ws.run("history", "js"), (0, js, ""), "history js is the same log")
    finally:
        srv.close()
        ws.close()


@test
def events_rejects_what_it_does_not_take():
    srv, ws = setup()
    try:
        eq(ws.run("events", "nosuch"), (2, "", "noticewatch: unknown source 'nosuch'\n"),
           "an unknown source")
        eq(ws.run("events", "js", "gd"), (2, "", "noticewatch: usage: noticewatch events [ID]\n"),
           "two sources")
        # --rebuild rewrites the git history: it is history's, not the event log's
        eq(ws.run("events", "--rebuild"),
           (2, "", "noticewatch: usage: noticewatch events [ID]\n"), "events --rebuild")
    finally:
        srv.close()
        ws.close()


@test
def help_and_man_page_name_events():
    ws = Workspace()
    try:
        rc, out, err = ws.run("--help")
        eq(rc, 0, "--help")
        ok(re.search(r"^  events \[ID\] +events over time", out, re.M), out)
        ok(re.search(r"^  history \[ID\] +the same \(an alias of events\)", out, re.M), out)
        with open(os.path.join(ROOT, "doc", "noticewatch.1"), encoding="utf-8") as f:
            man = f.read()
        ok(re.search(r'^\.BI events " \[ID\]"$', man, re.M), "events in the man page")
        ok(re.search(r"alias of\s+\.B events", man, re.M), "history named an alias")
    finally:
        ws.close()


if __name__ == "__main__":
    main()
