"""Issue 12, items 8 and 9: detail pages are fetched with their source's
settings (TLS, user agent, headers, cookies), documents once, only for the
sources a run names; a source's headers never follow a redirect to another
host.  What the loopback server received is the evidence."""
from harness import (PAGE1, Route, Server, Workspace, eq, lines, main, ok, self_signed_server,
                     test, ul_page)


def article(title):
    return ("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/l">通知公告</a></li></ul></div>
<div class="article"><h1>%s</h1><div class="TRS_Editor"><p>各市人事考试机构，有关考生：</p>
<p>考试合格人员可于2021年10月15日后登录电子证书系统，查询、下载或打印电子证书。</p>
<p>电子证书与纸质证书具有同等效力。</p></div></div>
<div class="footer"><p>主办单位：人事考试中心 版权所有</p></div></body></html>"""
            % (title, title)).encode()


def config(srv_urls, extra=""):
    """[git] and one source per (id, url, extra lines)."""
    text = ("[noticewatch]\ntimeout = 5\n\n[git]\npath = history\n"
            "author = 考试通知 <watch@example.org>\n\n")
    for sid, url, more in srv_urls:
        text += "[source %s]\nurl = %s\n%s\n" % (sid, url, more)
    return text + extra


def requests_to(srv, prefix):
    return [(p, h) for p, h in srv.requests if p.startswith(prefix)]


def header(h, name):
    for k, v in h.items():
        if k.lower() == name.lower():
            return v
    return None


@test
def insecure_source_gets_its_detail_text():
    srv = self_signed_server()
    ws = Workspace()
    srv.routes["/list.html"] = Route(ul_page(PAGE1))
    for title, date, link in PAGE1:
        srv.routes[link] = Route(article(title))
    ws.write_config(config([("tls", srv.url("/list.html"), "insecure = yes\n")]))
    try:
        rc, out, err = ws.run("-v", "run")
        eq(rc, 0, "run: " + err)
        eq(len(requests_to(srv, "/n/")), 4, "the four relevant detail pages were requested")
        eq(ws.query("SELECT count(*) FROM details WHERE text LIKE '%同等效力%'")[0][0], 4,
           "the insecure source's detail texts are stored: " + err)
        eq(len([l for l in lines(err) if l.startswith("tls: detail page ")
                and l.endswith(" stored")]), 4, "-v says each was stored: " + err)
    finally:
        srv.close()
        ws.close()


@test
def detail_request_carries_the_sources_user_agent_header_and_cookie():
    srv = Server()
    ws = Workspace()
    srv.routes["/list.html"] = Route(ul_page(PAGE1),
                                     headers={"Set-Cookie": "JSESSIONID=abc123; Path=/"})
    for title, date, link in PAGE1:
        srv.routes[link] = Route(article(title))
    ws.write_config(config([("js", srv.url("/list.html"),
                             "user_agent = Mozilla/5.0 (noticewatch-test)\n"
                             "header = X-Api-Key: k-123\nheader = Referer: https://ref.example/\n")]))
    try:
        rc, out, err = ws.run("run")
        eq(rc, 0, "run: " + err)
        details = requests_to(srv, "/n/")
        eq(len(details), 4, "four detail pages requested")
        for path, h in details:
            eq(header(h, "User-Agent"), "Mozilla/5.0 (noticewatch-test)", path + " user agent")
            eq(header(h, "X-Api-Key"), "k-123", path + " header")
            eq(header(h, "Referer"), "https://ref.example/", path + " second header")
            ok("JSESSIONID=abc123" in (header(h, "Cookie") or ""),
               path + " carries the cookie the list page set: %r" % h)
        eq(ws.query("SELECT count(*) FROM details WHERE text LIKE '%同等效力%'")[0][0], 4,
           "the texts are stored")
    finally:
        srv.close()
        ws.close()


DOCS = [("2021年度二级建造师合格人员名单", "2021-10-09", "/files/mingdan.pdf"),
        ("2021年度二级建造师证书领取名册", "2021-10-08", "/files/lingqu"),
        ("关于2021年度二级建造师证书发放的通知", "2021-10-07", "/n/107.html")]


@test
def a_document_detail_link_is_fetched_once():
    srv = Server()
    ws = Workspace()
    srv.routes["/list.html"] = Route(ul_page(DOCS))
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\xff\xfe" * 50
    srv.routes["/files/mingdan.pdf"] = Route(pdf, ctype="application/pdf")
    # a document known only by its Content-Type
    srv.routes["/files/lingqu"] = Route(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00\x9f" * 300,
                                        ctype="application/vnd.openxmlformats-officedocument"
                                              ".spreadsheetml.sheet")
    srv.routes["/n/107.html"] = Route(article(DOCS[2][0]))
    ws.write_config(config([("js", srv.url("/list.html"), "")]))
    try:
        for i in range(2):
            rc, out, err = ws.run("run")
            eq(rc, 0, "run %d: %s" % (i + 1, err))
        eq(srv.hits.get("/files/mingdan.pdf"), 1, "the PDF is requested once in two runs")
        eq(srv.hits.get("/files/lingqu"), 1, "the XLSX is requested once in two runs")
        eq(srv.hits.get("/n/107.html"), 2, "an HTML detail page is re-checked each run")
        rows = ws.query("SELECT n.link, d.hash, d.error FROM details d"
                        " JOIN notices n ON n.id = d.notice_id ORDER BY n.link")
        eq(len(rows), 3, "a details row for each: %r" % rows)
        for link, h, e in rows:
            ok(h and e is None, "%s has a hash and no error: %r %r" % (link, h, e))
    finally:
        srv.close()
        ws.close()


@test
def run_id_fetches_detail_pages_of_that_source_only():
    srv = Server()
    ws = Workspace()
    for sid in ("js", "gd"):
        items = [(t, d, "/%s%s" % (sid, l)) for t, d, l in PAGE1]
        srv.routes["/%s/list.html" % sid] = Route(ul_page(items))
        for t, d, l in items:
            srv.routes[l] = Route(article(t))
    ws.write_config(config([(sid, srv.url("/%s/list.html" % sid), "") for sid in ("js", "gd")]))
    try:
        rc, out, err = ws.run("run")
        eq(rc, 0, "first run: " + err)
        eq(len(requests_to(srv, "/gd/n/")), 4, "first run: gd's detail pages")
        del srv.requests[:]
        rc, out, err = ws.run("run", "js")
        eq(rc, 0, "run js: " + err)
        eq(len(requests_to(srv, "/js/n/")), 4, "run js: js's detail pages are re-checked")
        eq(requests_to(srv, "/gd/"), [], "run js: nothing of gd is requested")
    finally:
        srv.close()
        ws.close()


@test
def a_redirect_to_another_host_does_not_carry_the_sources_headers():
    srv = Server()
    ws = Workspace()
    other = "http://localhost:%d" % srv.port     # the same server under another host name
    srv.routes["/cross/list.html"] = Route(b"", status=302,
                                           headers={"Location": other + "/cross/moved.html"})
    srv.routes["/cross/moved.html"] = Route(ul_page(PAGE1))
    srv.routes["/same/list.html"] = Route(b"", status=302,
                                          headers={"Location": "/same/moved.html"})
    srv.routes["/same/moved.html"] = Route(ul_page(PAGE1))
    ws.write_config(config([("cross", srv.url("/cross/list.html"),
                             "header = X-Api-Key: s3cret\n"),
                            ("same", srv.url("/same/list.html"), "header = X-Api-Key: s3cret\n")]))
    try:
        rc, out, err = ws.run("check", "cross")
        eq(rc, 0, "check cross: " + err)
        eq(len(lines(out)), 5, "the list behind the redirect is read: " + out)
        first, moved = requests_to(srv, "/cross/list.html"), requests_to(srv, "/cross/moved.html")
        eq(header(first[0][1], "X-Api-Key"), "s3cret", "the original host gets the header")
        eq(header(moved[0][1], "Host"), "localhost:%d" % srv.port, "the other host is asked")
        eq(header(moved[0][1], "X-Api-Key"), None, "the other host does not get the header")
        # a run's validators belong to the address asked, not to the other host
        srv.routes["/cross/moved.html"].etag = '"v1"'
        for _ in range(2):
            eq(ws.run("run", "cross")[0], 0, "run cross")
        moved = requests_to(srv, "/cross/moved.html")
        eq([header(m[1], "If-None-Match") for m in moved[-2:]], [None, None],
           "no validators sent to the other host")
        eq(header(requests_to(srv, "/cross/list.html")[-1][1], "If-None-Match"), '"v1"',
           "the address asked gets them")
        rc, out, err = ws.run("check", "same")
        eq(rc, 0, "check same: " + err)
        eq(len(lines(out)), 5, "the list behind the same-host redirect: " + out)
        moved = requests_to(srv, "/same/moved.html")
        eq(header(moved[0][1], "X-Api-Key"), "s3cret", "a same-host redirect keeps the header")
    finally:
        srv.close()
        ws.close()


@test
def a_redirect_to_another_port_does_not_carry_the_sources_headers():
    srv, other = Server(), Server()
    ws = Workspace()
    srv.routes["/list.html"] = Route(b"", status=302,
                                     headers={"Location": other.url("/moved.html")})
    other.routes["/moved.html"] = Route(ul_page(PAGE1))
    # a POST answered 303 is followed with a GET, without its body
    srv.routes["/post.html"] = Route(b"", status=303, headers={"Location": "/posted.html"})
    srv.routes["/posted.html"] = Route(ul_page(PAGE1))
    ws.write_config(config([("port", srv.url("/list.html"), "header = X-Api-Key: s3cret\n"),
                            ("post", srv.url("/post.html"),
                             "method = POST\nbody = page=1\nheader = X-Api-Key: s3cret\n")]))
    try:
        rc, out, err = ws.run("check", "port")
        eq(rc, 0, "check port: " + err)
        eq(len(lines(out)), 5, "the list on the other port is read: " + out)
        eq(header(other.requests[0][1], "X-Api-Key"), None,
           "the same host on another port does not get the header")
        rc, out, err = ws.run("check", "post")
        eq(rc, 0, "check post: " + err)
        eq([(m, p, b) for m, p, b in srv.bodies if p.startswith("/post")],
           [("POST", "/post.html", b"page=1"), ("GET", "/posted.html", b"")],
           "POST, then GET after the 303")
        eq(header(requests_to(srv, "/posted.html")[0][1], "X-Api-Key"), "s3cret",
           "the same origin keeps the header")
    finally:
        srv.close()
        other.close()
        ws.close()


if __name__ == "__main__":
    main()
