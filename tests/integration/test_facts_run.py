"""Certificate facts wired through a run: stored per notice, listed as JSON,
alerted when they change, shown on the board, written as the article, and
kept as a line in the git history."""
import datetime
import json
import os
import re
import subprocess

from harness import (Route, Server, Workspace, eq, json_hook, lines, main, ok, test,
                     ul_page)


def article(title, body, date="2021-10-09"):
    """A detail page in the TRS shape the history tests use."""
    return ("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/l">通知公告</a></li></ul></div>
<div class="main"><div class="side"><ul><li><a href="/x">相关链接一</a></li></ul></div>
<div class="article"><h1>%s</h1><div class="info">发布时间：%s</div>
<div class="TRS_Editor">%s</div></div></div>
<div class="footer"><p>主办单位：人事考试中心 版权所有 联系电话 028-00000000</p></div></body></html>"""
            % (title, title, date, "".join("<p>%s</p>" % p for p in body))).encode()


def cn(d):
    """2021-10-20 -> 2021年10月20日, as the notices write a date."""
    return "%d年%d月%d日" % (d.year, d.month, d.day)


def paper(start, end):
    """The 四川 paper-collection phrasing (tests/fixtures/facts/: the seed's
    领取 paragraphs), with a window."""
    return ["各市（州）人事考试机构，有关考生：",
            "请考试合格人员于%s至%s，携带本人身份证原件到成都市人事考试中心领取纸质证书。"
            % (cn(start), cn(end))]


def electronic(start, end):
    """The 北京/广东 download phrasing (fixtures deadline.txt, guangdong.txt)."""
    return ["资格复核通过后，考试合格人员可于%s至%s登录电子证书系统（http://zs.example.org/）"
            "下载电子证书。" % (cn(start), cn(end))]


def git(ws, *args):
    p = subprocess.run(["git", "-C", os.path.join(ws.dir, "history")] + list(args),
                       capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


D = datetime.date


def setup(notices, hooks=False):
    """notices: {sid: (name, [(title, date, link, body or None)])}; a body
    None answers 404.  Sources in the order given (the catalog's)."""
    srv = Server()
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n\n[git]\npath = history\n\n"
    for sid, (name, items) in notices.items():
        srv.routes["/%s/list.html" % sid] = Route(ul_page([(t, d, l) for t, d, l, b in items]))
        for t, d, l, b in items:
            if b is not None:
                srv.routes[l] = Route(article(t, b, d))
        text += "[source %s]\nname = %s\nurl = %s\n\n" % (sid, name,
                                                          srv.url("/%s/list.html" % sid))
    if hooks:
        text += json_hook(srv)
    ws.write_config(text)
    return srv, ws


SC_TITLE = "关于领取2021年度二级建造师纸质证书的通知"


@test
def notices_json_gives_each_notice_its_facts():
    srv, ws = setup({"sc": ("四川", [
        (SC_TITLE, "2021-10-09", "/sc/1.html", paper(D(2021, 10, 20), D(2021, 11, 30))),
        ("关于2021年度二级建造师执业资格考试电子证书发放的通知", "2021-10-01", "/sc/2.html",
         None),
        ("2021年度一级造价工程师考务安排", "2021-09-10", "/sc/3.html", None)])})
    try:
        ws.run("run")       # the 404 detail page fails the run: its title stands
        rc, out, err = ws.run("notices", "--all", "--format", "json")
        eq((rc, err), (0, ""), "notices --format json")
        by = {n["link"].rsplit("/", 1)[1]: n for n in json.loads(out)}
        eq(by["1.html"]["facts"], {"form": "paper", "from": "2021-10-20", "to": "2021-11-30",
                                   "how": "in person", "place": "成都市人事考试中心",
                                   "condition": "携带本人身份证原件"},
           "the facts of the detail text")
        eq(by["2.html"]["facts"], {"form": "electronic"}, "the facts of a title alone")
        eq(by["3.html"]["facts"], {}, "no facts: an empty object")
        eq(json.loads(ws.query("SELECT facts FROM notices WHERE link LIKE '%/1.html'")[0][0])
           ["to"], "2021-11-30", "stored as JSON in notices.facts")
    finally:
        srv.close()
        ws.close()


@test
def a_moved_window_is_changed_with_both_values():
    srv, ws = setup({"sc": ("四川", [
        (SC_TITLE, "2021-10-09", "/sc/1.html", paper(D(2021, 10, 20), D(2021, 11, 30)))])},
        hooks=True)
    try:
        eq(ws.run("run")[0], 0, "first run")
        srv.posts.clear()
        srv.routes["/sc/1.html"].body = article(SC_TITLE, paper(D(2021, 10, 20),
                                                                D(2021, 12, 15)))
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run")
        link = srv.url("/sc/1.html")
        eq(lines(out), ["CHANGED sc 2021-10-09 %s %s (text: +1 -1 lines; to: 2021-11-30 → "
                        "2021-12-15)" % (SC_TITLE, link)], "the CHANGED line names the fact")
        events = [e for p in srv.posts for e in p["events"]]
        eq(len(events), 1, "one webhook event")
        eq(events[0]["change"], "text: +1 -1 lines; to: 2021-11-30 → 2021-12-15",
           "the webhook's change")
        rc, out, err = ws.run("outbox", "--all")
        ok("to: 2021-11-30 → 2021-12-15" in out, out)
        # a text edit that leaves the facts alone is a CHANGED without them
        body = paper(D(2021, 10, 20), D(2021, 12, 15)) + ["逾期未领取的，可联系考试机构。"]
        srv.routes["/sc/1.html"].body = article(SC_TITLE, body)
        rc, out, err = ws.run("run")
        eq(lines(out), ["CHANGED sc 2021-10-09 %s %s (text: +1 -0 lines)" % (SC_TITLE, link)],
           "no facts changed")
        # the history's notice file keeps a facts line: git log -p shows it move
        rc, log, e = git(ws, "log", "-p", "--", "sc")
        eq(rc, 0, "git log -p")
        ok(re.search(r"^-- facts: .*to 2021-11-30", log, re.M) and
           re.search(r"^\+- facts: .*to 2021-12-15", log, re.M), log)
    finally:
        srv.close()
        ws.close()


def relative_setup():
    today = datetime.date.today()
    this, last = today.isoformat(), D(today.year - 1, 10, 9).isoformat()
    notices = {
        "sc": ("四川", [("四川省%d年度二级建造师纸质证书领取通知" % today.year, this, "/sc/1.html",
                        paper(today - datetime.timedelta(days=10),
                              today + datetime.timedelta(days=5)))]),
        "js": ("江苏", [("江苏省%d年度二级建造师电子证书下载通知" % today.year, this, "/js/1.html",
                        electronic(today + datetime.timedelta(days=3),
                                   today + datetime.timedelta(days=40)))]),
        "gd": ("广东", [("广东省%d年度二级建造师纸质证书领取通知" % (today.year - 1), last,
                        "/gd/1.html", paper(D(today.year - 1, 10, 20),
                                            D(today.year - 1, 11, 30)))]),
        "bj": ("北京", [("2021年度一级造价工程师考务安排", "2021-09-10", "/bj/1.html", None)]),
    }
    return today, notices


@test
def the_board_shows_each_window_state():
    today, notices = relative_setup()
    srv, ws = setup(notices)
    try:
        eq(ws.run("run")[0], 0, "run")
        end = (today + datetime.timedelta(days=5)).strftime("%m-%d")
        for fmt in ("text", "md", "html"):
            rc, out, err = ws.run("report", "--format", fmt)
            eq((rc, err), (0, ""), "report --format " + fmt)
            ok("open until %s, 5 days left" % end in out, fmt + ": sc open\n" + out)
            ok("opens in 3 days" in out, fmt + ": js opens\n" + out)
            ok("closed" in out, fmt + ": gd closed\n" + out)
            ok("成都市人事考试中心" in out and "in person" in out and "download" in out,
               fmt + ": how and where\n" + out)
            ok("四川省%d年度二级建造师纸质证书领取通知" % today.year in out,
               fmt + ": the notice it came from")
        rc, out, err = ws.run("report")
        block = out.split("\n\n")
        sc = [b for b in block if b.startswith("四川")][0]
        ok("facts: paper; open until %s, 5 days left" % end in sc, sc)
    finally:
        srv.close()
        ws.close()


@test
def the_article_is_the_seed_generated():
    today, notices = relative_setup()
    srv, ws = setup(notices)
    try:
        eq(ws.run("run")[0], 0, "run")
        rc, out, err = ws.run("report", "--format", "article")
        eq((rc, err), (0, ""), "report --format article")
        heads = [l for l in out.splitlines() if l.startswith("## ")]
        eq(heads, ["## 四川", "## 江苏", "## 广东", "## 北京"], "a heading per province, in order")
        part = dict(zip([h[3:] for h in heads], re.split(r"^## .*$", out, flags=re.M)[1:]))
        ok("Paper certificates" in part["四川"] and "成都市人事考试中心" in part["四川"] and
           srv.url("/sc/1.html") in part["四川"], part["四川"])
        ok("Electronic certificates" in part["江苏"] and "http://zs.example.org/" in part["江苏"],
           part["江苏"])
        ok("Last year's (%d)" % (today.year - 1) in part["广东"] and
           "%d-11-30" % (today.year - 1) in part["广东"], part["广东"])
        ok("Last year" not in part["四川"], part["四川"])
        ok("No certificate notice read yet" in part["北京"], part["北京"])
    finally:
        srv.close()
        ws.close()


README_ORDER = [("sichuan", "四川"), ("jiangsu", "江苏"), ("shandong", "山东"),
                ("guangdong", "广东"), ("henan", "河南"), ("beijing", "北京")]


def fixture_text(name):
    """A facts fixture's year and its lines (comments left out)."""
    year, body = 2021, []
    with open(os.path.join("tests", "fixtures", "facts", name + ".txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# year:"):
                year = int(line.split(":")[1])
            elif line.strip() and not line.startswith("#"):
                body.append(line)
    return year, body


@test
def the_readme_example_article_is_what_a_run_writes():
    notices = {}
    for i, (sid, name) in enumerate(README_ORDER):
        year, body = fixture_text(sid)
        notices[sid] = (name, [("%s2021年度二级建造师证书发放通知" % name,
                                "%d-10-%02d" % (year, 9 + i), "/%s/1.html" % sid, body)])
    srv, ws = setup(notices)
    try:
        eq(ws.run("run")[0], 0, "run")
        rc, out, err = ws.run("report", "--format", "article")
        eq((rc, err), (0, ""), "report --format article")
        out = out.replace("http://127.0.0.1:%d" % srv.port, "https://example.gov.cn")
        with open("README.md", encoding="utf-8") as f:
            readme = f.read()
        block = re.search(r"```markdown\n(# Certificates, as the notices say\n.*?)```", readme,
                          re.S).group(1)
        day = r"Written by noticewatch on \d{4}-\d\d-\d\d "
        eq(re.sub(day, "", out.strip()), re.sub(day, "", block.strip()),
           "README's example article")
        ok("open since" not in out, "an old window's date says it: no 'open since'")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
