"""fetch/ against a loopback server: politeness, compression, redirects,
caps, Retry-After."""
from harness import PAGE1, Route, Server, Workspace, eq, lines, main, ok, test, ul_page


def workspace(srv, paths, extra=""):
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n%s\n" % extra
    for i, path in enumerate(paths):
        text += "[source s%d]\nurl = %s\n\n" % (i, srv.url(path))
    ws.write_config(text)
    return ws


def most_in_flight(limits):
    """Six slow pages on one host; returns the most requests seen at once."""
    srv = Server()
    paths = ["/p%d.html" % i for i in range(6)]
    for p in paths:
        srv.routes[p] = Route(ul_page(PAGE1), delay=0.4)
    ws = workspace(srv, paths, limits)
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        eq(sum(srv.hits.values()), 6, "every source fetched once")
        return srv.max_in_flight
    finally:
        srv.close()
        ws.close()


@test
def per_host_limit_holds():
    eq(most_in_flight("concurrency = 16\nper_host = 2"), 2, "most transfers to one host at once")


@test
def concurrency_limit_holds():
    eq(most_in_flight("concurrency = 3\nper_host = 8"), 3, "most transfers at once")


@test
def gzip_and_redirects():
    srv = Server()
    srv.routes["/z.html"] = Route(ul_page(PAGE1), gzip=True)
    srv.routes["/old.html"] = Route(b"", status=301, headers={"Location": "/new/list.html"})
    srv.routes["/new/list.html"] = Route(ul_page([("证书通知甲乙丙", "2021-10-01", "a.html")]))
    ws = workspace(srv, ["/z.html", "/old.html"])
    try:
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "run")
        ok("Accept-Encoding" in srv.requests[0][1], "compression offered")
        eq(len([l for l in lines(out) if l.startswith("NEW s0 ")]), 4, "gzip page decoded")
        # the link resolves against the page it was redirected to
        ok("NEW s1 2021-10-01 证书通知甲乙丙 %s" % srv.url("/new/a.html") in lines(out), out)
    finally:
        srv.close()
        ws.close()


@test
def redirect_loops_and_caps_fail_cleanly():
    srv = Server()
    srv.routes["/loop"] = Route(b"", status=302, headers={"Location": "/loop"})
    srv.routes["/file"] = Route(b"", status=302, headers={"Location": "file:///etc/passwd"})
    srv.routes["/big"] = Route(ul_page(PAGE1) + b" " * 4096)
    ws = workspace(srv, ["/loop", "/file", "/big"], "max_size = 2k")
    try:
        rc, out, err = ws.run("run")
        eq(rc, 1, "exit status")
        errs = sorted(lines(err))
        eq(len(errs), 3, "three errors: %r" % errs)
        ok("s0: more than 5 redirects" in errs[0], errs[0])
        ok(errs[1].startswith("noticewatch: s1: ") and "passwd" not in out, errs[1])
        ok("s2: body larger than 2048 bytes" in errs[2], errs[2])
        eq(srv.hits["/loop"], 6, "the first request and 5 redirects")
    finally:
        srv.close()
        ws.close()


@test
def retry_after_is_honoured_within_limits():
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1), fail_times=1, fail_status=503,
                             fail_headers={"Retry-After": "1"})
    srv.routes["/b"] = Route(ul_page(PAGE1), fail_times=1, fail_status=429)
    srv.routes["/c"] = Route(ul_page(PAGE1), fail_times=1, fail_status=503,
                             fail_headers={"Retry-After": "3600"})
    ws = workspace(srv, ["/a", "/b", "/c"])
    try:
        rc, out, err = ws.run("run")
        eq(rc, 1, "exit status")
        eq((srv.hits["/a"], srv.hits["/b"], srv.hits["/c"]), (2, 2, 1),
           "a and b retried, c not waited for")
        eq(lines(err), ["noticewatch: s2: HTTP 503 (Retry-After 1 h is beyond the 1 min limit)"],
           "the error")
    finally:
        srv.close()
        ws.close()


@test
def verbose_and_quiet():
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    ws = workspace(srv, ["/a"])
    try:
        rc, out, err = ws.run("-v", "run")
        eq(rc, 0, "verbose run")
        ok("s0: 200, 5 notices on 1 page (UTF-8), 5 events" in err, err)
        eq(len(lines(out)), 4, "events still on stdout")
        srv.routes["/a"].body = ul_page([("新证书通知一二三", "2021-12-01", "/x")] + PAGE1)
        rc, out, err = ws.run("-q", "run")
        eq((rc, out, err), (0, "", ""), "quiet run")
        eq(ws.query("SELECT count(*) FROM events"), [(6,)], "the event still stored")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
