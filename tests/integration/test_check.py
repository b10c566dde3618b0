"""check is the tool for writing a source (issue 13, item 3): it works
without a config file, tries selectors given on the command line, and with
-v names the list the generic extractor chose as an XPath that gives the
same items.  The real binary against a loopback server."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import Route, Server, Workspace, command, eq, fixture, lines, main, ok, test


def bare_run(cwd, *args):
    """noticewatch with no -c and no $NOTICEWATCH_CONFIG, in cwd."""
    env = dict(os.environ)
    env.pop("NOTICEWATCH_CONFIG", None)
    p = subprocess.run(command(*args), cwd=cwd, capture_output=True, timeout=60, env=env)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


ROWS = """<html><body><div class="nav"><a href="/">首页</a></div>
<table id="grid">
<tr><th>标题</th><th>日期</th></tr>
<tr><td><a class="node" href="/c/1">[二级建造师考试]</a>
    <a href="/n/1.html" title="关于领取2023年度二级建造师证书的通知">关于领取2023年度二级建造师证书...</a></td>
    <td class="d">2024-03-01</td></tr>
<tr><td><a href="/n/2.html">2023年度一级造价工程师考试合格人员公示</a></td><td class="d">2024-02-01</td></tr>
<tr><td><a href="/n/3.html">2024年度专业技术人员职业资格考试计划</a></td><td class="d">2024-01-15</td></tr>
</table>
<ul class="side"><li><a href="/s/1.html">网站地图与联系方式说明</a></li></ul>
</body></html>""".encode("utf-8")


@test
def check_url_without_config():
    srv = Server()
    srv.routes["/list.html"] = Route(ROWS)
    d = tempfile.mkdtemp(prefix="nw-it-")
    try:
        rc, out, err = bare_run(d, "check", srv.url("/list.html"))
        eq(rc, 0, "exit status (stderr: %r)" % err)
        eq(lines(out), [
            "* 2024-03-01 关于领取2023年度二级建造师证书的通知 %s" % srv.url("/n/1.html"),
            "* 2024-02-01 2023年度一级造价工程师考试合格人员公示 %s" % srv.url("/n/2.html"),
            "  2024-01-15 2024年度专业技术人员职业资格考试计划 %s" % srv.url("/n/3.html"),
        ], "the items")
        eq(os.listdir(d), [], "no file created")
    finally:
        shutil.rmtree(d, ignore_errors=True)
        srv.close()


@test
def check_id_without_config_is_refused():
    d = tempfile.mkdtemp(prefix="nw-it-")
    try:
        rc, out, err = bare_run(d, "check", "jiangsu")
        eq(rc, 2, "exit status")
        ok("noticewatch.ini" in err, "the missing config named: %r" % err)
        eq(os.listdir(d), [], "no file created")
    finally:
        shutil.rmtree(d, ignore_errors=True)


@test
def selectors_on_the_command_line_are_a_source():
    srv = Server()
    srv.routes["/list.html"] = Route(ROWS)
    keys = [("items", "//table[@id='grid']/tr[td]"), ("title", "td[1]/a[last()]"),
            ("link", "td[1]/a[last()]/@href"), ("date", "td[@class='d']")]
    ws = Workspace()
    try:
        ws.write_config("[noticewatch]\n\n[source grid]\nurl = %s\n%s\n"
                        % (srv.url("/list.html"),
                           "".join("%s = %s\n" % kv for kv in keys)))
        rc, want, err = ws.run("check", "grid")
        eq(rc, 0, "check grid (stderr: %r)" % err)
        args = []
        for k, v in keys:
            args += ["--" + k, v]
        d = tempfile.mkdtemp(prefix="nw-it-")
        try:
            rc, out, err = bare_run(d, "check", srv.url("/list.html"), *args)
            eq(rc, 0, "check URL --items ... (stderr: %r)" % err)
            eq(out, want, "the same lines as the source")
            eq(len(lines(out)), 3, "three notices")
        finally:
            shutil.rmtree(d, ignore_errors=True)
        # and what run stores is what check printed
        rc, _, err = ws.run("-q", "run")
        eq(rc, 0, "run (stderr: %r)" % err)
        rows = ws.query("SELECT date, title, link FROM notices ORDER BY date DESC")
        eq(["%s %s %s" % r for r in rows], [l[2:] for l in lines(want)], "the stored notices")
        rc, _, err = ws.run("check", srv.url("/list.html"), "--items", "//tr[")
        eq(rc, 2, "a bad XPath is a usage error")
        ok("bad XPath '//tr['" in err, "named: %r" % err)
    finally:
        ws.close()
        srv.close()


@test
def verbose_check_names_the_list():
    srv = Server()
    srv.routes["/list.html"] = Route(ROWS)
    srv.routes["/shanxi/"] = Route(fixture("shanxi-rst-sidebar.html"))
    d = tempfile.mkdtemp(prefix="nw-it-")
    try:
        for path, want in (("/list.html", "//table[@id='grid']/tr"),
                           ("/shanxi/", "//ul[@class='list-items-box-inner']/li")):
            rc, out, err = bare_run(d, "-v", "check", srv.url(path))
            eq(rc, 0, "exit status (stderr: %r)" % err)
            m = re.search(r"^.*: list (\S.*?): (\d+) items?, (\d+) dated; (.*)$", err,
                          re.M)
            ok(m, "the list named on stderr: %r" % err)
            eq(m.group(1), want, "the XPath")
            eq(int(m.group(2)), len(lines(out)), "items")
            eq(int(m.group(3)), len(lines(out)), "dated items")
            ok(m.group(4).startswith("runner-up "), "the runner-up: %r" % m.group(4))
            rc, again, err = bare_run(d, "check", srv.url(path), "--items", m.group(1))
            eq(rc, 0, "check --items XPATH (stderr: %r)" % err)
            eq(again, out, "the same items through --items")
        eq(os.listdir(d), [], "no file created")
    finally:
        shutil.rmtree(d, ignore_errors=True)
        srv.close()


if __name__ == "__main__":
    main()
