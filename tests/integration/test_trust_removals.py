"""Issue 12, items 1, 2 and 14: which missing notices are removals, paged
sources judged only on the pages read, and the first check of a source as
a baseline.  Real binary, loopback server, the database read with sqlite3."""
import datetime

from harness import Route, Server, Workspace, eq, lines, main, ok, test, ul_page


def setup(pages, extra="", first_days="all", source_extra=""):
    """One source 's' whose list is pages[0] (or, with more pages, page N
    at /s/list_N.html)."""
    srv = Server()
    ws = Workspace()
    if len(pages) == 1:
        srv.routes["/s/list.html"] = Route(ul_page(pages[0]))
        url = srv.url("/s/list.html")
    else:
        for i, p in enumerate(pages):
            srv.routes["/s/list_%d.html" % (i + 1)] = Route(ul_page(p))
        url = srv.url("/s/list_{page}.html")
        source_extra += "pages = %d\n" % len(pages)
    ws.write_config("[noticewatch]\ndatabase = noticewatch.db\ntimeout = 5\n%s\n"
                    "[source s]\nname = S\nurl = %s\n%s" % (extra, url, source_extra),
                    first_days=first_days)
    return srv, ws


def serve(srv, items, page=None):
    path = "/s/list.html" if page is None else "/s/list_%d.html" % page
    srv.routes[path] = Route(ul_page(items))


def n(k, date):
    """A relevant notice number k."""
    return ("2021年度二级建造师证书领取通知（第%d批）" % k, date, "/n/%d.html" % k)


def line(srv, kind, item):
    return "%s s %s %s %s" % (kind, item[1] or "-", item[0], srv.url(item[2]))


def gone(ws):
    return ws.query("SELECT link, coalesce(gone, '') FROM notices ORDER BY link")


def run(ws, what, rc_want=0):
    rc, out, err = ws.run("run")
    eq(rc, rc_want, "exit status of %s (stderr: %s)" % (what, err))
    return lines(out), err


A, B, C, D = n(4, "2021-10-05"), n(3, "2021-10-04"), n(2, "2021-10-03"), n(1, "2021-10-02")


# ---- item 1 ----

@test
def pinned_old_notice_on_top_and_push_off_at_bottom_is_not_removed():
    pinned = ("【置顶】二级建造师证书办理须知", "2019-03-01", "/n/pinned.html")
    new = n(5, "2021-10-06")
    srv, ws = setup([[pinned, A, B, C, D]])
    try:
        run(ws, "the first run")
        serve(srv, [pinned, new, A, B, C])
        out, _ = run(ws, "the push-off")
        eq(out, [line(srv, "NEW", new)], "only the new notice; the pushed-off one is not removed")
        eq(ws.query("SELECT gone FROM notices WHERE link = ?", srv.url(D[2])), [("aged",)],
           "the pushed-off notice aged")
        # the aged notice comes back: NEW again
        serve(srv, [pinned, new, A, B, C, D])
        out, _ = run(ws, "the return")
        eq(out, [line(srv, "NEW", D)], "an aged notice that comes back")
    finally:
        srv.close()
        ws.close()


@test
def two_notices_sharing_the_oldest_date_one_pushed_off_is_not_removed():
    c2 = n(7, "2021-10-03")
    new = n(5, "2021-10-06")
    srv, ws = setup([[A, B, C, c2]])
    try:
        run(ws, "the first run")
        serve(srv, [new, A, B, C])
        out, _ = run(ws, "the push-off")
        eq(out, [line(srv, "NEW", new)], "the new notice only")
        eq(ws.query("SELECT gone FROM notices WHERE link = ?", srv.url(c2[2])), [("aged",)],
           "the pushed-off notice of the shared date")
    finally:
        srv.close()
        ws.close()


@test
def oldest_deleted_with_nothing_new_is_removed_and_new_when_back():
    srv, ws = setup([[A, B, C, D]])
    try:
        run(ws, "the first run")
        serve(srv, [A, B, C])
        out, _ = run(ws, "the deletion")
        eq(out, [line(srv, "REMOVED", D)], "the oldest notice deleted, nothing new")
        serve(srv, [A, B, C, D])
        out, _ = run(ws, "the return")
        eq(out, [line(srv, "NEW", D)], "the removed notice back")
    finally:
        srv.close()
        ws.close()


@test
def list_shrinking_from_4_to_1_removes_3_and_their_return_is_new():
    srv, ws = setup([[A, B, C, D]])
    try:
        run(ws, "the first run")
        serve(srv, [A])
        out, _ = run(ws, "the shrink")
        eq(out, [line(srv, "REMOVED", x) for x in (B, C, D)], "three removals")
        eq(ws.query("SELECT count(*) FROM notices WHERE gone = 'removed'"), [(3,)],
           "three rows removed")
        serve(srv, [A, B, C, D])
        out, _ = run(ws, "the return")
        eq(out, [line(srv, "NEW", x) for x in (B, C, D)], "three back")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL"), [(4,)],
           "all four present")
    finally:
        srv.close()
        ws.close()


@test
def a_notice_gone_from_within_the_list_while_one_arrives_is_removed():
    new = n(5, "2021-10-06")
    srv, ws = setup([[A, B, C, D]])
    try:
        run(ws, "the first run")
        serve(srv, [new, A, C, D])
        out, _ = run(ws, "a deletion inside the list")
        eq(out, [line(srv, "NEW", new), line(srv, "REMOVED", B)], "new and removed")
    finally:
        srv.close()
        ws.close()


# ---- item 2 ----

PIN = ("【置顶】证书办理须知", "2019-03-01", "/n/pin.html")
P1 = [PIN, n(9, "2021-10-09"), n(8, "2021-10-08")]
P2 = [n(6, "2021-10-06"), n(5, "2021-10-05"), n(4, "2021-10-04")]


def page2_cases(bad_route, what, rc_bad):
    srv, ws = setup([P1, P2])
    try:
        out, _ = run(ws, "the first run")
        eq(len(out), 6, "every notice of both pages new: %r" % out)
        new = n(10, "2021-10-10")
        serve(srv, [PIN, new] + P1[1:], page=1)
        srv.routes["/s/list_2.html"] = bad_route
        out, err = run(ws, "the run with page 2 " + what, rc_bad)
        eq(out, [line(srv, "NEW", new)], "page 1 judged, nothing of page 2 removed")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL"), [(7,)],
           "page 2's notices still present")
        eq(ws.query("SELECT page FROM notices WHERE link = ?", srv.url(P2[0][2])), [(2,)],
           "the page a notice was last seen on")
        again, err2 = run(ws, "a second run with page 2 " + what, rc_bad)
        eq(again, [], "nothing more while page 2 is still " + what)
        if rc_bad:
            ok("s: page 2:" in err2, "the failed page named again: %r" % err2)
        serve(srv, P2, page=2)
        out, _ = run(ws, "the run with page 2 back")
        eq(out, [], "page 2 back raises nothing")
        return err
    finally:
        srv.close()
        ws.close()


@test
def page_2_failing_removes_nothing():
    err = page2_cases(Route(b"busy", status=500, ctype="text/plain"), "failing", 1)
    ok("s: page 2:" in err and "500" in err, "the failed page named on stderr: %r" % err)


@test
def page_2_answering_an_error_page_removes_nothing():
    busy = "<html><head><meta charset='utf-8'></head><body><p>系统繁忙，请稍后再试</p>" \
           "</body></html>"
    page2_cases(Route(busy.encode("utf-8")), "answering 系统繁忙", 0)


@test
def page_2_yielding_nothing_removes_nothing():
    page2_cases(Route(ul_page([])), "empty", 0)


@test
def a_paged_source_still_sees_removals_on_the_pages_it_read():
    srv, ws = setup([P1, P2])
    try:
        run(ws, "the first run")
        serve(srv, [P2[0], P2[2]], page=2)
        out, _ = run(ws, "a notice deleted on page 2")
        eq(out, [line(srv, "REMOVED", P2[1])], "a removal on page 2, which was read")
    finally:
        srv.close()
        ws.close()


# ---- item 14 ----

def days_ago(k):
    return (datetime.date.today() - datetime.timedelta(days=k)).isoformat()


def mixed():
    return [("二级建造师证书领取通知（近期）", days_ago(2), "/n/recent.html"),
            ("二级建造师招聘考试说明", days_ago(3), "/n/other.html"),    # not relevant
            ("二级建造师证书领取通知（去年）", days_ago(200), "/n/old.html"),
            ("二级建造师合格人员名单（无日期）", "", "/n/undated.html")]


@test
def first_check_is_a_baseline_of_recent_notices():
    srv, ws = setup([mixed()], first_days=None)
    try:
        out, _ = run(ws, "the first run")
        items = mixed()
        eq(out, [line(srv, "NEW", items[0])], "only the recent relevant notice")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL"), [(4,)],
           "every notice stored as the baseline")
        rc, out, err = ws.run("notices")
        eq(rc, 0, "notices")
        for it in (items[0], items[2], items[3]):
            ok(any(it[0] in l for l in lines(out)), "%s listed in %r" % (it[0], out))
        # after the first check a new notice is NEW whatever its date
        old_new = ("二级建造师证书补发通知（旧日期）", days_ago(400), "/n/oldnew.html")
        serve(srv, [old_new] + items)
        out, _ = run(ws, "the second run")
        eq(out, [line(srv, "NEW", old_new)], "an old-dated notice new after the baseline")
    finally:
        srv.close()
        ws.close()


@test
def first_days_all_0_and_a_window():
    # all: every relevant notice, as before; 0: a silent first check;
    # 200: dated within 200 days (the 200th day counts)
    for value, want in (("all", (0, 2, 3)), ("0", ()), ("200", (0, 2))):
        srv, ws = setup([mixed()], extra="first_days = %s\n" % value, first_days=None)
        try:
            out, _ = run(ws, "the first run with first_days = " + value)
            eq(out, [line(srv, "NEW", mixed()[i]) for i in want], "first_days = " + value)
            eq(ws.query("SELECT count(*) FROM notices"), [(4,)], "every notice stored")
            eq(ws.query("SELECT count(*) FROM events WHERE relevant"), [(len(want),)],
               "relevant events stored")
        finally:
            srv.close()
            ws.close()


@test
def a_source_added_later_gets_a_baseline_too():
    srv, ws = setup([[A, B]], first_days=None)
    try:
        out, _ = run(ws, "the first run")
        eq(out, [], "old fixture dates: a silent baseline")
        srv.routes["/t/list.html"] = Route(ul_page(mixed()))
        with open(ws.config, "a", encoding="utf-8") as f:
            f.write("\n[source t]\nname = T\nurl = %s\n" % srv.url("/t/list.html"))
        rc, out, err = ws.run("run")
        eq(rc, 0, "the run with the added source (%s)" % err)
        recent = mixed()[0]
        eq(lines(out), ["NEW t %s %s %s" % (recent[1], recent[0], srv.url(recent[2]))],
           "the added source's recent notice only")
    finally:
        srv.close()
        ws.close()


@test
def first_days_must_be_a_number_or_all():
    srv, ws = setup([[A]], extra="first_days = soon\n", first_days=None)
    try:
        rc, out, err = ws.run("run")
        eq(rc, 2, "exit status")
        ok("noticewatch.ini:" in err and "first_days must be 0..3650 or all, not 'soon'" in err,
           err)
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
