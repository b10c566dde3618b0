"""Changes that say what changed: a CHANGED line tells a new title, a new
date and a new detail text apart; the diff in alerts and in the event log
is a plain unified diff naming the notice; mail and webhooks show old and
new.  And notices --format csv --bom for spreadsheets."""
import csv
import io
import os
import subprocess

from harness import (Route, Server, Workspace, command, eq, json_hook, lines, main, ok, test,
                     ul_page)
from mailhook import SMTPServer

TITLE = "关于领取2021年度二级建造师纸质证书的通知"


def article(title, body, date="2021-10-09"):
    """A detail page: the article in a TRS_Editor block."""
    return ("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/l">通知公告</a></li></ul></div>
<div class="article"><h1>%s</h1><div class="info">发布时间：%s</div>
<div class="TRS_Editor">%s</div></div>
<div class="footer"><p>主办单位：人事考试中心 版权所有 联系电话 028-00000000</p></div></body></html>"""
            % (title, title, date, "".join("<p>%s</p>" % p for p in body))).encode()


PAPER = ["各市（州）人事考试机构，有关考生：",
         "请考试合格人员于2021年10月20日至2021年11月30日，携带本人身份证原件到成都市人事考试中心"
         "领取纸质证书。"]


def setup(items, hooks=False, channels="", git=False):
    """One source 'sc' listing items (title, date, link); its detail pages
    are served when git is set (detail pages are read for the history)."""
    srv = Server()
    ws = Workspace()
    srv.routes["/sc/list.html"] = Route(ul_page(items))
    text = "[noticewatch]\ntimeout = 5\n\n"
    if git:
        text += "[git]\npath = history\n\n"
    text += "[source sc]\nname = 四川\nurl = %s\n\n" % srv.url("/sc/list.html")
    if hooks:
        text += json_hook(srv)
    ws.write_config(text + channels)
    return srv, ws


def email_section(smtp):
    return ("[email]\nurl = %s\ntls = no\nfrom = watch@example.org\nto = a@example.org\n"
            "mode = each\n\n" % smtp.url())


def history_file(ws):
    """The one notice file of source sc in the history."""
    p = subprocess.run(["git", "-C", os.path.join(ws.dir, "history"), "ls-files", "sc"],
                       capture_output=True, check=True)
    files = [f for f in p.stdout.decode().split() if f.endswith(".md")]
    eq(len(files), 1, "one notice file in the history")
    return files[0]


def check_diff(text, path, what):
    """text is one plain unified diff of the notice's file: '--- a/PATH',
    '+++ b/PATH', then hunks; returns (added, removed) line lists."""
    ls = text.rstrip("\n").split("\n")
    eq(ls[:2], ["--- a/" + path, "+++ b/" + path], what + ": the headers name the notice")
    ok(ls[2].startswith("@@ -") and ls[2].count("@@") == 2, what + ": a hunk follows\n" + text)
    for l in ls:
        ok(not l.startswith("index ") and not l.startswith("diff --git") and "a/a/" not in l
           and "b/b/" not in l and not l.startswith(": "), what + ": a plain diff\n" + text)
    body = ls[2:]
    for l in body:
        ok(l[:1] in (" ", "+", "-", "@", "\\"), what + ": a diff line: %r" % l)
    return [l[1:] for l in body if l.startswith("+")], [l[1:] for l in body if l.startswith("-")]


@test
def a_new_title_says_what_it_was():
    srv, ws = setup([("旧标题：二级建造师证书领取", "2021-10-09", "/sc/1.html")],
                    hooks=True)
    try:
        eq(ws.run("run")[0], 0, "first run")
        srv.posts.clear()
        srv.routes["/sc/list.html"].body = ul_page([(TITLE, "2021-10-09", "/sc/1.html")])
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run")
        link = srv.url("/sc/1.html")
        eq(lines(out), ["CHANGED sc 2021-10-09 %s %s (was: 旧标题：二级建造师证书领取)"
                        % (TITLE, link)], "the CHANGED line says the old title")
        ev = [e for p in srv.posts for e in p["events"]]
        eq([(e["type"], e["title"], e["old_title"]) for e in ev],
           [("changed", TITLE, "旧标题：二级建造师证书领取")], "the webhook has old and new")
        ok("old_date" not in ev[0] and "diff" not in ev[0], "no date or text change: %r" % ev[0])
        rc, out, err = ws.run("events")
        ok("(was: 旧标题：二级建造师证书领取)" in lines(out)[-1], out)
    finally:
        srv.close()
        ws.close()


@test
def a_new_date_alone_says_what_it_was():
    smtp = SMTPServer()
    srv, ws = setup([(TITLE, "2021-10-09", "/sc/1.html")], hooks=True, channels=email_section(smtp))
    try:
        eq(ws.run("run")[0], 0, "first run")
        srv.posts.clear()
        del smtp.messages[:]
        srv.routes["/sc/list.html"].body = ul_page([(TITLE, "2021-10-12", "/sc/1.html")])
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run")
        link = srv.url("/sc/1.html")
        eq(lines(out), ["CHANGED sc 2021-10-12 %s %s (was dated: 2021-10-09)" % (TITLE, link)],
           "the CHANGED line says the old date")
        ev = [e for p in srv.posts for e in p["events"]]
        eq([(e["date"], e["old_date"]) for e in ev], [("2021-10-12", "2021-10-09")],
           "the webhook has the old and the new date")
        ok("old_title" not in ev[0], "the title did not change: %r" % ev[0])
        eq(len(smtp.messages), 1, "one mail")
        text = smtp.messages[0][2].get_body(("plain",)).get_content()
        ok("2021-10-12 " + TITLE in text and "was dated: 2021-10-09" in text, text)
        rc, out, err = ws.run("events")
        ok(lines(out)[-1].endswith("(was dated: 2021-10-09) " + link), out)
    finally:
        smtp.close()
        srv.close()
        ws.close()


@test
def a_new_text_counts_its_lines_and_diffs_plainly():
    smtp = SMTPServer()
    srv, ws = setup([(TITLE, "2021-10-09", "/sc/1.html")], hooks=True, channels=email_section(smtp),
                    git=True)
    try:
        srv.routes["/sc/1.html"] = Route(article(TITLE, PAPER))
        eq(ws.run("run")[0], 0, "first run")
        path = history_file(ws)
        srv.posts.clear()
        del smtp.messages[:]
        srv.routes["/sc/1.html"].body = article(TITLE, PAPER + ["逾期未领取的，可联系考试机构。"])
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run")
        link = srv.url("/sc/1.html")
        eq(lines(out), ["CHANGED sc 2021-10-09 %s %s (text: +1 -0 lines)" % (TITLE, link)],
           "the CHANGED line counts the text's lines")
        # the webhook: the diff, and the same words as the line
        ev = [e for p in srv.posts for e in p["events"]]
        eq(len(ev), 1, "one webhook event")
        eq(ev[0]["change"], "text: +1 -0 lines", "the webhook's change")
        ok("old_title" not in ev[0], "the title did not change: %r" % ev[0])
        added, removed = check_diff(ev[0]["diff"], path, "webhook")
        eq((added, removed), (["逾期未领取的，可联系考试机构。"], []), "the webhook diff's lines")
        # the mail: the count, then the diff as it is
        eq(len(smtp.messages), 1, "one mail")
        msg = smtp.messages[0][2]
        text = msg.get_body(("plain",)).get_content()
        ok("text: +1 -0 lines" in text, text)
        start = text.index("--- a/")
        end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
        added, removed = check_diff(text[start:end], path, "mail")
        eq(added, ["逾期未领取的，可联系考试机构。"], "the mail diff's lines")
        ok(not any(l.startswith(": ") for l in text.splitlines()), "no ': ' line\n" + text)
        html = msg.get_body(("html",)).get_content()
        ok("<pre>--- a/" + path in html, html)
        # the event log: the line, then the diff
        rc, out, err = ws.run("events")
        eq(rc, 0, "events")
        ls = out.split("\n")
        k = [i for i, l in enumerate(ls) if "(text: +1 -0 lines)" in l]
        eq(len(k), 1, "one changed event in the log\n" + out)
        check_diff("\n".join(ls[k[0] + 1:]), path, "events")
        # the stored diff is the same plain one
        check_diff(ws.query("SELECT diff FROM events WHERE kind = 'changed'")[0][0], path,
                   "events.diff")
    finally:
        smtp.close()
        srv.close()
        ws.close()


@test
def a_text_change_that_moves_a_fact_says_both():
    srv, ws = setup([(TITLE, "2021-10-09", "/sc/1.html")], hooks=True, git=True)
    try:
        srv.routes["/sc/1.html"] = Route(article(TITLE, PAPER))
        eq(ws.run("run")[0], 0, "first run")
        srv.posts.clear()
        moved = [PAPER[0], PAPER[1].replace("11月30日", "12月15日"), "逾期不候。"]
        srv.routes["/sc/1.html"].body = article(TITLE, moved)
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run")
        eq(lines(out), ["CHANGED sc 2021-10-09 %s %s (text: +2 -1 lines; to: 2021-11-30 → "
                        "2021-12-15)" % (TITLE, srv.url("/sc/1.html"))],
           "the count and the fact")
        ev = [e for p in srv.posts for e in p["events"]]
        eq(ev[0]["change"], "text: +2 -1 lines; to: 2021-11-30 → 2021-12-15", "webhook")
        added, removed = check_diff(ev[0]["diff"], history_file(ws), "webhook")
        eq(removed, [PAPER[1]], "the old line")
        eq(added, moved[1:], "the new lines")
    finally:
        srv.close()
        ws.close()


ROWS = [("=1+1 证书领取通知", "2021-10-09", "/sc/1.html"), ("+86 报名咨询", "2021-10-08", "/sc/2.html"),
        ("-领取须知", "2021-10-07", "/sc/3.html"), ("@所有考生 通知", "2021-10-06", "/sc/4.html"),
        (TITLE, "2021-10-05", "/sc/5.html")]


@test
def csv_bom_opens_in_a_spreadsheet_without_formulas():
    srv, ws = setup(ROWS)
    try:
        eq(ws.run("run")[0], 0, "run")
        raw = subprocess.run(command("-c", ws.config, "notices", "--all", "--format", "csv",
                                     "--bom"), cwd=ws.dir, capture_output=True)
        eq((raw.returncode, raw.stderr), (0, b""), "notices --format csv --bom")
        eq(raw.stdout[:3], b"\xef\xbb\xbf", "a UTF-8 byte order mark first")
        rows = list(csv.reader(io.StringIO(raw.stdout.decode("utf-8-sig"), newline="")))
        eq(rows[0][:4], ["source", "date", "title", "link"], "the header, its first cell clean")
        titles = [r[2] for r in rows[1:]]
        eq(sorted(titles), sorted(["'=1+1 证书领取通知", "'+86 报名咨询", "'-领取须知", "'@所有考生 通知", TITLE]),
           "cells that start a formula are quoted with '")
        plain = subprocess.run(command("-c", ws.config, "notices", "--all", "--format", "csv"),
                               cwd=ws.dir, capture_output=True)
        eq(plain.returncode, 0, "csv without --bom")
        ok(plain.stdout.startswith(b"source,"), "no mark without --bom")
        rows = list(csv.reader(io.StringIO(plain.stdout.decode("utf-8"), newline="")))
        eq(sorted(r[2] for r in rows[1:]), sorted(t for t, d, l in ROWS),
           "without --bom the cells are as they are")
        rc, out, err = ws.run("notices", "--format", "json", "--bom")
        eq(rc, 2, "--bom is for csv: " + err)
        ok("--bom" in err, err)
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
