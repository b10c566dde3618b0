"""Sources beyond static HTML: JSON APIs, HTML inside JSON, script
literals, GBK XML records, POST paging, HTML paging, cookie redirects."""
import json

from harness import PAGE1, Route, Server, eq, lines, main, ok, source_workspace, test, ul_page


setup = source_workspace


def relevant(out, sid):
    return sorted(l for l in lines(out) if l.split(" ")[1] == sid)


def hebei_json(rows):
    return json.dumps({"code": 200, "msg": "ok", "data": {"total": len(rows), "rows": [
        {"id": i, "title": t, "jumpLink": "", "publishedDate": ms}
        for i, t, ms in rows]}}, ensure_ascii=False).encode()


MS_1009 = 1633708800000     # 2021-10-09 00:00 +08:00
MS_1012 = 1633968000000     # 2021-10-12 00:00 +08:00


@test
def json_api_with_epoch_milliseconds():
    srv = Server()
    srv.routes["/door/search?title=&pageNum=1&pageSize=50"] = Route(hebei_json([
        (101, "河北省2021年度二级建造师电子证书发放通知", MS_1009),
        (100, "2021年度二级建造师考后资格审核公告", MS_1009 - 86400000 * 7),
        (99, "关于2021年下半年教师资格考试的通知", MS_1009 - 86400000 * 9)]),
        ctype="application/json;charset=UTF-8")
    ws = setup(srv, {"hebei": "url = URL/door/search?title=&pageNum=1&pageSize=50\n"
                              "items = data.rows\ntitle = title\nlink = /article?id={id}\n"
                              "date = publishedDate"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run (format from Content-Type)")
        eq(relevant(out, "hebei"), [
            "NEW hebei 2021-10-02 2021年度二级建造师考后资格审核公告 %s" % srv.url("/article?id=100"),
            "NEW hebei 2021-10-09 河北省2021年度二级建造师电子证书发放通知 %s"
            % srv.url("/article?id=101")], "events")
        srv.routes["/door/search?title=&pageNum=1&pageSize=50"].body = hebei_json([
            (102, "关于2021年度二级建造师证书邮寄的通知", MS_1012),
            (101, "河北省2021年度二级建造师电子证书发放通知（更新）", MS_1009),
            (99, "关于2021年下半年教师资格考试的通知", MS_1009 - 86400000 * 9)])
        rc, out, err = ws.run("run")
        eq(sorted(lines(out)), [
            "CHANGED hebei 2021-10-09 河北省2021年度二级建造师电子证书发放通知（更新） %s"
            " (was: 河北省2021年度二级建造师电子证书发放通知)" % srv.url("/article?id=101"),
            "NEW hebei 2021-10-12 关于2021年度二级建造师证书邮寄的通知 %s"
            % srv.url("/article?id=102"),
            "REMOVED hebei 2021-10-02 2021年度二级建造师考后资格审核公告 %s"
            % srv.url("/article?id=100")], "new, changed, removed")
    finally:
        srv.close()
        ws.close()


@test
def html_inside_json():
    def shell(items):
        return json.dumps({"code": 0, "data": {"html": "".join(
            "<li><a href='/art/%s.html' title='%s'>%s</a><span>%s</span></li>" % (i, t, t, d)
            for i, t, d in items)}}, ensure_ascii=False).encode()

    srv = Server()
    srv.routes["/api/unit"] = Route(shell([("1", "浙江省2021年二级建造师证书领取公告", "2021-10-09"),
                                           ("2", "浙江省2021年度二级建造师合格人员公示", "2021-09-28")]),
                                    ctype="application/json")
    ws = setup(srv, {"zhejiang": "url = URL/api/unit\nformat = json\nhtml = data.html"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(len(lines(out)), 2, "both relevant")
        srv.routes["/api/unit"].body = shell([
            ("3", "浙江省二级建造师电子证书上线", "2021-10-12"),
            ("1", "浙江省2021年二级建造师证书领取公告", "2021-10-09"),
            ("2", "浙江省2021年度二级建造师合格人员公示", "2021-09-28")])
        rc, out, err = ws.run("run")
        eq(lines(out), ["NEW zhejiang 2021-10-12 浙江省二级建造师电子证书上线 %s"
                        % srv.url("/art/3.html")], "the new item")
    finally:
        srv.close()
        ws.close()


def jiangxi_page(items):
    rows = "".join("{title:'%s', url:\"./202110/t%s_%d.html\", publishTime:'%s',}," %
                   (t, d.replace("-", ""), i, d) for i, t, d in items)
    return ("""<html><head><meta charset="utf-8"><script>
// list data for the page
var pageSize = 20;
var listData = {total: %d, articleList: [%s], // trailing commas as the CMS writes them
};
</script></head><body><div id="list"></div></body></html>""" % (len(items), rows)).encode()


@test
def script_literal_with_unquoted_keys():
    srv = Server()
    srv.routes["/jx/list.html"] = Route(jiangxi_page([
        (1, "江西省2021年度二级建造师证书发放通知", "2021-10-09"),
        (2, "江西省2021年度二级建造师资格复核名单", "2021-09-30"),
        (3, "江西省2021年下半年教师资格考试公告", "2021-09-20")]))
    ws = setup(srv, {"jiangxi": "url = URL/jx/list.html\nformat = script\nscript = listData\n"
                                "items = articleList\ntitle = title\nlink = url\n"
                                "date = publishTime"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(relevant(out, "jiangxi"), [
            "NEW jiangxi 2021-09-30 江西省2021年度二级建造师资格复核名单 %s"
            % srv.url("/jx/202110/t20210930_2.html"),
            "NEW jiangxi 2021-10-09 江西省2021年度二级建造师证书发放通知 %s"
            % srv.url("/jx/202110/t20211009_1.html")], "events")
        srv.routes["/jx/list.html"].body = jiangxi_page([
            (1, "江西省2021年度二级建造师证书发放通知（补充）", "2021-10-09"),
            (3, "江西省2021年下半年教师资格考试公告", "2021-09-20")])
        rc, out, err = ws.run("run")
        eq(sorted(l.split(" ")[0] for l in lines(out)), ["CHANGED", "REMOVED"], out)
    finally:
        srv.close()
        ws.close()


def kwap(records):
    xml = '<?xml version="1.0" encoding="GBK"?>\n<kwaps>' + "".join(
        "<kwap><kaosxmmc>%s</kaosxmmc><kaosrq>%s</kaosrq><bmsj>2021-08-01</bmsj></kwap>" % r
        for r in records) + "</kwaps>"
    return xml.encode("gbk")


@test
def gbk_xml_records():
    srv = Server()
    srv.routes["/ksyzc/kwaplist_300.jsp"] = Route(kwap([
        ("2021年度二级建造师执业资格考试证书发放", "2021-10-09"),
        ("2021年度二级建造师执业资格考试", "2021-09-11")]), ctype="text/xml")
    ws = setup(srv, {"shanghai": "url = URL/ksyzc/kwaplist_300.jsp\nformat = xml\n"
                                 "items = //kwap\ntitle = kaosxmmc\ndate = kaosrq"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(len(lines(out)), 1, "the certificate record: " + out)
        ok(lines(out)[0].startswith("NEW shanghai 2021-10-09 2021年度二级建造师执业资格考试证书发放 "
                                    + srv.url("/ksyzc/kwaplist_300.jsp#t")), out)
        for (t,) in ws.query("SELECT title FROM notices"):
            ok("\ufffd" not in t and "二级建造师" in t, "decoded from GBK: %r" % t)
        srv.routes["/ksyzc/kwaplist_300.jsp"].body = kwap([
            ("2021年度二级建造师证书领取（第二批）", "2021-10-20"),
            ("2021年度二级建造师执业资格考试证书发放", "2021-10-09"),
            ("2021年度二级建造师执业资格考试", "2021-09-11")])
        rc, out, err = ws.run("run")
        eq(len(lines(out)), 1, "one new record")
        ok(lines(out)[0].startswith("NEW shanghai 2021-10-20 2021年度二级建造师证书领取（第二批）"), out)
    finally:
        srv.close()
        ws.close()


@test
def post_paging_reads_every_page():
    pages = {1: [("江苏省2021年二级建造师证书领取通知", "2021-10-09", "/art/3.html")],
             2: [("2021年度二级建造师合格人员名单公示", "2021-09-29", "/art/2.html")],
             3: [("2021年度二级建造师考试报名通知", "2021-05-10", "/art/1.html")]}

    def dataproxy(method, headers, body):
        form = dict(kv.split("=") for kv in body.decode().split("&"))
        if method != "POST" or form.get("webid") != "20" or \
                headers.get("X-Requested-With") != "XMLHttpRequest":
            return 400, "text/plain", {}, b"bad request"
        recs = "".join('<record><![CDATA[<li><a href="%s">%s</a><span>%s</span></li>]]>'
                       '</record>' % (l, t, d) for t, d, l in pages.get(int(form["page"]), []))
        xml = ('<html><body><script type="text/xml"><datastore><recordset>%s</recordset>'
               '</datastore></script></body></html>' % recs)
        return 200, "text/html; charset=utf-8", {}, xml.encode()

    srv = Server()
    srv.routes["/module/web/jpage/dataproxy.jsp"] = Route(fn=dataproxy)
    ws = setup(srv, {"jiangsu": "url = URL/module/web/jpage/dataproxy.jsp\nmethod = POST\n"
                                "body = col=1&webid=20&columnid=57253&page={page}\n"
                                "header = X-Requested-With: XMLHttpRequest\n"
                                "header = Referer: URL/col/col57253/index.html\npages = 3"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(ws.query("SELECT count(*) FROM notices"), [(3,)], "three pages read")
        eq([b for m, p, b in srv.bodies if m == "POST"],
           [b"col=1&webid=20&columnid=57253&page=%d" % i for i in (1, 2, 3)], "POST bodies")
        eq(len(relevant(out, "jiangsu")), 2, "relevant across pages")
        pages[2] = [("2021年度二级建造师合格人员名单公示（更正）", "2021-09-29", "/art/2.html")]
        rc, out, err = ws.run("run")
        eq(lines(out), ["CHANGED jiangsu 2021-09-29 2021年度二级建造师合格人员名单公示（更正） %s"
                        " (was: 2021年度二级建造师合格人员名单公示)" % srv.url("/art/2.html")],
           "a change on page 2")
    finally:
        srv.close()
        ws.close()


@test
def html_paging_follows_next_links():
    srv = Server()
    p1 = ul_page(PAGE1[:3]).replace(b'href="?p=2"', b'href="list_2.html"')
    p2 = ul_page(PAGE1[3:]).replace(b'<a href="?p=2">\xe4\xb8\x8b\xe4\xb8\x80\xe9\xa1\xb5</a>', b"")
    srv.routes["/gx/list.html"] = Route(p1)
    srv.routes["/gx/list_2.html"] = Route(p2)
    ws = setup(srv, {"guangxi": "url = URL/gx/list.html\npages = 5"})
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(ws.query("SELECT count(*) FROM notices"), [(5,)], "both pages")
        eq(srv.hits.get("/gx/list_2.html"), 1, "page 2 fetched once")
    finally:
        srv.close()
        ws.close()


@test
def cookie_redirects_and_user_agents():
    def guarded(method, headers, body):
        if "Mozilla" not in headers.get("User-Agent", ""):
            return 412, "text/html", {}, b"precondition failed"
        if "sid=ok" not in headers.get("Cookie", ""):
            return 302, "text/html", {"Set-Cookie": "sid=ok; Path=/",
                                      "Location": "/gs/list.html"}, b""
        return 200, "text/html; charset=utf-8", {}, ul_page(PAGE1)

    srv = Server()
    srv.routes["/gs/list.html"] = Route(fn=guarded)
    ws = setup(srv, {"gansu": "url = URL/gs/list.html\nuser_agent = Mozilla/5.0 (X11; Linux)",
                     "plain": "url = URL/gs/list.html"})
    try:
        rc, out, err = ws.run("run")
        eq(rc, 1, "one source refused")
        eq(len(relevant(out, "gansu")), 4, "the cookie redirect followed")
        eq(lines(err), ["noticewatch: plain: HTTP 412"], "the other refused with 412")
    finally:
        srv.close()
        ws.close()


@test
def data_errors_name_the_key_and_remove_nothing():
    srv = Server()
    srv.routes["/a"] = Route(hebei_json([(1, "证书通知一二三", MS_1009)]), ctype="application/json")
    srv.routes["/b"] = Route(hebei_json([(1, "证书通知一二三", MS_1009)]), ctype="application/json")
    srv.routes["/c"] = Route(hebei_json([(1, "证书通知一二三", MS_1009)]), ctype="application/json")
    keys = "items = data.rows\ntitle = title\nlink = /article?id={id}\ndate = publishedDate"
    ws = setup(srv, {"a": "url = URL/a\n" + keys, "b": "url = URL/b\n" + keys,
                     "c": "url = URL/c\n" + keys})
    try:
        eq(ws.run("run")[0], 0, "first run")
        srv.routes["/a"].body = b'{"data": {"rows": [ {"id": 1, '
        srv.routes["/b"].body = b'{"data": {"list": []}}'
        srv.routes["/c"].body = b'{"data": {"rows": {"id": 1}}}'
        rc, out, err = ws.run("run")
        eq(rc, 1, "errors")
        errs = sorted(lines(err))
        ok(errs[0].startswith("noticewatch: a: invalid JSON"), errs[0])
        ok(errs[1].startswith("noticewatch: b: items path 'data.rows' finds nothing"), errs[1])
        ok(errs[2].startswith("noticewatch: c: items path 'data.rows' is not an array"), errs[2])
        eq(out, "", "no events")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL"), [(3,)],
           "nothing removed")
        ws.write_config(open(ws.config).read() + "[source d]\nurl = URL/d\nformat = json\n"
                        "items = data..rows\ntitle = t\nlink = l\n".replace("URL/", srv.url("/")))
        rc, out, err = ws.run("run")
        eq(rc, 2, "a bad path is a config error")
        ok("bad path 'data..rows'" in err and "noticewatch.ini:" in err, err)
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
