"""Integration harness: a real HTTP server on loopback serving fixture
pages that the test changes between runs, the real noticewatch binary, and
assertions that print what was expected and what came."""
import gzip
import html
import json
import http.server
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(ROOT, "noticewatch")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
# the translations as built (make compiles po/*.po there), not as installed
os.environ["NOTICEWATCH_LOCALEDIR"] = os.path.join(ROOT, "po", "locale")


def command(*args):
    """The binary with its arguments, under $NOTICEWATCH_WRAP (make valgrind)."""
    wrap = os.environ.get("NOTICEWATCH_WRAP", "").split()
    return wrap + [BINARY] + list(args)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


class Route:
    def __init__(self, body=b"", status=200, ctype="text/html", headers=None,
                 delay=0.0, etag=None, fail_times=0, fail_status=500, gzip=False,
                 fail_headers=None, fn=None, raw=None):
        self.body = body
        self.status = status
        self.ctype = ctype
        self.headers = headers or {}
        self.delay = delay
        self.etag = etag
        self.fail_times = fail_times    # answer fail_status this many times first
        self.fail_status = fail_status
        self.gzip = gzip                # compress when the client accepts it
        self.fail_headers = fail_headers or {}
        # fn(method, headers, body) -> (status, content type, headers, body): a page
        # that answers each request on its own terms
        self.fn = fn
        # raw(handler): writes to the socket itself (faults below HTTP)
        self.raw = raw


class Server:
    """Serves self.routes[path]; counts requests and remembers their headers."""

    def __init__(self, tls=None):
        """tls: (certfile, keyfile) to serve HTTPS."""
        self.routes = {}
        self.hits = {}
        self.requests = []
        self.bodies = []            # (method, path, request body)
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with outer.lock:
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    self.serve()
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def do_POST(self):
                self.do_GET()

            def serve(self):
                path = self.path
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer.lock:
                    outer.bodies.append((self.command, path, body))
                with outer.lock:
                    outer.hits[path] = outer.hits.get(path, 0) + 1
                    outer.requests.append((path, dict(self.headers)))
                    r = outer.routes.get(path)
                    failing = r is not None and r.fail_times > 0
                    if failing:
                        r.fail_times -= 1
                if r is None:
                    return self.reply(404, b"not found", "text/plain", {})
                if r.raw:
                    self.close_connection = True
                    return r.raw(self)
                if r.fn:
                    status, ctype, headers, payload = r.fn(self.command, self.headers, body)
                    return self.reply(status, payload, ctype, headers)
                if r.delay:
                    time.sleep(r.delay)
                if failing:
                    return self.reply(r.fail_status, b"busy", "text/plain", r.fail_headers)
                headers = dict(r.headers)
                body = r.body
                if r.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                if r.etag:
                    headers["ETag"] = r.etag
                    if self.headers.get("If-None-Match") == r.etag:
                        return self.reply(304, b"", None, headers)
                self.reply(r.status, body, r.ctype, headers)

            def reply(self, status, body, ctype, headers):
                try:
                    self.send_response(status)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None    # faults are on purpose
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def self_signed_server():
    """An HTTPS Server whose certificate (for 127.0.0.1) no one signed."""
    d = tempfile.mkdtemp()
    cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    return Server(tls=(cert, key))


def json_hook(srv):
    """A json webhook on srv that keeps each post's body, parsed, in
    srv.posts; returns the [webhook j] section that posts to it."""
    srv.posts = []

    def hook(method, headers, body):
        srv.posts.append(json.loads(body))
        return 200, "application/json", {}, b"{}"
    srv.routes["/hook"] = Route(fn=hook)
    return "[webhook j]\nurl = %s\nformat = json\n\n" % srv.url("/hook")


def ul_page(items, charset="utf-8"):
    """A notice list in the ul/li/span shape, with navigation and footer;
    items are (title, date, link)."""
    lis = "\n".join('<li><a href="%s" title="%s">%s</a><span>%s</span></li>'
                    % (link, html.escape(title), html.escape(title), date)
                    for title, date, link in items)
    return ("""<!DOCTYPE html><html><head><meta charset="%s"><title>通知公告</title></head>
<body><div class="nav"><a href="/">首页</a><a href="/list/">通知公告栏目</a></div>
<div class="list"><ul>
%s
</ul><div class="pages"><a href="?p=2">下一页</a><a href="?p=9">尾页</a></div></div>
<div class="footer"><a href="/about">关于我们网站地图联系我们</a></div></body></html>"""
            % (charset, lis)).encode(charset)


PAGE1 = [("关于2021年度二级建造师电子证书发放的通知", "2021-10-09", "/n/105.html"),
         ("2021年度二级建造师合格人员资格核查公告", "2021-09-28", "/n/104.html"),
         ("2021年度二级建造师证书领取地点调整", "2021-09-20", "/n/103.html"),
         ("2021年度一级造价工程师考务安排", "2021-09-10", "/n/102.html"),
         ("关于2020年度证书补发的说明", "2021-09-01", "/n/101.html")]


def lines(out):
    return [l for l in out.splitlines() if l]


class Workspace:
    """A temporary directory with a config, a database and the binary."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nw-it-")
        self.config = os.path.join(self.dir, "noticewatch.ini")
        self.db = os.path.join(self.dir, "noticewatch.db")

    def write_config(self, text, first_days="all", stale_days="0"):
        """Writes the config.  A first check is a baseline that raises events
        only for recent notices (first_days, 30 by default); the fixtures'
        dates are years old, so a test that is about something else sets
        first_days = all in [noticewatch] unless it sets first_days itself
        or passes first_days=None (the default applies).  For the same reason
        stale_days = 0 (never stale) is set with it, unless the config sets
        it or stale_days=None is passed (first_days=None, which keeps the
        config's line numbers, adds neither line)."""
        if first_days is not None and "first_days" not in text:
            text = re.sub(r"^\[noticewatch\][ \t]*\n", lambda m: "%sfirst_days = %s\n"
                          % (m.group(0), first_days), text, count=1, flags=re.M)
        if first_days is not None and stale_days is not None and "stale_days" not in text:
            text = re.sub(r"^\[noticewatch\][ \t]*\n", lambda m: "%sstale_days = %s\n"
                          % (m.group(0), stale_days), text, count=1, flags=re.M)
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)

    def run(self, *args, timeout=60, preexec_fn=None):
        env = dict(os.environ)
        env.pop("NOTICEWATCH_CONFIG", None)
        p = subprocess.run(command("-c", self.config, *args), cwd=self.dir,
                           capture_output=True, timeout=timeout, env=env,
                           preexec_fn=preexec_fn)
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")

    def query(self, sql, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Failure(Exception):
    pass


def eq(got, want, what=""):
    if got != want:
        raise Failure("%s\n    expected: %r\n    got:      %r" % (what, want, got))


def ok(cond, what):
    if not cond:
        raise Failure("expected " + what)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def main():
    if not os.access(BINARY, os.X_OK):
        print("FAIL build: %s missing" % BINARY)
        sys.exit(1)
    failed = 0
    for fn in TESTS:
        try:
            fn()
            print("PASS %s" % fn.__name__)
        except Failure as e:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e))
        except Exception:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, traceback.format_exc()))
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


def source_workspace(srv, sources):
    """A Workspace whose config lists sources {id: "key = value" lines},
    with URL/ standing for the server's root."""
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n\n"
    for sid, keys in sources.items():
        text += "[source %s]\n%s\n\n" % (sid, keys.replace("URL/", srv.url("/")))
    ws.write_config(text)
    return ws
