"""The board and the feed: notices first seen this week marked NEW, the last
success and the last failure apart, times with their UTC offset; the feed's
rel="self" link (--url), summaries from the detail text, and an entry's
updated that moves when its title or text changes."""
import calendar
import datetime
import os
import re

import sqlite3

import feedparser

from harness import PAGE1, Route, Server, Workspace, eq, lines, main, ok, test, ul_page

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d"


BODY = ["各市（州）人事考试机构，有关考生：",
        "考试合格人员可于2021年10月15日后登录电子证书系统，查询、下载或打印电子证书。",
        "电子证书与纸质证书具有同等效力。"]


def article(title, body):
    """A detail page (as test_history.py serves them)."""
    return ("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/l">通知公告</a></li></ul></div>
<div class="main"><div class="side"><ul><li><a href="/x">相关链接一</a></li></ul></div>
<div class="article"><h1>%s</h1><div class="info">发布时间：2021-10-09</div>
<div class="TRS_Editor">%s</div></div></div>
<div class="footer"><p>主办单位：人事考试中心 版权所有 联系电话 028-00000000</p></div></body></html>"""
            % (title, title, "".join("<p>%s</p>" % p for p in body))).encode()


def edit(ws, sql):
    """Changes the database as the sqlite3 module does, committed."""
    con = sqlite3.connect(ws.db)
    try:
        with con:
            con.execute(sql)
    finally:
        con.close()


def two_sources():
    """a and b list the same page; both checked once."""
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    srv.routes["/b"] = Route(ul_page(PAGE1))
    ws = Workspace()
    ws.write_config("[noticewatch]\ntimeout = 5\n\n[source a]\nname = 甲\nurl = %s\n\n"
                    "[source b]\nname = 乙\nurl = %s\n" % (srv.url("/a"), srv.url("/b")))
    rc, out, err = ws.run("run")
    eq((rc, err), (0, ""), "first run")
    return srv, ws


def block(out, name):
    """A source's lines of the text board."""
    m = re.search(r"^%s .*?(?=\n\n|\Z)" % name, out, re.M | re.S)
    ok(m, "%s's block in:\n%s" % (name, out))
    return m.group(0)


def html_row(doc, sid):
    m = re.search(r'<tr class="[^"]*" id="%s">.*?</tr>' % sid, doc, re.S)
    ok(m, "the row of %s in %s" % (sid, doc))
    return m.group(0)


@test
def notices_first_seen_this_week_are_marked_new():
    srv, ws = two_sources()
    try:
        # b's notices were first seen eight days ago, a's by this run
        edit(ws, "UPDATE notices SET first_seen = first_seen - 8 * 86400 WHERE source_id = 'b'")
        con_rows = ws.query("SELECT count(*) FROM notices WHERE source_id = 'b'"
                            " AND first_seen < strftime('%s','now') - 7 * 86400")
        eq(con_rows, [(5,)], "b's notices are older than a week")
        rc, out, err = ws.run("report")
        eq((rc, err), (0, ""), "report")
        ok(re.search(r"^  NEW: first seen %s$" % STAMP, block(out, "甲"), re.M),
           "a's latest notice marked NEW in:\n" + out)
        ok("NEW" not in block(out, "乙"), "b's is not:\n" + out)
        rc, md, err = ws.run("report", "--format", "md")
        rows = [l for l in md.splitlines() if l.startswith("| ")]
        ok("**NEW** 2021-10-09" in rows[1], "a's md row: %r" % rows[1])
        ok("NEW" not in rows[2], "b's md row: %r" % rows[2])
        rc, doc, err = ws.run("report", "--format", "html")
        ok('<td class="notice new"' in html_row(doc, "a") and
           '<span class="badge b-new">NEW</span>' in html_row(doc, "a"),
           "a's html row has the class and the mark: " + html_row(doc, "a"))
        ok("new" not in html_row(doc, "b").replace("newest", ""),
           "b's html row has neither: " + html_row(doc, "b"))
    finally:
        srv.close()
        ws.close()


@test
def last_success_and_last_failure_are_shown_apart():
    srv, ws = two_sources()
    try:
        srv.routes["/b"].status = 500
        eq(ws.run("run")[0], 1, "b fails after succeeding")
        rc, out, err = ws.run("report")
        eq((rc, err), (0, ""), "report")
        b = block(out, "乙")
        ok(re.search(r"^  last success: %s$" % STAMP, b, re.M), "b's last success in:\n" + b)
        ok(re.search(r"^  last failure: %s \(HTTP 500\)$" % STAMP, b, re.M),
           "b's last failure in:\n" + b)
        a = block(out, "甲")
        ok(re.search(r"^  last success: %s$" % STAMP, a, re.M) and
           "  last failure: never" in a, "a never failed:\n" + a)
        rc, doc, err = ws.run("report", "--format", "html")
        row = html_row(doc, "b")
        ok(re.search(r"<small>last success: %s</small>" % STAMP, row) and
           re.search(r"<small>last failure: %s \(HTTP 500\)</small>" % STAMP, row),
           "b's html row: " + row)
        rc, md, err = ws.run("report", "--format", "md")
        row = [l for l in md.splitlines() if l.startswith("| 乙")][0]
        ok(re.search(r"last success %s; last failure %s" % (STAMP, STAMP), row),
           "b's md row: " + row)
        # and a recovery keeps the failure's time and reason
        srv.routes["/b"].status = 200
        eq(ws.run("run")[0], 0, "b recovers")
        b = block(ws.run("report")[1], "乙")
        ok(re.search(r"^乙 +ok ", b) and
           re.search(r"^  last failure: %s \(HTTP 500\)$" % STAMP, b, re.M),
           "the recovered source keeps its last failure:\n" + b)
    finally:
        srv.close()
        ws.close()


@test
def board_times_carry_their_utc_offset():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    srv, ws = two_sources()
    try:
        rc, out, err = ws.run("report")
        eq((rc, err), (0, ""), "report")
        last_ok = ws.query("SELECT last_ok FROM sources WHERE id = 'a'")[0][0]
        cst = datetime.timezone(datetime.timedelta(hours=8))
        want = datetime.datetime.fromtimestamp(last_ok, cst).strftime("%Y-%m-%d %H:%M")
        ok(re.search(r"^甲 +ok +%s \+08:00$" % want, out, re.M), "the check's time in:\n" + out)
        ok("  last success: %s +08:00\n" % want in out, "last success in:\n" + out)
        ok(re.search(r"^noticewatch status board, \d{4}-\d\d-\d\d \d\d:\d\d \+08:00: 2 sources",
                     out), "the board's time in:\n" + out)
        rc, doc, err = ws.run("report", "--format", "html")
        ok("%s +08:00" % want in html_row(doc, "a"), "html: " + html_row(doc, "a"))
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        srv.close()
        ws.close()


@test
def feed_url_is_its_rel_self_link():
    srv, ws = two_sources()
    try:
        url = "https://example.org/notices.atom"
        rc, out, err = ws.run("feed", "--url", url)
        eq((rc, err), (0, ""), "feed --url")
        f = feedparser.parse(out)
        eq(f.bozo, 0, "well-formed: %r" % f.get("bozo_exception"))
        eq([l.href for l in f.feed.links if l.rel == "self"], [url], "the self link")
        f = feedparser.parse(ws.run("feed")[1])
        eq([l.href for l in f.feed.get("links", []) if l.rel == "self"], [],
           "none without --url")
        rc, out, err = ws.run("feed", "--url", "notices.atom")
        eq((rc, out), (2, ""), "not a web address: a usage error")
        eq(lines(err), ["noticewatch: --url wants an http or https address, not "
                        "'notices.atom'"], "one line naming it")
        rc, out, err = ws.run("help", "feed")
        ok("--url URL" in out, "help feed lists --url: " + out)
    finally:
        srv.close()
        ws.close()


def detail_setup():
    srv = Server()
    ws = Workspace()
    srv.routes["/js/list.html"] = Route(ul_page(PAGE1))
    for title, date, link in PAGE1:
        srv.routes[link] = Route(article(title, BODY))
    ws.write_config("[noticewatch]\ntimeout = 5\n\n[git]\npath = history\n\n"
                    "[source js]\nname = 江苏\nurl = %s\n" % srv.url("/js/list.html"))
    rc, out, err = ws.run("run")
    eq((rc, err), (0, ""), "first run")
    return srv, ws


def entries(ws):
    f = feedparser.parse(ws.run("feed")[1])
    eq(f.bozo, 0, "well-formed: %r" % f.get("bozo_exception"))
    return {e.link: e for e in f.entries}


@test
def feed_summary_is_the_start_of_the_detail_text():
    srv, ws = detail_setup()
    try:
        ok(ws.query("SELECT count(*) FROM details")[0][0] >= 4, "detail pages fetched")
        e = entries(ws)[srv.url("/n/105.html")]
        ok(e.summary.startswith(BODY[0]) and "考试合格人员可于2021年10月15日后" in e.summary,
           "the summary starts the text: %r" % e.summary)
        ok(len(e.summary) <= 201, "only its start: %d characters" % len(e.summary))
        # without a [git] section no detail page is known: the source and date
        srv2, ws2 = two_sources()
        try:
            # both sources list this link; either entry will do
            e = entries(ws2)[srv2.url("/n/105.html")]
            ok(e.summary in ("甲 · 2021-10-09", "乙 · 2021-10-09"),
               "no detail text: the source and the date: %r" % e.summary)
        finally:
            srv2.close()
            ws2.close()
    finally:
        srv.close()
        ws.close()


def utc(e):
    return calendar.timegm(e.updated_parsed)


@test
def feed_updated_moves_when_the_title_or_text_changes():
    srv, ws = detail_setup()
    try:
        # the notices were first seen three days ago
        edit(ws, "UPDATE notices SET first_seen = first_seen - 3 * 86400")
        first = dict(ws.query("SELECT link, first_seen FROM notices"))
        before = entries(ws)
        for link, e in before.items():
            eq(utc(e), first[link], "updated is first_seen at first: " + link)
        eq(ws.run("run")[0], 0, "an unchanged run")
        eq({k: utc(e) for k, e in entries(ws).items()}, {k: utc(e) for k, e in before.items()},
           "an unchanged run moves nothing")
        # a title changed, and another notice's text
        page = [(PAGE1[0][0], PAGE1[0][1], PAGE1[0][2]),
                (PAGE1[1][0] + "（更正）",) + PAGE1[1][1:]] + PAGE1[2:]
        srv.routes["/js/list.html"].body = ul_page(page)
        srv.routes["/n/103.html"].body = article(PAGE1[2][0], BODY + ["补充说明。"])
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "the changing run")
        changed = dict(ws.query("SELECT link, max(at) FROM events WHERE kind = 'changed'"
                                " GROUP BY link"))
        eq(sorted(changed), sorted([srv.url("/n/104.html"), srv.url("/n/103.html")]),
           "a title change and a text change: " + out)
        after = entries(ws)
        for link, e in after.items():
            if link in changed:
                eq(utc(e), changed[link], "updated moved to the change: " + link)
                ok(utc(e) > first[link], "later than first seen")
            else:
                eq(utc(e), first[link], "updated unmoved: " + link)
        eq(ws.query("SELECT count(*) FROM notices WHERE changed_at IS NOT NULL"), [(2,)],
           "changed_at set for the two")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
