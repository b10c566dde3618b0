#!/usr/bin/python3
"""make bench: noticewatch against curl --parallel (the fetch limit) and
urlwatch over N generated list pages served by nginx on loopback.

Usage: bench/run.py [N]   (default 1000)"""
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
N = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("N", "1000"))
WORDS = ["二级建造师", "证书", "领取", "通知", "公告", "考试", "资格", "审核", "合格人员", "名单",
         "电子证书", "发放", "关于", "年度", "执业", "报名", "考务", "安排", "公示", "补充"]


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


def measure(name, argv, cwd, env=None):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,):
        print("  %s exited %d: %s" % (name, code, err.strip()[:300]), file=sys.stderr)
    return {"name": name, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
            "rss": ru.ru_maxrss / 1024.0}


def main():
    tmp = tempfile.mkdtemp(prefix="nw-bench-")
    os.chmod(tmp, 0o755)        # nginx's workers run as another user
    www = os.path.join(tmp, "www", "p")
    os.makedirs(www)
    for i in range(N):
        with open(os.path.join(www, "%d.html" % i), "wb") as f:
            f.write(page(i))
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off; worker_processes 2; pid %(t)s/nginx.pid; error_log %(t)s/error.log;
events { worker_connections 1024; }
http { access_log off; etag on; keepalive_requests 100000; keepalive_timeout 60;
  client_body_temp_path %(t)s/body; proxy_temp_path %(t)s/proxy; fastcgi_temp_path %(t)s/fcgi;
  uwsgi_temp_path %(t)s/uwsgi; scgi_temp_path %(t)s/scgi;
  types { text/html html; } default_type text/html;
  server { listen 127.0.0.1:%(p)d; root %(t)s/www; } }
""" % {"t": tmp, "p": port})
    nginx = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    urls = ["http://127.0.0.1:%d/p/%d.html" % (port, i) for i in range(N)]
    rows = []
    try:
        with open(os.path.join(tmp, "curl.cfg"), "w") as f:
            for u in urls:
                f.write('url = "%s"\noutput = "/dev/null"\n' % u)
        rows.append(measure("curl --parallel 16", ["curl", "-s", "--parallel", "--parallel-max",
                                                   "16", "-K", "curl.cfg"], tmp))
        with open(os.path.join(tmp, "nw.ini"), "w") as f:
            # first_days = all: the first run stores and alerts every notice
            f.write("[noticewatch]\ndatabase = nw.db\nfirst_days = all\nconcurrency = 16\n"
                    "per_host = 16\n\n")
            for i, u in enumerate(urls):
                f.write("[source p%d]\nurl = %s\n\n" % (i, u))
        nw = [os.path.join(ROOT, "noticewatch"), "-q", "-c", "nw.ini", "run"]
        rows.append(measure("noticewatch, first run", nw, tmp))
        rows.append(measure("noticewatch, unchanged", nw, tmp))
        for i in range(0, N, 10):
            with open(os.path.join(www, "%d.html" % i), "wb") as f:
                f.write(page(i, extra=1))
        rows.append(measure("noticewatch, 10% changed", nw, tmp))
        with open(os.path.join(www, "big.html"), "wb") as f:
            f.write(big_page())
        big = "http://127.0.0.1:%d/p/big.html" % port
        rows.append(measure("noticewatch check, %d-item page" % BIG,
                            [os.path.join(ROOT, "noticewatch"), "-q", "-c", "nw.ini", "check",
                             big], tmp))
        if shutil.which("xmllint"):
            rows.append(measure("xmllint --html --noout, same page",
                                ["xmllint", "--html", "--noout", os.path.join(www, "big.html")],
                                tmp))
        if shutil.which("urlwatch"):
            with open(os.path.join(tmp, "urls.yaml"), "w") as f:
                f.write("\n---\n".join("url: %s\nfilter:\n  - xpath: '//div[@class=\"list\"]//li'"
                                       % u for u in urls))
            with open(os.path.join(tmp, "urlwatch.yaml"), "w") as f:
                f.write("display: {new: false, error: false, unchanged: false}\n"
                        "report: {text: {enabled: false}, stdout: {enabled: false}}\n")
            uw = ["urlwatch", "--urls", "urls.yaml", "--config", "urlwatch.yaml",
                  "--cache", "cache.db", "--hooks", "nohooks.py"]
            env = dict(os.environ, HOME=tmp)
            rows.append(measure("urlwatch 2.25, first run", uw, tmp, env))
            rows.append(measure("urlwatch 2.25, unchanged", uw, tmp, env))
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    curl = rows[0]["wall"]
    by = {r["name"]: r for r in rows}
    print("\n%d pages (%.0f KB each, GBK under a gb2312 label, 40 notices), nginx on loopback"
          % (N, len(page(0)) / 1024))
    print("| run | wall s | cpu s | peak RSS MB | wall / curl |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %.2f | %.2f | %.1f | %.1f |" % (r["name"], r["wall"], r["cpu"], r["rss"],
                                                    r["wall"] / curl))
    if "urlwatch 2.25, first run" in by:
        print("\nfirst run: urlwatch / noticewatch = %.1f x" %
              (by["urlwatch 2.25, first run"]["wall"] / by["noticewatch, first run"]["wall"]))
    print("unchanged run / curl = %.2f" % (by["noticewatch, unchanged"]["wall"] / curl))


if __name__ == "__main__":
    main()
