#!/usr/bin/python3
"""make bench: noticewatch beside the floor of its work, over N generated
list pages served by nginx on loopback.

The floor is what no watcher can skip: curl --parallel fetching every body
(the fetch limit) plus xmllint --html --noout parsing the same files in one
process (libxml2's own parse and decoding).  Each figure is the median of
RUNS runs (default 3) with its spread; urlwatch runs beside at 1,000 pages
or fewer (it takes minutes at 10,000).

Usage: bench/run.py [N ...]   (default: 1000 10000)"""
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NW = os.path.join(ROOT, "noticewatch")
RUNS = int(os.environ.get("RUNS", "3"))
WORDS = ["二级建造师", "证书", "领取", "通知", "公告", "考试", "资格", "审核", "合格人员", "名单",
         "电子证书", "发放", "关于", "年度", "执业", "报名", "考务", "安排", "公示", "补充"]
# issue #17's figures, measured the same way before the work on it, to
# print beside ours
ISSUE = {1000: {"curl": "0.06 s", "xmllint": "0.32 s", "floor": "0.38 s",
                "first": "0.70 s, 23 MB", "unchanged": "0.07 s", "urlwatch first": "4.65 s"},
         10000: {"first": "7.08 s, 42 MB"}}


def page(i, extra=0):
    rnd = random.Random(i)
    items = []
    for k in range(40 + extra):
        n = 40 + extra - k
        title = "".join(rnd.choice(WORDS) for _ in range(rnd.randrange(4, 9))) + "第%d号" % n
        items.append('<li><a href="./2021%02d/t2021%02d%02d_%d%d.html" target="_blank" '
                     'title="%s">%s</a><span class="date">2021-%02d-%02d</span></li>'
                     % (n % 12 + 1, n % 12 + 1, n % 28 + 1, i, n, title, title,
                        n % 12 + 1, n % 28 + 1))
    nav = "".join('<li><a href="/col/%d/">栏目导航链接%d</a></li>' % (k, k) for k in range(30))
    filler = "".join("<p>主办单位：某省人事考试中心 地址：某市某路%d号 电话：0000-0000000 "
                     "版权所有 备案号00000000号</p>" % k for k in range(130))
    html = ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" '
            'content="text/html; charset=gb2312"><title>通知公告</title></head><body>'
            '<div class="header"><ul class="nav">%s</ul></div>'
            '<div class="main"><div class="list"><ul>%s</ul></div>'
            '<div class="page"><a href="index_1.html">下一页</a></div></div>'
            '<div class="footer">%s</div></body></html>' % (nav, "".join(items), filler))
    return html.encode("gbk")


BIG = 120000


def big_page():
    """One list of BIG notices (7.6 MB, under the 8 MB body cap): the
    duplicate-link check must stay linear."""
    items = "\n".join('<li><a href="/n/%d.html">公告第%d号</a> 2021-%02d-%02d</li>'
                      % (n, n, n % 12 + 1, n % 28 + 1) for n in range(BIG, 0, -1))
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>'
            '<body><div class="list"><ul>%s</ul></div></body></html>' % items).encode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def measure(argv, cwd, env=None):
    """Wall and CPU seconds and peak RSS of argv.  The RSS is GNU time's:
    a child's own ru_maxrss counts what it had before exec, which is this
    Python process's size."""
    out = os.path.join(cwd, "time.out")
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-o", out, "-f", "%M"] + argv, cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print("  %s exited %d: %s" % (argv[0], code, err.strip()[:300]), file=sys.stderr)
    with open(out) as f:
        rss = int(f.read().split()[-1]) / 1024.0
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": rss}


class Bench:
    """N pages under nginx in a temporary directory."""

    def __init__(self, n):
        self.n = n
        self.tmp = tempfile.mkdtemp(prefix="nw-bench-")
        os.chmod(self.tmp, 0o755)        # nginx's workers run as another user
        self.www = os.path.join(self.tmp, "www", "p")
        os.makedirs(self.www)
        for i in range(n):
            self.write(i, 0)
        self.port = free_port()
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off; worker_processes 2; pid %(t)s/nginx.pid; error_log %(t)s/error.log;
events { worker_connections 1024; }
http { access_log off; etag on; keepalive_requests 1000000; keepalive_timeout 60;
  client_body_temp_path %(t)s/body; proxy_temp_path %(t)s/proxy; fastcgi_temp_path %(t)s/fcgi;
  uwsgi_temp_path %(t)s/uwsgi; scgi_temp_path %(t)s/scgi;
  types { text/html html; } default_type text/html;
  server { listen 127.0.0.1:%(p)d; root %(t)s/www; } }
""" % {"t": self.tmp, "p": self.port})
        self.nginx = subprocess.Popen(["nginx", "-c", conf, "-p", self.tmp],
                                      stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        self.urls = ["http://127.0.0.1:%d/p/%d.html" % (self.port, i) for i in range(n)]
        with open(os.path.join(self.tmp, "curl.cfg"), "w") as f:
            for u in self.urls:
                f.write('url = "%s"\noutput = "/dev/null"\n' % u)
        with open(os.path.join(self.tmp, "nw.ini"), "w") as f:
            # first_days = all: the first run stores and alerts every notice
            f.write("[noticewatch]\ndatabase = nw.db\nfirst_days = all\nconcurrency = 16\n"
                    "per_host = 16\n\n")
            for i, u in enumerate(self.urls):
                f.write("[source p%d]\nurl = %s\n\n" % (i, u))
        with open(os.path.join(self.tmp, "files"), "w") as f:
            f.write("\n".join(os.path.join(self.www, "%d.html" % i) for i in range(n)))

    def write(self, i, extra):
        with open(os.path.join(self.www, "%d.html" % i), "wb") as f:
            f.write(page(i, extra))

    def close(self):
        self.nginx.terminate()
        self.nginx.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def forget(self):
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(os.path.join(self.tmp, "nw.db" + suffix))
            except FileNotFoundError:
                pass

    def once(self, urlwatch):
        """One run of everything: {name: measure}."""
        nw = [NW, "-q", "-c", "nw.ini", "run"]
        r = {}
        r["curl"] = measure(["curl", "-s", "--parallel", "--parallel-max", "16", "-K",
                             "curl.cfg"], self.tmp)
        # xmllint takes the files as arguments: in chunks under ARG_MAX, timed together
        files = open(os.path.join(self.tmp, "files")).read().split("\n")
        parts = [measure(["xmllint", "--html", "--noout"] + files[k:k + 5000], self.tmp)
                 for k in range(0, len(files), 5000)]
        r["xmllint"] = {"wall": sum(p["wall"] for p in parts),
                        "cpu": sum(p["cpu"] for p in parts),
                        "rss": max(p["rss"] for p in parts)}
        r["floor"] = {"wall": r["curl"]["wall"] + r["xmllint"]["wall"],
                      "cpu": r["curl"]["cpu"] + r["xmllint"]["cpu"], "rss": 0}
        self.forget()
        r["first"] = measure(nw, self.tmp)
        r["unchanged"] = measure(nw, self.tmp)
        for i in range(0, self.n, 10):
            self.write(i, 1)
        r["10% changed"] = measure(nw, self.tmp)
        for i in range(0, self.n, 10):
            self.write(i, 0)
        r["db MB"] = os.path.getsize(os.path.join(self.tmp, "nw.db")) / 1e6
        if urlwatch:
            with open(os.path.join(self.tmp, "urls.yaml"), "w") as f:
                f.write("\n---\n".join("url: %s\nfilter:\n  - xpath: '//div[@class=\"list\"]//li'"
                                       % u for u in self.urls))
            with open(os.path.join(self.tmp, "urlwatch.yaml"), "w") as f:
                f.write("display: {new: false, error: false, unchanged: false}\n"
                        "report: {text: {enabled: false}, stdout: {enabled: false}}\n")
            uw = ["urlwatch", "--urls", "urls.yaml", "--config", "urlwatch.yaml",
                  "--cache", "cache.db", "--hooks", "nohooks.py"]
            env = dict(os.environ, HOME=self.tmp)
            try:
                os.unlink(os.path.join(self.tmp, "cache.db"))
            except FileNotFoundError:
                pass
            r["urlwatch first"] = measure(uw, self.tmp, env)
            r["urlwatch unchanged"] = measure(uw, self.tmp, env)
        return r

    def big(self):
        with open(os.path.join(self.www, "big.html"), "wb") as f:
            f.write(big_page())
        url = "http://127.0.0.1:%d/p/big.html" % self.port
        return {"check": measure([NW, "-q", "-c", "nw.ini", "check", url], self.tmp),
                "xmllint": measure(["xmllint", "--html", "--noout",
                                    os.path.join(self.www, "big.html")], self.tmp)}


def spread(runs, name, key):
    v = sorted(r[name][key] for r in runs)
    return statistics.median(v), v[0], v[-1]


def fmt(m, lo, hi):
    return "%.2f (%.2f–%.2f)" % (m, lo, hi) if RUNS > 1 else "%.2f" % m


def report(n, runs):
    med = {name: spread(runs, name, "wall")[0] for name in runs[0] if name != "db MB"}
    print("\n%d pages (%.0f KB each, GBK under a gb2312 label, 40 notices), nginx on loopback;"
          " median of %d runs (min–max)" % (n, len(page(0)) / 1024, len(runs)))
    print("| run | wall s | cpu s | peak RSS MB | ratio | issue #17 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in runs[0]:
        if name == "db MB":
            continue
        w, c, m = (spread(runs, name, k) for k in ("wall", "cpu", "rss"))
        ratio = ("%.2f x floor" % (w[0] / med["floor"]) if name in ("first",) else
                 "%.2f x curl" % (w[0] / med["curl"]) if name in ("unchanged", "10% changed")
                 else "%.1f x ours" % (w[0] / med["first"]) if name == "urlwatch first"
                 else "%.1f x ours" % (w[0] / med["unchanged"]) if name == "urlwatch unchanged"
                 else "")
        label = {"floor": "floor = curl + xmllint", "first": "noticewatch, first run",
                 "unchanged": "noticewatch, unchanged", "10% changed": "noticewatch, 10% changed",
                 "xmllint": "xmllint --html --noout, same files",
                 "curl": "curl --parallel 16, every body"}.get(name, name)
        print("| %s | %s | %s | %s | %s | %s |" % (
            label, fmt(*w), fmt(*c), "-" if name == "floor" else "%.1f" % m[0], ratio,
            ISSUE.get(n, {}).get(name, "")))
    print("database: %.1f MB" % statistics.median(r["db MB"] for r in runs))
    print("goals: first run / floor = %.2f (at most 1.0); unchanged / curl = %.2f (at most 1.2)"
          % (med["first"] / med["floor"], med["unchanged"] / med["curl"]))


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    if "N" in os.environ and not sys.argv[1:]:
        sizes = [int(os.environ["N"])]
    results = {}
    big = None
    for n in sizes:
        b = Bench(n)
        try:
            uw = n <= 1000 and shutil.which("urlwatch")
            results[n] = [b.once(uw) for _ in range(RUNS)]
            if big is None:
                big = b.big()
        finally:
            b.close()
        report(n, results[n])
    if len(results) > 1:
        small, large = min(results), max(results)
        fs = spread(results[small], "first", "wall")[0]
        fl = spread(results[large], "first", "wall")[0]
        rs = spread(results[small], "first", "rss")[0]
        rl = spread(results[large], "first", "rss")[0]
        print("\nscale: %d pages cost %.2f x %d pages (linear: %.1f; at most %.1f)"
              % (large, fl / fs, small, large / small, 1.05 * large / small))
        print("memory: peak RSS %.1f MB at %d, %.1f MB at %d: %.2f KB more a source "
              "(goal: under 32 MB at 10,000, flat)"
              % (rs, small, rl, large, (rl - rs) * 1024 / (large - small)))
    if big:
        print("\n%d-item page: noticewatch check %.2f s, xmllint --html --noout %.2f s (%.1f x)"
              % (BIG, big["check"]["wall"], big["xmllint"]["wall"],
                 big["check"]["wall"] / big["xmllint"]["wall"]))


if __name__ == "__main__":
    main()
