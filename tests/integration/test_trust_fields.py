"""Issue 12, items 3 and 4: what a page sends never forges what noticewatch
prints.  A stray byte in a page labelled UTF-8 raises no alert; control
characters and bidi overrides in any format's fields never reach the event
lines, `notices`, CSV or the Atom feed; an XML link element gives the link."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET

from harness import PAGE1, Route, Server, eq, lines, main, ok, source_workspace, test, ul_page

# What must never reach a line of output: C0 controls but LF (the lines'
# own ends), DEL, C1 controls, the bidi overrides and isolates.
FORGERY = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


setup = source_workspace


def last_charset(ws, sid):
    return ws.query("SELECT charset FROM fetches WHERE source_id = ? ORDER BY rowid DESC LIMIT 1",
                    sid)[0][0]


@test
def stray_byte_in_a_utf8_page_raises_no_alert():
    srv = Server()
    clean = ul_page(PAGE1)
    # a stray byte between two characters of a title and in the footer, and
    # a character cut short in the footer
    title = "地点调整</a>".encode()
    ok(clean.count(title) == 1, "the title is on the page")
    stray = clean.replace(title, title[:6] + b"\xff" + title[6:]).replace(
        "关于我们".encode(), "关于".encode() + b"\xfe" + "我们".encode()).replace(
        "网站地图".encode(), "网".encode() + "站".encode()[:2] + "地图".encode())
    ok(stray.count(b"\xff") == 1 and len(stray) == len(clean) + 1, "three bad sequences")
    srv.routes["/list.html"] = Route(clean)
    ws = setup(srv, {"hub": "url = URL/list.html"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "first run")
        before = sorted(ws.query("SELECT title, link, date, relevant FROM notices"))
        eq(len(before), 5, "five notices")
        srv.routes["/list.html"].body = stray
        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "a stray byte: no event at all")
        eq(sorted(ws.query("SELECT title, link, date, relevant FROM notices")), before,
           "titles, links, dates and relevance kept")
        eq(last_charset(ws, "hub"), "UTF-8 (3 invalid sequences replaced)",
           "the fetch says what was replaced, in full")
        srv.routes["/list.html"].body = clean
        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "the byte gone: no event either")
        eq(ws.query("SELECT count(*) FROM events WHERE kind != 'new'"), [(0,)], "no events")
        # the same with the label in the HTTP header only
        srv.routes["/list.html"] = Route(stray.replace(b'<meta charset="utf-8">', b""),
                                         ctype="text/html; charset=UTF-8")
        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "HTTP label: no event")
    finally:
        srv.close()
        ws.close()


@test
def the_decoding_diagnostic_is_not_cut():
    srv = Server()
    gbk = ul_page(PAGE1, charset="gbk")
    srv.routes["/gbk.html"] = Route(gbk.replace("证书".encode("gbk"), "证书".encode("gbk") + b"\xff", 1))
    ws = setup(srv, {"gbk": "url = URL/gbk.html"})
    try:
        rc, out, err = ws.run("-v", "check", "gbk")
        eq(rc, 0, "check: " + err)
        ok("decoded from GB18030 (1 invalid bytes dropped), 5 items" in err, "the whole diagnostic: "
           + err)
        rc, out, err = ws.run("run")
        eq(rc, 0, "run: " + err)
        eq(last_charset(ws, "gbk"), "GB18030 (1 invalid bytes dropped)", "stored in full")
    finally:
        srv.close()
        ws.close()


# A title that tries to forge a line, move the cursor, ring the bell and
# turn the rest of the line around, and what is left of it.
HOSTILE = ("2021年度\r\nNEW x 2021-10-09 伪造\t二级建造师\x1b[2J证书\x07领取\u202e通知\u2066公告"
           "\u2069\u0085\u009b\u200f")
CLEAN = "2021年度 NEW x 2021-10-09 伪造 二级建造师[2J证书领取通知公告\u200f"


def hostile_json():
    return json.dumps({"rows": [
        {"id": 1, "title": HOSTILE, "url": "/j/1.html\r\n", "day": "2021-10-09\x1b"},
        {"id": 2, "title": "  合格人员\u202d名单\x00公示 \u3000", "url": "/j/2\x1b.html",
         "day": "2021-10-08"}]}, ensure_ascii=False).encode()


def hostile_script():
    return ("<html><head><meta charset='utf-8'><script>var list = {rows: ["
            "{t: '二级建造师\\r\\n证书\\u001b[1m发放\u202e通知', u: './s/1.html'}]};"
            "</script></head><body></body></html>").encode()


def hostile_xml():
    return ("<?xml version='1.0' encoding='utf-8'?><list><item><name>二级建造师&#x202E;证书"
            "\n\t领取&#x85;&#x9B;通知&#x2067;</name><url>/x/1.html</url><day>2021-10-07</day>"
            "</item></list>").encode()


def hostile_html():
    return ("<html><head><meta charset='utf-8'></head><body><ul>"
            "<li><a href='/h/1.html'>二级建造师&#x202E;证书&#x9B;领取&#x2068;名单</a>"
            "<span>2021-10-06</span></li>"
            "<li><a href='/h/2.html'>资格审核&#x1B;通过&#x7;人员名单公示</a>"
            "<span>2021-10-05</span></li>"
            "<li><a href='/h/3.html'>资格复核补充通知说明</a><span>2021-10-04</span></li>"
            "</ul></body></html>").encode()


@test
def control_characters_never_reach_the_output():
    srv = Server()
    srv.routes["/api"] = Route(hostile_json(), ctype="application/json")
    srv.routes["/js.html"] = Route(hostile_script())
    srv.routes["/list.xml"] = Route(hostile_xml(), ctype="text/xml")
    srv.routes["/list.html"] = Route(hostile_html())
    ws = setup(srv, {
        "json": "url = URL/api\nitems = rows\ntitle = title\nlink = url\ndate = day",
        "script": "url = URL/js.html\nformat = script\nscript = list\nitems = rows\n"
                  "title = t\nlink = u",
        "xml": "url = URL/list.xml\nformat = xml\nitems = //item\ntitle = name\nlink = url\n"
               "date = day",
        "html": "url = URL/list.html"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        for l in out.splitlines():
            ok(not FORGERY.search(l), "a clean event line: %r" % l)
        eq(sorted(l.split(" ")[1] for l in lines(out)),
           ["html", "html", "html", "json", "json", "script", "xml"], "one line per notice")
        ok("NEW json 2021-10-09 %s %s" % (CLEAN, srv.url("/j/1.html")) in lines(out),
           "the JSON title collapsed and stripped: " + out)
        ok("NEW json 2021-10-08 合格人员名单公示 %s" % srv.url("/j/2%1B.html") in lines(out),
           "an escaped link: " + out)
        ok("NEW script - 二级建造师 证书[1m发放通知 %s" % srv.url("/s/1.html") in lines(out),
           "the script title: " + out)
        ok("NEW xml 2021-10-07 二级建造师证书 领取通知 %s" % srv.url("/x/1.html") in lines(out),
           "the XML title: " + out)
        ok("NEW html 2021-10-06 二级建造师证书领取名单 %s" % srv.url("/h/1.html") in lines(out),
           "the HTML title: " + out)
        for (t, link) in ws.query("SELECT title, link FROM notices"):
            ok(not FORGERY.search(t) and not FORGERY.search(link), "stored clean: %r" % t)

        rc, out, err = ws.run("notices")
        eq((rc, err), (0, ""), "notices")
        eq(len(lines(out)), 7, "one line per notice: " + out)
        ok(not FORGERY.search(out), "notices clean: %r" % out)

        rc, out, err = ws.run("notices", "--format", "csv")
        eq((rc, err), (0, ""), "csv")
        rows = list(csv.reader(io.StringIO(out, newline="")))
        eq(len(rows), 8, "a header and seven rows")
        for row in rows:
            for cell in row:
                ok(not FORGERY.search(cell), "a clean cell: %r" % cell)

        rc, out, err = ws.run("feed")
        eq((rc, err), (0, ""), "feed")
        root = ET.fromstring(out.encode())      # well-formed, or this raises
        ns = {"a": "http://www.w3.org/2005/Atom"}
        titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
        ok(CLEAN in titles, "the JSON title in the feed: %r" % titles)
        for t in titles:
            ok(not FORGERY.search(t), "a clean feed title: %r" % t)
    finally:
        srv.close()
        ws.close()


@test
def xml_link_element_gives_the_link():
    srv = Server()
    srv.routes["/records.xml"] = Route((
        "<?xml version='1.0' encoding='utf-8'?><records>"
        "<record><kaosxmmc>2021年度二级建造师证书发放</kaosxmmc><url> /a.html\n</url>"
        "<kaosrq>2021-10-09</kaosrq></record>"
        "<record><kaosxmmc>2021年度合格人员名单</kaosxmmc><url><![CDATA[b.html?id=2&x=1]]></url>"
        "<kaosrq>2021-10-01</kaosrq></record>"
        "</records>").encode(), ctype="application/xml")
    ws = setup(srv, {"sh": "url = URL/records.xml\nformat = xml\nitems = //record\n"
                           "title = kaosxmmc\nlink = url\ndate = kaosrq"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(sorted(lines(out)), [
            "NEW sh 2021-10-01 2021年度合格人员名单 %s" % srv.url("/b.html?id=2&x=1"),
            "NEW sh 2021-10-09 2021年度二级建造师证书发放 %s" % srv.url("/a.html")],
           "the url element's text is the link")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
