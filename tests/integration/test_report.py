"""What people read: the status board (text, md, html rendered in Debian's
chromium), Atom feeds read by feedparser, CSV, the man page against --help,
make install/uninstall, and run -v's progress on a terminal."""
import csv
import datetime
import html.parser
import io
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import unicodedata

import feedparser
from PIL import Image

from harness import (BINARY, PAGE1, ROOT, Route, Server, Workspace, command, eq, lines, main,
                     ok, test, ul_page)

HOSTILE = '<script>alert(1)</script>二级建造师证书 | "领取", 补充'


def board(extra=""):
    """js: a good source (its newest notice has markup, a pipe, quotes and a
    comma in its title); bad: failing; off: disabled."""
    srv = Server()
    items = [(HOSTILE, "2021-10-12", "/n/106.html")] + PAGE1
    srv.routes["/js"] = Route(ul_page(items))
    srv.routes["/bad"] = Route(b"", status=500)
    ws = Workspace()
    ws.write_config(
        "[noticewatch]\ndatabase = noticewatch.db\ntimeout = 5\n\n"
        "[source js]\nname = 江苏\nauthority = 江苏省人事考试中心\nurl = %s\n"
        "certificate = paper (2020)\n\n"
        "[source bad]\nname = 湖北\nurl = %s\n"
        "certificate = 《成绩合格证明》 self-printed online 4 working days after the public "
        "notice, same effect as the certificate; 电子证书 download at the province's site\n\n"
        "[source off]\nname = 天津\nurl = %s\nenabled = no\n\n%s"
        % (srv.url("/js"), srv.url("/bad"), srv.url("/off"), extra))
    rc, out, err = ws.run("run")
    eq(rc, 1, "the failing source makes the run exit 1: " + err)
    return srv, ws


def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def days_to(day):
    return (datetime.date.today() - datetime.date.fromisoformat(day)).days


@test
def text_board_fits_80_columns():
    srv, ws = board()
    try:
        rc, out, err = ws.run("report")
        eq((rc, err), (0, ""), "report")
        for l in out.splitlines():
            ok(cols(l) <= 80, "at most 80 columns: %r (%d)" % (l, cols(l)))
        ok("3 sources, 1 failing" in out, "the summary in %r" % out[:200])
        ok(re.search(r"^江苏 +ok ", out, re.M), "js ok in:\n" + out)
        ok(re.search(r"^湖北 +FAILING .*1 failed check", out, re.M), "bad failing in:\n" + out)
        ok(re.search(r"^天津 +off +not watched", out, re.M), "off not watched in:\n" + out)
        ok("  latest: 2021-10-12 (%d days) <script>" % days_to("2021-10-12") in out,
           "js's latest notice and its days in:\n" + out)
        ok("  ! HTTP 500" in out, "the failure's reason in:\n" + out)
        # js's notices give facts (its titles name 电子证书): they stand for its note
        ok("  facts: electronic\n" in out and "paper (2020)" not in out, out)
        # the certificate text of a source without facts wraps, whole
        cert = re.search(r"  certificates: (.*?)\n  ! ", out, re.S).group(1)
        eq(" ".join(p.strip() for p in cert.splitlines()),
           "《成绩合格证明》 self-printed online 4 working days after the public notice, same "
           "effect as the certificate; 电子证书 download at the province's site",
           "the certificate text, wrapped")
    finally:
        srv.close()
        ws.close()


@test
def markdown_board_is_a_table():
    srv, ws = board()
    try:
        rc, out, err = ws.run("report", "--format", "md")
        eq((rc, err), (0, ""), "report --format md")
        rows = [l for l in out.splitlines() if l.startswith("| ")]
        eq(len(rows), 4, "a header and three rows")
        for r in rows:
            # unescaped pipes delimit exactly six cells
            eq(len(re.split(r"(?<!\\)\|", r)) - 2, 6, "six cells in %r" % r)
        ok("\\<script\\>alert(1)\\</script\\>二级建造师证书 \\| \"领取\", 补充](<%s>)"
           % srv.url("/n/106.html") in rows[1], "the linked, escaped title in %r" % rows[1])
        ok("**FAILING** (1) HTTP 500" in rows[2], "the failing mark in %r" % rows[2])
    finally:
        srv.close()
        ws.close()


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.rows = {}
        self.links = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "tr" and "id" in a:
            self.rows[a["id"]] = a.get("class")
        if tag == "a":
            self.links.append(a.get("href"))
        for k, v in attrs:
            ok(k != "src" and not k.startswith("on"), "no %s attribute" % k)

    def handle_data(self, data):
        self.text.append(data)


def chromium_shot(path, width, height, out):
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--screenshot=" + out,
                    "--window-size=%d,%d" % (width, height), "file://" + path],
                   capture_output=True, timeout=120, check=True)
    return Image.open(out).convert("RGB")


@test
def html_board_is_self_contained_and_reads_on_a_phone():
    srv, ws = board()
    try:
        path = os.path.join(ws.dir, "board.html")
        rc, out, err = ws.run("report", "--format", "html", "-o", path)
        eq((rc, out, err), (0, "", ""), "report -o")
        with open(path, encoding="utf-8") as f:
            doc = f.read()
        p = Page()
        p.feed(doc)
        eq(p.rows, {"js": "row-ok", "bad": "row-failing", "off": "row-off"}, "rows")
        eq(p.links, [srv.url("/n/106.html")], "one link: js's latest notice")
        ok("script" not in p.tags and "link" not in p.tags and "img" not in p.tags,
           "no scripts, stylesheets or images: %r" % sorted(set(p.tags)))
        ok(not re.search(r"url\(|@import", doc), "no resource loaded by the CSS")
        ok(HOSTILE in "".join(p.text), "the title, escaped, reads as it was")
        ok('<meta name="viewport"' in doc and 'lang="en"' in doc,
           "phone and language (English: no Chinese locale, no --lang zh)")

        shots = tempfile.mkdtemp()
        try:
            phone = chromium_shot(path, 390, 1400, os.path.join(shots, "phone.png"))
            eq(phone.size, (390, 1400), "the screenshot's size")
            w, h = phone.size
            px = phone.load()
            bg = px[2, h - 2]
            eq(bg, (246, 247, 247), "the page's background at the bottom left")
            # nothing overflows to the right on a phone: the right margin is bare
            for y in range(0, h, 2):
                for x in range(w - 8, w):
                    ok(px[x, y] == bg, "a bare right margin; at %d,%d: %r" % (x, y, px[x, y]))
            # the failing row's stripe and badge are drawn
            red = sum(1 for y in range(h) for x in range(w) if px[x, y] == (179, 45, 46))
            ok(red > 200, "the failing mark is drawn (%d red pixels)" % red)
            # Chinese is drawn with glyphs: 证书 differs from code points no font has
            cjk = os.path.join(shots, "cjk.html")
            none = os.path.join(shots, "none.html")
            for name, text in ((cjk, "证书领取"), (none, "\U000f0000\U000f0001\U000f0002\U000f0003")):
                with open(name, "w", encoding="utf-8") as f:
                    f.write('<!DOCTYPE html><meta charset="utf-8"><body style="margin:0;'
                            'font:64px sans-serif">%s' % text)
            a = chromium_shot(cjk, 400, 100, os.path.join(shots, "a.png"))
            b = chromium_shot(none, 400, 100, os.path.join(shots, "b.png"))
            ok(a.tobytes() != b.tobytes(), "CJK glyphs, not missing-glyph boxes")
        finally:
            shutil.rmtree(shots, ignore_errors=True)

        rc, out, err = ws.run("report", "--format", "pdf")
        eq(rc, 2, "an unknown format")
        ok("unknown format 'pdf'" in err, err)
        rc, out, err = ws.run("report", "-o", "/nonexistent/dir/board.txt")
        eq(rc, 1, "an output that cannot be written")
        eq(len(lines(err)), 1, "one line: " + err)
        ok("/nonexistent/dir/board.txt" in err, "names the file: " + err)
    finally:
        srv.close()
        ws.close()


@test
def atom_feeds_read_by_feedparser():
    srv, ws = board()
    try:
        path = os.path.join(ws.dir, "all.atom")
        rc, out, err = ws.run("feed", "-o", path)
        eq((rc, out, err), (0, "", ""), "feed -o")
        f = feedparser.parse(path)
        eq(f.bozo, 0, "well-formed: %r" % f.get("bozo_exception"))
        eq(f.version, "atom10", "Atom 1.0")
        titles = [e.title for e in f.entries]
        eq(len(titles), 5, "the relevant notices: %r" % titles)
        eq(titles[0], HOSTILE, "newest first, the title as it was")
        for e in f.entries:
            ok(e.id.startswith("urn:uuid:"), e.id)
            ok(e.link.startswith(srv.url("/n/")), "an absolute link: " + e.link)
            ok(e.updated_parsed is not None, "updated")
            eq(e.author, "江苏", "the source as author")
        eq(len(set(e.id for e in f.entries)), 5, "distinct ids")
        ids = [e.id for e in f.entries]

        # the same notice keeps its id; a removed one leaves the feed
        srv.routes["/js"].body = ul_page([(HOSTILE, "2021-10-12", "/n/106.html")] + PAGE1[1:])
        ws.run("run")
        g = feedparser.parse(ws.run("feed")[1])
        eq(g.bozo, 0, "well-formed")
        eq([e.id for e in g.entries], ids[:1] + ids[2:], "ids kept, the removed one gone")

        one = feedparser.parse(ws.run("feed", "--source", "js", "--limit", "2")[1])
        eq(len(one.entries), 2, "--limit")
        ok(one.feed.id != f.feed.id and "江苏" in one.feed.title, "a feed of its own")
        eq(feedparser.parse(ws.run("feed", "--source", "bad")[1]).entries, [], "none yet")
        eq(ws.run("feed", "--source", "nope")[0], 2, "an unknown source")
        eq(ws.run("feed", "--limit", "0")[0], 2, "a bad limit")
    finally:
        srv.close()
        ws.close()


@test
def notices_csv_round_trips():
    srv, ws = board()
    try:
        rc, out, err = ws.run("notices", "--format", "csv")
        eq((rc, err), (0, ""), "notices --format csv")
        ok(out.startswith("source,date,title,link,relevant,first_seen,last_seen,removed_at\r\n"),
           "the header row, CRLF: %r" % out[:90])
        rows = list(csv.reader(io.StringIO(out, newline="")))
        eq(rows[0][:3], ["source", "date", "title"], "header")
        eq(len(rows), 6, "header and five relevant notices")
        eq(rows[1][:4], ["js", "2021-10-12", HOSTILE, srv.url("/n/106.html")],
           "quotes, commas and the pipe survive")
    finally:
        srv.close()
        ws.close()


def man_text():
    with open(os.path.join(ROOT, "doc", "noticewatch.1"), encoding="utf-8") as f:
        return f.read().replace("\\-", "-")


@test
def man_page_covers_help_and_config():
    man = man_text()
    p = subprocess.run(command("--help"), capture_output=True, text=True)
    eq(p.returncode, 0, "--help")
    usage = p.stdout
    commands = re.findall(r"^  ([a-z][a-z-]+)", usage, re.M)
    ok(len(commands) >= 11, "commands in --help: %r" % commands)
    for c in commands:
        ok(re.search(r"^\.(B|BI|TP)?\s*%s\b" % re.escape(c), man, re.M) or
           ("\n.B %s" % c) in man, "command %s in the man page" % c)
    for opt in set(re.findall(r"(--?[a-z][a-z-]*)", usage)):
        ok(opt in man, "option %s in the man page" % opt)
    for status in ("0", "1", "2", "75"):
        ok(re.search(r"^\.B %s$" % status, man, re.M), "exit status %s" % status)
    with open(os.path.join(ROOT, "config", "config.c"), encoding="utf-8") as f:
        # the key table: {"name", parser, SECTION(field)...}
        keys = set(re.findall(r'^\t\{"([a-z_]+)",\s*\w+,\s*(?:MAIN|SOURCE|EMAIL|WEBHOOK|GIT)\(',
                              f.read(), re.M))
    ok(len(keys) > 40, "config keys found: %r" % keys)
    for k in sorted(keys):
        ok(re.search(r"^\.BR? .*\b%s\b" % k, man, re.M), "config key %s in the man page" % k)
    for section in ("[noticewatch]", "[source ID]", "[email]", "[webhook NAME]", "[git]"):
        ok(section in man, section)
    if shutil.which("groff"):
        g = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z",
                            os.path.join(ROOT, "doc", "noticewatch.1")],
                           capture_output=True, text=True)
        eq(g.stderr, "", "groff warnings")


@test
def make_install_and_uninstall():
    dest = tempfile.mkdtemp()
    try:
        # -o noticewatch: install the binary under test, never a rebuilt one
        args = ["make", "-s", "-C", ROOT, "-o", "noticewatch", "DESTDIR=" + dest, "PREFIX=/usr"]
        p = subprocess.run(args + ["install"], capture_output=True, text=True)
        eq(p.returncode, 0, "make install: " + p.stderr)
        files = sorted(os.path.relpath(os.path.join(d, f), dest)
                       for d, _, fs in os.walk(dest) for f in fs)
        eq(files, ["usr/bin/noticewatch", "usr/lib/systemd/system/noticewatch.service",
                   "usr/lib/systemd/system/noticewatch.timer",
                   "usr/share/locale/zh_CN/LC_MESSAGES/noticewatch.mo",
                   "usr/share/man/man1/noticewatch.1", "usr/share/noticewatch/noticewatch.ini.example",
                   "usr/share/noticewatch/provinces.ini"], "installed files")
        ok(os.access(os.path.join(dest, "usr/bin/noticewatch"), os.X_OK), "executable")
        with open(os.path.join(dest, "usr/lib/systemd/system/noticewatch.service")) as f:
            unit = f.read()
        ok("ExecStart=/usr/bin/noticewatch -q -c /etc/noticewatch/noticewatch.ini run" in unit,
           "the unit runs the installed binary: " + unit)
        with open(os.path.join(dest, "usr/lib/systemd/system/noticewatch.timer")) as f:
            ok("OnCalendar=" in f.read(), "the timer has a schedule")
        # the installed example and catalog load, and init writes the same example
        p = subprocess.run([os.path.join(dest, "usr/bin/noticewatch"), "-c",
                            os.path.join(dest, "usr/share/noticewatch/noticewatch.ini.example"),
                            "check", "nope"], capture_output=True, text=True)
        ok("is neither a source id" in p.stderr, "the example config loads: " + p.stderr)
        if shutil.which("systemd-analyze"):
            # the units' syntax (a container lacks the targets they start in)
            v = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                os.path.join(dest, "usr/lib/systemd/system/noticewatch.service"),
                                os.path.join(dest, "usr/lib/systemd/system/noticewatch.timer")],
                               capture_output=True, text=True)
            ok(not re.search(r"Unknown|[Ii]nvalid|parse|[Mm]issing|[Ee]rror|Neither", v.stderr),
               "systemd-analyze verify: " + v.stderr)
        p = subprocess.run(args + ["uninstall"], capture_output=True, text=True)
        eq(p.returncode, 0, "make uninstall: " + p.stderr)
        left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
        eq(left, [], "nothing left")
    finally:
        shutil.rmtree(dest, ignore_errors=True)


@test
def run_v_shows_progress_on_a_terminal_only():
    srv = Server()
    ws = Workspace()
    try:
        conf = "[noticewatch]\ndatabase = noticewatch.db\n\n"
        for i in range(3):
            srv.routes["/s%d" % i] = Route(ul_page(PAGE1))
            conf += "[source s%d]\nurl = %s\n\n" % (i, srv.url("/s%d" % i))
        ws.write_config(conf)
        master, slave = pty.openpty()
        p = subprocess.Popen(command("-v", "-c", ws.config, "run"), cwd=ws.dir,
                             stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            r, _, _ = select.select([master], [], [], 30)
            if not r:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        eq(p.wait(timeout=30), 0, "run -v on a terminal")
        os.close(master)
        text = seen.decode("utf-8", "replace")
        for k in (1, 2, 3):
            ok("%d/3 sources done" % k in text, "progress %d/3 in %r" % (k, text))
        ok("\r\x1b[K" in text, "the progress line is rewritten in place")
        rc, out, err = ws.run("-v", "run")
        eq(rc, 0, "run -v into a pipe")
        ok("sources done" not in err and "\x1b" not in err, "no progress in a pipe: %r" % err)
        ok("s0: " in err, "but -v's messages: %r" % err)
    finally:
        srv.close()
        ws.close()



@test
def html_board_renders_in_both_languages():
    srv, ws = board()
    shots = tempfile.mkdtemp()
    try:
        imgs = {}
        for lang, tag, heading in (("zh", "zh-CN", "noticewatch 状态板"),
                                   ("en", "en", "noticewatch status board")):
            path = os.path.join(shots, "board-%s.html" % lang)
            rc, out, err = ws.run("report", "--format", "html", "--lang", lang, "-o", path)
            eq((rc, err), (0, ""), "report --lang " + lang)
            with open(path, encoding="utf-8") as f:
                doc = f.read()
            ok('<html lang="%s">' % tag in doc and "<h1>%s</h1>" % heading in doc,
               "the %s board's lang and heading" % lang)
            imgs[lang] = chromium_shot(path, 1000, 600, os.path.join(shots, lang + ".png"))
            px = imgs[lang].load()
            red = sum(1 for y in range(600) for x in range(1000) if px[x, y] == (179, 45, 46))
            ok(red > 200, "the failing mark is drawn in %s (%d red pixels)" % (lang, red))
        # the headings and labels differ, drawn: Chinese glyphs, not the English words
        top = (0, 0, 1000, 120)
        ok(imgs["zh"].crop(top).tobytes() != imgs["en"].crop(top).tobytes(),
           "the Chinese heading is drawn where the English one is")
    finally:
        shutil.rmtree(shots, ignore_errors=True)
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
