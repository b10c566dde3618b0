"""Sources that go stale or move: marked in sources and report, one
'stale' alert through the outbox, 'recovered' when a fresh notice comes."""
import datetime

from harness import Route, Server, Workspace, eq, lines, main, ok, test, ul_page
from mailhook import HookServer


def days_ago(n):
    return (datetime.date.today() - datetime.timedelta(days=n)).isoformat()


OLD = [("二级建造师证书发放的通知", days_ago(500), "/n/2.html"),
       ("二级建造师合格人员公告", days_ago(520), "/n/1.html")]
FRESH = [("二级建造师证书领取的通知", days_ago(3), "/n/9.html")]


def setup(extra="", channels=""):
    srv = Server()
    srv.routes["/old.html"] = Route(ul_page(OLD))
    srv.routes["/fresh.html"] = Route(ul_page(FRESH + OLD))
    ws = Workspace()
    ws.write_config("[noticewatch]\ntimeout = 5\n%s\n[source old]\nname = 旧\nurl = %s\n\n"
                    "[source fresh]\nname = 新\nurl = %s\n\n%s"
                    % (extra, srv.url("/old.html"), srv.url("/fresh.html"), channels),
                    first_days=None, stale_days=None)
    return srv, ws


def row(out, sid):
    return [l for l in lines(out) if l.split()[0] == sid][0]


@test
def stale_in_sources_and_report():
    srv, ws = setup()
    try:
        eq(ws.run("run")[0], 0, "run")
        rc, out, err = ws.run("sources")
        eq(rc, 0, "sources")
        ok("stale: newest notice %s" % days_ago(500) in row(out, "old"), row(out, "old"))
        ok("stale" not in row(out, "fresh"), row(out, "fresh"))
        rc, out, err = ws.run("report")
        eq(rc, 0, "report")
        ok("STALE" in out and "newest notice %s" % days_ago(500) in out, out)
        eq(out.count("STALE"), 1, "only the old source is stale")
        rc, out, err = ws.run("report", "--format", "md")
        ok("**STALE**" in out, out)
        rc, out, err = ws.run("report", "--format", "html")
        ok("STALE" in out, "html marks it")
    finally:
        srv.close()
        ws.close()


@test
def stale_days_decides():
    srv, ws = setup(extra="stale_days = 600\n")
    try:
        eq(ws.run("run")[0], 0, "run")
        ok("stale" not in ws.run("sources")[1], "500 days is not stale at 600")
        ws.write_config("[noticewatch]\nstale_days = soon\n[source a]\nurl = http://x/\n")
        rc, out, err = ws.run("sources")
        eq(rc, 2, "bad stale_days")
        ok("stale_days" in err and "'soon'" in err, err)
    finally:
        srv.close()
        ws.close()


@test
def one_stale_alert_then_recovered():
    hooks = HookServer()
    hooks.reply = b"{}"
    srv, ws = setup(channels="[webhook j]\nurl = %s\nformat = json\n" % hooks.url("/j"))
    try:
        eq(ws.run("run")[0], 0, "first run")
        stale = [e for p in hooks.posts for e in p[2]["events"] if e["type"] == "stale"]
        eq([e["source"] for e in stale], ["old"], "one stale alert, for old")
        ok(days_ago(500) in stale[0]["detail"], stale[0]["detail"])
        eq(ws.run("run")[0], 0, "second run")
        stale = [e for p in hooks.posts for e in p[2]["events"] if e["type"] == "stale"]
        eq(len(stale), 1, "no second stale alert")
        srv.routes["/old.html"].body = ul_page(FRESH + OLD)
        eq(ws.run("run")[0], 0, "a fresh notice")
        types = [e["type"] for e in hooks.posts[-1][2]["events"]]
        ok("recovered" in types, "recovered: %r" % types)
        ok("stale" not in row(ws.run("sources")[1], "old"), "no longer stale")
        eq(ws.query("SELECT kind FROM alerts WHERE source_id = 'old' ORDER BY id"),
           [("stale",), ("recovered",)], "alerts stored")
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def a_changed_stale_days_is_no_recovery():
    """Turning stale checks off or raising stale_days clears the mark quietly:
    'recovered' says a fresh notice came, and none did."""
    hooks = HookServer()
    hooks.reply = b"{}"
    hook = "[webhook j]\nurl = %s\nformat = json\n" % hooks.url("/j")
    srv, ws = setup(channels=hook)
    try:
        eq(ws.run("run")[0], 0, "first run: old is stale")
        for extra in ("stale_days = 0\n", "stale_days = 600\n"):
            ws.write_config("[noticewatch]\ntimeout = 5\n%s\n[source old]\nname = 旧\nurl = %s\n\n"
                            "[source fresh]\nname = 新\nurl = %s\n\n%s"
                            % (extra, srv.url("/old.html"), srv.url("/fresh.html"), hook),
                            first_days=None, stale_days=None)
            srv.routes["/old.html"].body = ul_page(OLD + [("补充说明", days_ago(510),
                                                            "/n/%d.html" % len(extra))])
            eq(ws.run("run")[0], 0, "a run with " + extra.strip())
            ok("stale" not in row(ws.run("sources")[1], "old"), "not stale with " + extra)
        types = [e["type"] for p in hooks.posts for e in p[2]["events"]]
        eq(types.count("recovered"), 0, "no recovered alert: %r" % [e for p in hooks.posts for e in p[2]["events"]])
        eq(ws.query("SELECT kind FROM alerts WHERE source_id = 'old' ORDER BY id"),
           [("stale",)], "alerts stored")
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def moved_shown_with_new_address():
    srv, ws = setup()
    new = "http://localhost:%d/fresh.html" % srv.port
    srv.routes["/moved.html"] = Route(b"", status=301, headers={"Location": new})
    srv.routes["/temp.html"] = Route(b"", status=302, headers={"Location": new})
    ws.write_config("[noticewatch]\ntimeout = 5\n[source mv]\nurl = %s\n\n[source tmp]\n"
                    "url = %s\n" % (srv.url("/moved.html"), srv.url("/temp.html")), stale_days=None)
    try:
        eq(ws.run("run")[0], 0, "run")
        out = ws.run("sources")[1]
        ok("moved to " + new in row(out, "mv"), row(out, "mv"))
        ok("moved" not in row(out, "tmp"), "a temporary redirect is no move: " + row(out, "tmp"))
        out = ws.run("report")[1]
        ok("MOVED" in out and new in out, out)
        eq(out.count("MOVED"), 1, "one moved source")
        srv.routes["/moved.html"] = Route(ul_page(FRESH))
        eq(ws.run("run")[0], 0, "run")
        ok("moved" not in row(ws.run("sources")[1], "mv"), "no longer moved")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
