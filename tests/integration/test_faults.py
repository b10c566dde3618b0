"""Faults and hostile input: each an error for its source only, never a
removal, never a crash or a hang; the others stored."""
import random
import resource
import signal
import socket
import struct
import subprocess
import time

from harness import (PAGE1, Route, Server, Workspace, command, eq, lines, main, ok,
                     self_signed_server, test, ul_page)
from mailhook import HookServer


def reset_mid_body(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n")
    h.wfile.write(ul_page(PAGE1)[:300])
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()


def truncated(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 50000\r\n\r\n")
    h.wfile.write(ul_page(PAGE1))
    h.wfile.flush()
    h.connection.shutdown(socket.SHUT_RDWR)


def not_http(h):
    h.wfile.write(bytes(random.Random(7).randrange(256) for _ in range(2000)))
    h.wfile.flush()


def sources(srv, names, extra=""):
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 3\n%s\n" % extra
    for sid in names:
        text += "[source %s]\nurl = %s\n\n" % (sid, srv.url("/%s" % sid))
    ws.write_config(text)
    return ws


@test
def network_faults_fail_their_source_only():
    srv = Server()
    names = ["ok", "refused", "reset", "truncated", "hang", "loop", "scheme", "big", "random",
             "nothttp"]
    for n in names:
        srv.routes["/" + n] = Route(ul_page(PAGE1))
    ws = sources(srv, names, "max_size = 64k")
    try:
        eq(ws.run("run")[0], 0, "all healthy first")
        before = ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL")[0][0]
        new = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html")] + PAGE1
        srv.routes["/ok"].body = ul_page(new)
        cfg = open(ws.config).read().replace(srv.url("/refused"), "http://127.0.0.1:1/refused")
        ws.write_config(cfg)
        srv.routes["/reset"] = Route(raw=reset_mid_body)
        srv.routes["/truncated"] = Route(raw=truncated)
        srv.routes["/hang"].delay = 10
        srv.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
        srv.routes["/scheme"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
        srv.routes["/big"].body = b"<html><body>" + b"<p>x</p>" * 20000 + b"</body></html>"
        srv.routes["/random"].body = bytes(random.Random(1).randrange(256) for _ in range(50000))
        srv.routes["/nothttp"] = Route(raw=not_http)
        t0 = time.time()
        rc, out, err = ws.run("run", timeout=120)
        eq(rc, 1, "exit status")
        ok(time.time() - t0 < 60, "bounded by the timeouts")
        eq(lines(out), ["NEW ok 2021-10-12 2021年度二级建造师证书邮寄办理通知 %s"
                        % srv.url("/n/106.html")], "the healthy source reports")
        errs = {l.split(":")[1].strip(): l for l in lines(err)}
        eq(sorted(errs), sorted(n for n in names if n != "ok"), "one line per failed source")
        ok("passwd" not in out and "root:" not in out, "file:// never followed")
        ok("refused" in errs["scheme"] or "non-http" in errs["scheme"] or
           "not supported" in errs["scheme"].lower() or "Protocol" in errs["scheme"],
           errs["scheme"])
        ok("larger than 65536" in errs["big"], errs["big"])
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NOT NULL"), [(0,)],
           "nothing removed")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL")[0][0], before + 1,
           "everything still present, plus the new notice")
        eq(ws.query("PRAGMA integrity_check"), [("ok",)], "integrity")
    finally:
        srv.close()
        ws.close()


@test
def tls_is_verified_unless_insecure():
    srv = self_signed_server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    srv.routes["/b"] = Route(ul_page(PAGE1))
    ws = sources(srv, ["a", "b"])
    ws.write_config(open(ws.config).read().replace(
        "[source b]\n", "[source b]\ninsecure = yes\n"))
    try:
        rc, out, err = ws.run("run")
        eq(rc, 1, "the self-signed source fails")
        ok(any(l.startswith("noticewatch: a: ") and "certificate" in l for l in lines(err)), err)
        ok("noticewatch: b: warning: TLS certificates are not verified (insecure = yes)" in err,
           "insecure warns: " + err)
        eq(len([l for l in lines(out) if " b " in l]), 4, "the insecure source is read")
    finally:
        srv.close()
        ws.close()


def hostile_pages():
    good = '<li><a href="/ok/%d.html">二级建造师证书领取通知第%d号</a><span>2021-10-0%d</span></li>'
    return {
        "deep": b"<html><body>" + b"<div>" * 200000 + b"x" + b"</div>" * 200000 +
                ("<ul>%s%s</ul></body></html>" % (good % (1, 1, 1), good % (2, 2, 2))).encode(),
        "nul": ("<html><body><ul>%s\0%s</ul>\0\0</body></html>" % (good % (1, 1, 1),
                                                               good % (2, 2, 2))).encode(),
        "hugetitle": ("<html><body><ul><li><a href='/t.html'>证书" + "长" * 350000 +
                      "</a><span>2021-10-01</span></li>%s</ul></body></html>"
                      % (good % (2, 2, 2))).encode(),
        "attrs": ("<html><body><ul><li><a href='/a.html' title='" + "x" * 3000000 +
                  "' class=\"unterminated>二级建造师证书的通知</a><span>2021-10-01</span></li>"
                  "%s%s</ul></body></html>" % (good % (2, 2, 2), good % (3, 3, 3))).encode(),
        "urls": ("<html><body><ul>"
                 "<li><a href='javascript:alert(1)'>二级建造师证书脚本链接</a><span>2021-10-01</span></li>"
                 "<li><a href='JaVaScRiPt:void(0)'>二级建造师证书脚本链接二</a><span>2021-10-01</span></li>"
                 "<li><a href='http://[::1'>二级建造师证书坏链接</a><span>2021-10-02</span></li>"
                 "<li><a href='%%zz/../../etc'>二级建造师证书怪链接</a><span>2021-10-03</span></li>"
                 "<li><a href='data:text/html,x'>二级建造师证书数据链接</a><span>2021-10-03</span></li>"
                 "%s%s</ul></body></html>" % (good % (4, 4, 4), good % (5, 5, 5))).encode(),
    }


@test
def hostile_pages_through_check_and_run():
    srv = Server()
    pages = hostile_pages()
    for name, body in pages.items():
        srv.routes["/" + name] = Route(body)
    ws = sources(srv, list(pages), "max_size = 8M")
    try:
        for name in pages:
            rc, out, err = ws.run("check", name, timeout=120)
            ok(rc in (0, 1) and (rc == 0 or err.startswith("noticewatch: %s: " % name)),
               "%s: check ends cleanly (%d %r)" % (name, rc, err[:200]))
        rc, out, err = ws.run("run", timeout=120)
        ok(rc in (0, 1), "run ends cleanly: %r" % err[:300])
        for (title, link) in ws.query("SELECT title, link FROM notices"):
            ok(len(title.encode()) <= 512, "title bounded: %d bytes" % len(title.encode()))
            ok(link.startswith("http://") or link.startswith("https://"), "link %r" % link)
            ok("\x00" not in title and "\ufffd" not in title, "clean title %r" % title[:40])
        eq(ws.query("SELECT count(*) FROM notices WHERE link LIKE '%javascript%' COLLATE NOCASE"
                    " OR link LIKE 'data:%'"), [(0,)], "no script or data links")
        got = {l for (l,) in ws.query("SELECT link FROM notices")}
        for n in (2, 4, 5):
            ok(srv.url("/ok/%d.html" % n) in got, "the sound items kept: %d" % n)
        eq(ws.query("PRAGMA integrity_check"), [("ok",)], "integrity")
    finally:
        srv.close()
        ws.close()


@test
def kill_9_at_any_moment_loses_nothing():
    srv = Server()
    hooks = HookServer()
    hooks.reply = b"{}"
    rnd = random.Random(42)
    for sid in ("a", "b", "c"):
        srv.routes["/" + sid] = Route(ul_page(PAGE1), delay=0.05)
    ws = sources(srv, ["a", "b", "c"], "outbox_retry = 1s")
    ws.write_config(open(ws.config).read() + "[webhook j]\nurl = %s\nformat = json\n"
                    % hooks.url("/j"))
    try:
        for i in range(8):
            page = [("第%d批二级建造师证书领取通知" % i, "2021-11-%02d" % (i + 1),
                     "/n/k%d.html" % i)] + PAGE1
            for sid in ("a", "b", "c"):
                srv.routes["/" + sid].body = ul_page(page)
            p = subprocess.Popen(command("-c", ws.config, "run"), cwd=ws.dir,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(0.0, 0.4))
            p.send_signal(signal.SIGKILL)
            p.wait()
        rc, out, err = ws.run("run")
        eq(rc, 0, "a normal run after the kills: " + err)
        eq(ws.query("PRAGMA integrity_check"), [("ok",)], "integrity")
        time.sleep(2.1)
        eq(ws.run("run")[0], 0, "and another")
        eq(ws.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"), [(0,)],
           "every stored alert delivered")
        sent = {}
        for path, q, body in hooks.posts:
            for e in body["events"]:
                key = (e["source"], e.get("link"), e["type"], e.get("title"))
                sent[key] = sent.get(key, 0) + 1
        stored = ws.query("SELECT e.source_id, e.link, e.kind, e.title FROM outbox o "
                          "JOIN events e ON e.id = o.event_id")
        for row in stored:
            ok(1 <= sent.get(tuple(row), 0) <= 2, "delivered once (twice at most after a "
               "crash): %r %d" % (row, sent.get(tuple(row), 0)))
    finally:
        hooks.close()
        srv.close()
        ws.close()


@test
def a_full_disk_is_a_clean_error():
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    ws = sources(srv, ["a"])
    try:
        eq(ws.run("run")[0], 0, "first run")
        many = [("二级建造师证书领取通知第%d号：" % i + "补充说明" * 30, "2021-10-09",
                 "/n/m%d.html" % i) for i in range(400)]
        srv.routes["/a"].body = ul_page(many)

        def small_disk():
            resource.setrlimit(resource.RLIMIT_FSIZE, (32768, 32768))

        rc, out, err = ws.run("run", preexec_fn=small_disk)
        eq(rc, 3, "a clear failure: the state could not be saved")
        ok(err.startswith("noticewatch: ") and len(lines(err)) <= 3, err)
        eq(ws.query("PRAGMA integrity_check"), [("ok",)], "nothing half-written")
        eq(ws.query("SELECT count(*) FROM notices"), [(5,)], "the old snapshot intact")
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "with room again")
        eq(ws.query("SELECT count(*) FROM notices WHERE removed_at IS NULL")[0][0], 400,
           "the new snapshot stored")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
