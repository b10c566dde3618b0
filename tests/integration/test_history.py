"""The policy history: what libgit2 wrote, read with the real git command."""
import os
import shutil
import subprocess
import time

from harness import PAGE1, Route, Server, Workspace, eq, lines, main, ok, test, ul_page


def article(title, body):
    return ("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/l">通知公告</a></li></ul></div>
<div class="main"><div class="side"><ul><li><a href="/x">相关链接一</a></li></ul></div>
<div class="article"><h1>%s</h1><div class="info">发布时间：2021-10-09</div>
<div class="TRS_Editor">%s<p>附件：<a href="/files/mingdan.xlsx">合格人员名单.xlsx</a></p></div></div></div>
<div class="footer"><p>主办单位：人事考试中心 版权所有 联系电话 028-00000000</p></div></body></html>"""
            % (title, title, "".join("<p>%s</p>" % p for p in body))).encode()


BODY = ["各市（州）人事考试机构，有关考生：",
        "考试合格人员可于2021年10月15日后登录电子证书系统，查询、下载或打印电子证书。",
        "电子证书与纸质证书具有同等效力。"]


def git(ws, *args):
    p = subprocess.run(["git", "-C", os.path.join(ws.dir, "history")] + list(args),
                       capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def setup(remote=True):
    srv = Server()
    ws = Workspace()
    for sid in ("js", "gd"):
        srv.routes["/%s/list.html" % sid] = Route(ul_page(PAGE1))
    for title, date, link in PAGE1:
        srv.routes[link] = Route(article(title, BODY))
    bare = os.path.join(ws.dir, "remote.git")
    subprocess.run(["git", "init", "-q", "--bare", bare], check=True)
    text = ("[noticewatch]\ntimeout = 5\n\n[git]\npath = history\n"
            "author = 考试通知 <watch@example.org>\n%s\n" % ("remote = %s\n" % bare if remote
                                                           else ""))
    for sid, name in (("js", "江苏"), ("gd", "广东")):
        text += "[source %s]\nname = %s\nurl = %s\n\n" % (sid, name,
                                                          srv.url("/%s/list.html" % sid))
    ws.write_config(text)
    return srv, ws, bare


@test
def first_run_commits_the_snapshot():
    srv, ws, bare = setup()
    try:
        t0 = int(time.time())
        rc, out, err = ws.run("run")
        t1 = int(time.time())
        eq((rc, err), (0, ""), "run")
        rc, o, e = git(ws, "fsck", "--strict")
        eq((rc, e), (0, ""), "git fsck --strict")
        rc, log, e = git(ws, "log", "--format=%s|%an <%ae>|%at|%ct")
        eq(len(lines(log)), 1, "one commit")
        subject, author, at, ct = lines(log)[0].split("|")
        eq(subject, "江苏: 5 new; 广东: 5 new", "subject in words")
        eq(author, "考试通知 <watch@example.org>", "author")
        eq(at, ct, "author and committer time are the run's time")
        ok(t0 <= int(at) <= t1, "the run's time")
        rc, body, e = git(ws, "log", "-1", "--format=%b")
        eq(len(lines(body)), 10, "the body lists the events")
        ok("NEW 江苏 2021-10-09 关于2021年度二级建造师电子证书发放的通知 " in body, body)
        rc, files, e = git(ws, "ls-files")
        files = lines(files)
        ok("README.md" in files and "js/notices.txt" in files and "gd/notices.txt" in files,
           files)
        eq(len([f for f in files if f.startswith("js/") and f.endswith(".md")]), 4,
           "one file per relevant notice")
        rc, notices, e = git(ws, "show", "HEAD:js/notices.txt")
        eq(lines(notices)[0], "2021-10-09\t*\t关于2021年度二级建造师电子证书发放的通知\t%s"
           % srv.url("/n/105.html"), "notices.txt line")
        eq(len(lines(notices)), 5, "five notices")
        rc, grep, e = git(ws, "grep", "-l", "同等效力", "HEAD")
        eq(len(lines(grep)), 8, "detail texts in the tree")
        rc, readme, e = git(ws, "show", "HEAD:README.md")
        ok("| 江苏 | [js](js/notices.txt) | 5 | 2021-10-09 [关于2021年度二级建造师电子证书发放的通知]"
           in readme, readme)
        rc, detail, e = git(ws, "grep", "-h", "合格人员名单.xlsx <", "HEAD", "--", "js")
        ok(srv.url("/files/mingdan.xlsx") in detail, "attachments listed: " + detail)
        ok(os.path.exists(os.path.join(ws.dir, "history", "js", "notices.txt")),
           "the working tree mirrors the commit")
        head = git(ws, "rev-parse", "HEAD")[1].strip()
        pushed = subprocess.run(["git", "--git-dir", bare, "rev-parse", "main"],
                                capture_output=True).stdout.decode().strip()
        eq(pushed, head, "pushed to the bare remote")
        eq(ws.run("run"), (0, "", ""), "an unchanged run")
        eq(len(lines(git(ws, "log", "--format=%H")[1])), 1, "no commit without change")
    finally:
        srv.close()
        ws.close()


@test
def an_edited_detail_page_is_a_diff():
    srv, ws, bare = setup(remote=False)
    try:
        eq(ws.run("run")[0], 0, "first run")
        edited = [BODY[0], BODY[1].replace("10月15日", "10月20日"), BODY[2],
                  "逾期未下载的，可联系考试机构补办。"]
        srv.routes["/n/105.html"].body = article(PAGE1[0][0], edited)
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run")
        link = srv.url("/n/105.html")
        eq(sorted(lines(out)), ["CHANGED gd 2021-10-09 %s %s (text: +2 -1 lines)"
                                % (PAGE1[0][0], link),
                                "CHANGED js 2021-10-09 %s %s (text: +2 -1 lines)"
                                % (PAGE1[0][0], link)],
           "the text change is an event")
        rc, log, e = git(ws, "log", "--format=%s")
        eq(lines(log)[0], "江苏: 1 changed; 广东: 1 changed", "subject")
        rc, show, e = git(ws, "show", "HEAD", "--", "js")
        ok("-考试合格人员可于2021年10月15日后登录电子证书系统" in show and
           "+考试合格人员可于2021年10月20日后登录电子证书系统" in show and
           "+逾期未下载的，可联系考试机构补办。" in show, show)
        eq(ws.query("SELECT count(*) FROM events WHERE diff LIKE '%10月20日%'"), [(2,)],
           "the diff kept with the event")
        ok("10月20日" in ws.query("SELECT diff FROM events WHERE diff IS NOT NULL")[0][0],
           "diff stored")
        page = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html")] + \
            [(PAGE1[1][0] + "（更正）",) + PAGE1[1][1:]] + PAGE1[2:]
        srv.routes["/n/106.html"] = Route(article(page[0][0], BODY))
        srv.routes["/js/list.html"].body = ul_page(page)
        eq(ws.run("run")[0], 0, "third run")
        rc, log, e = git(ws, "log", "-1", "--format=%s")
        eq(log.strip(), "江苏: 1 new, 1 changed, 1 removed", "subject of the third commit")
        rc, diff, e = git(ws, "show", "HEAD", "--format=", "--", "js/notices.txt")
        eq(len([l for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]),
           2, "one line per new or changed notice: " + diff)
        rc, o, e = git(ws, "fsck", "--strict")
        eq(rc, 0, "fsck")
    finally:
        srv.close()
        ws.close()


@test
def a_failed_commit_or_push_is_done_next_run():
    srv, ws, bare = setup()
    try:
        eq(ws.run("run")[0], 0, "first run")
        lock = os.path.join(ws.dir, "history", ".git", "index.lock")
        open(lock, "w").close()
        page = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html")] + PAGE1
        srv.routes["/js/list.html"].body = ul_page(page)
        rc, out, err = ws.run("run")
        eq(rc, 3, "the commit failed: the state could not be saved")
        ok("history" in err and "kept for the next run" in err, err)
        eq(len(lines(out)), 1, "the event still reported")
        os.unlink(lock)
        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "the next run")
        rc, log, e = git(ws, "log", "--format=%s")
        eq(lines(log), ["江苏: 1 new", "江苏: 5 new; 广东: 5 new"], "the pending commit made")
        # a remote that fails: the commit stays, the push is retried
        shutil.move(bare, bare + ".away")
        srv.routes["/gd/list.html"].body = ul_page(page)
        rc, out, err = ws.run("run")
        eq(rc, 1, "push failed")
        ok("push failed" in err and "retried next run" in err, err)
        ok(bare not in err, "the remote URL is not printed: " + err)
        shutil.move(bare + ".away", bare)
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "pushed on the next run")
        head = git(ws, "rev-parse", "HEAD")[1].strip()
        pushed = subprocess.run(["git", "--git-dir", bare, "rev-parse", "main"],
                                capture_output=True).stdout.decode().strip()
        eq(pushed, head, "the remote caught up")
        eq(len(lines(git(ws, "log", "--format=%H")[1])), 3, "no commit lost or doubled")
    finally:
        srv.close()
        ws.close()


@test
def rebuild_writes_the_history_afresh():
    srv, ws, bare = setup(remote=False)
    try:
        eq(ws.run("run")[0], 0, "first run")
        before = git(ws, "show", "HEAD:js/notices.txt")[1]
        shutil.rmtree(os.path.join(ws.dir, "history"))
        rc, out, err = ws.run("history", "--rebuild")
        eq((rc, err), (0, ""), "rebuild")
        rc, log, e = git(ws, "log", "--format=%s")
        eq(lines(log), ["history rebuilt from the store"], "one commit")
        eq(git(ws, "show", "HEAD:js/notices.txt")[1], before, "the same projection")
        eq(git(ws, "fsck", "--strict")[0], 0, "fsck")
        cfg = open(ws.config).read()
        ws.write_config(cfg[:cfg.index("[git]")] + cfg[cfg.index("[source"):])
        rc, out, err = ws.run("history", "--rebuild")
        eq(rc, 2, "no [git]: a usage error")
        ok("needs a [git] section" in err, err)
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
