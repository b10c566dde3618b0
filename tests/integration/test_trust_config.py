"""Configs that are wrong are refused (exit 2, one line naming file and line,
nothing created), and the git history never deletes what it did not write.
The real binary; the history read with the real git command."""
import os
import subprocess

from harness import (PAGE1, Route, Server, Workspace, command, eq, lines, main, ok, test,
                     ul_page)


# Tests that name a config line write their config with first_days=None: the
# harness would otherwise insert "first_days = all" and move the lines.


def refused(ws, line, words, *args):
    """Runs noticewatch and checks the refusal: exit 2, one line on stderr
    naming the config file and line, nothing on stdout, no database."""
    rc, out, err = ws.run(*(args or ("run",)))
    eq(rc, 2, "exit status (stderr: %r)" % err)
    eq(out, "", "nothing on stdout")
    eq(len(err.splitlines()), 1, "one line on stderr: %r" % err)
    prefix = "noticewatch: %s:%d: " % (ws.config, line)
    ok(err.startswith(prefix), "%r to start with %r" % (err, prefix))
    ok(words in err, "%r in %r" % (words, err))
    ok(not os.path.exists(ws.db), "no database created")
    return err


def git(path, *args):
    p = subprocess.run(["git", "-C", path] + list(args), capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def source(srv, sid="js"):
    srv.routes["/%s/list.html" % sid] = Route(ul_page(PAGE1))
    return "[source %s]\nurl = %s\n" % (sid, srv.url("/%s/list.html" % sid))


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- 13: configs that are wrong are refused ----

@test
def a_repeated_noticewatch_section_is_refused():
    ws = Workspace()
    try:
        ws.write_config("[noticewatch]\ntimeout = 5\n\n[noticewatch]\ntimeout = 6\n"
                        "[source a]\nurl = http://127.0.0.1:9/\n", first_days=None)
        refused(ws, 4, "a second [noticewatch] section (first at line 1)")
    finally:
        ws.close()


@test
def a_repeated_email_or_git_section_is_refused():
    ws = Workspace()
    try:
        ws.write_config("[noticewatch]\ntimeout = 5\n" + MAIL + "\n" + MAIL, first_days=None)
        refused(ws, 8, "a second [email] section (first at line 3)")
        ws.write_config("[git]\npath = h1\n; the other one\n[git]\npath = h2\n", first_days=None)
        refused(ws, 4, "a second [git] section (first at line 1)")
        ok(not os.path.exists(os.path.join(ws.dir, "h1")) and
           not os.path.exists(os.path.join(ws.dir, "h2")), "no history created")
        ws.write_config("[source a]\nurl = http://127.0.0.1:9/a\n\n"
                        "[source a]\nurl = http://127.0.0.1:9/b\n", first_days=None)
        refused(ws, 4, "duplicate source id 'a' (first at %s:1)" % ws.config)
    finally:
        ws.close()


@test
def a_directory_as_config_is_refused():
    ws = Workspace()
    try:
        d = os.path.join(ws.dir, "conf.d")
        os.mkdir(d)
        for args in (("-c", d), ("--config", d + "/")):
            p = subprocess.run(command(*args, "run"), cwd=ws.dir, capture_output=True)
            err = p.stderr.decode()
            eq(p.returncode, 2, "exit status (stderr: %r)" % err)
            eq(len(err.splitlines()), 1, "one line: %r" % err)
            ok(err.startswith("noticewatch: cannot read config '%s': " % args[1]) and
               "directory" in err, err)
            eq(sorted(os.listdir(ws.dir)), ["conf.d"], "no database in the working directory")
            eq(os.listdir(d), [], "nothing in the directory")
    finally:
        ws.close()


def loads(ws, text, what):
    ws.write_config(text, first_days=None)
    rc, out, err = ws.run("sources")
    eq((rc, err), (0, ""), what)


MAIL = "[email]\nurl = smtp://127.0.0.1:9\nfrom = a@example.org\nto = b@example.org\n"


@test
def a_bad_mail_address_or_url_is_refused():
    ws = Workspace()
    try:
        for text, line, words in (
                ("[noticewatch]\ntimeout = 5\n\n" + MAIL.replace(
                    "b@example.org", "b@example.org, not-an-address"), 7,
                 "bad address 'not-an-address' in to"),
                (MAIL.replace("from = a@example.org", "from = watch"), 3,
                 "bad address 'watch' in from"),
                (MAIL.replace("to = b@example.org", "to = 考试 <@example.org>"), 4,
                 "bad address '考试 <@example.org>' in to"),
                ("[noticewatch]\ntimeout = 5\n\n[source a]\nname = 甲\nurl = http://x y/\n", 6,
                 "bad url 'http://x y/': "),
                ("[source a]\nurl = http://127.0.0.1:9/list.html?q=a b\n", 2, "bad url"),
                ("[source a]\nurl = http://127.0.0.1:9/\n\n[webhook w]\nformat = json\n"
                 "url = https://hooks example/x\n", 6, "bad url"),
                (MAIL.replace("127.0.0.1:9", "mail host:25"), 2, "bad url")):
            ws.write_config(text, first_days=None)
            refused(ws, line, words)
        # the forms that are right still load
        loads(ws, MAIL.replace("a@example.org", "考试通知 <a@example.org>").replace(
            "b@example.org", "b@example.org，\"C D\" <c@example.org>"), "good addresses")
        loads(ws, "[source a]\nformat = json\nitems = data\ntitle = t\nlink = u\npages = 2\n"
              "url = http://127.0.0.1:9/list_{page}.json?x=1&y=%E4\n", "a {page} url")
    finally:
        ws.close()


# ---- 5: the history never deletes what it did not write ----

@test
def a_history_path_that_holds_the_config_is_refused():
    srv = Server()
    ws = Workspace()
    try:
        src = source(srv)
        ws.write_config("[noticewatch]\ntimeout = 5\n\n" + src, first_days=None)
        eq(ws.run("run")[0], 0, "a run without history makes the database")
        stray = os.path.join(ws.dir, "notes.txt")
        write(stray, "mine\n")
        db = open(ws.db, "rb").read()
        for line, path in ((5, "."), (5, ws.dir + "/"), (5, "sub/.."),
                           (5, "../" + os.path.basename(ws.dir))):
            text = "[noticewatch]\ntimeout = 5\n\n[git]\npath = %s\n\n%s" % (path, src)
            ws.write_config(text, first_days=None)
            rc, out, err = ws.run("run")
            eq(rc, 2, "path = %s: exit status (stderr: %r)" % (path, err))
            eq(len(err.splitlines()), 1, err)
            ok(err.startswith("noticewatch: %s:%d: " % (ws.config, line)) and
               "holds the config" in err, err)
            eq(read(ws.config), text, "the config survives")
            eq(read(stray), "mine\n", "the stray file survives")
            eq(open(ws.db, "rb").read(), db, "the database survives, untouched")
            ok(not os.path.exists(os.path.join(ws.dir, ".git")), "no repository made")
        # the same directory through a symlink, and the default path of the
        # [git] section (named by its line) when the config sits in history/
        os.symlink(ws.dir, os.path.join(ws.dir, "alias"))
        ws.write_config("[git]\npath = alias\n\n" + src, first_days=None)
        rc, out, err = ws.run("run")
        eq(rc, 2, "a symlink to the config's directory: " + err)
        ok(err.startswith("noticewatch: %s:2: " % ws.config) and "holds the config" in err,
           err)
        ok(not os.path.exists(os.path.join(ws.dir, ".git")), "no repository made")
    finally:
        srv.close()
        ws.close()


@test
def a_history_path_that_holds_the_database_is_refused():
    srv = Server()
    ws = Workspace()
    try:
        os.mkdir(os.path.join(ws.dir, "data"))
        ws.write_config("[noticewatch]\ndatabase = data/nw.db\n\n[git]\npath = data\n\n" +
                        source(srv), first_days=None)
        rc, out, err = ws.run("run")
        eq(rc, 2, "exit status: " + err)
        ok(err.startswith("noticewatch: %s:5: " % ws.config) and "holds the database" in err,
           err)
        eq(os.listdir(os.path.join(ws.dir, "data")), [], "no database, no repository")
        # a database reached through a symlinked directory
        os.symlink("data", os.path.join(ws.dir, "link"))
        ws.write_config("[noticewatch]\ndatabase = link/nw.db\n\n[git]\npath = data\n\n" +
                        source(srv), first_days=None)
        rc, out, err = ws.run("run")
        eq(rc, 2, "exit status: " + err)
        ok("holds the database" in err, err)
        eq(os.listdir(os.path.join(ws.dir, "data")), [], "nothing created")
    finally:
        srv.close()
        ws.close()


@test
def a_history_path_with_other_files_is_refused():
    srv = Server()
    ws = Workspace()
    try:
        notes = os.path.join(ws.dir, "notes")
        os.mkdir(notes)
        write(os.path.join(notes, "todo.txt"), "mine\n")
        ws.write_config("[noticewatch]\ntimeout = 5\n\n[git]\npath = notes\n\n" + source(srv), first_days=None)
        rc, out, err = ws.run("run")
        eq(rc, 2, "exit status: " + err)
        ok(err.startswith("noticewatch: %s:5: " % ws.config) and
           "not a noticewatch history" in err, err)
        eq(os.listdir(notes), ["todo.txt"], "nothing added or removed")
        ok(not os.path.exists(ws.db), "no database")
        # someone else's git repository
        repo = os.path.join(ws.dir, "repo")
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
        write(os.path.join(repo, "a.txt"), "a\n")
        subprocess.run(["git", "-C", repo, "add", "a.txt"], check=True)
        subprocess.run(["git", "-C", repo, "-c", "user.name=u", "-c", "user.email=u@x",
                        "commit", "-q", "-m", "mine"], check=True)
        ws.write_config("[noticewatch]\ntimeout = 5\n\n[git]\npath = repo\n\n" + source(srv), first_days=None)
        rc, out, err = ws.run("run")
        eq(rc, 2, "exit status: " + err)
        ok(err.startswith("noticewatch: %s:5: " % ws.config) and
           "not a noticewatch history" in err, err)
        eq(lines(git(repo, "log", "--format=%s")[1]), ["mine"], "its log intact")
        eq(git(repo, "status", "--porcelain")[1], "", "its tree intact")
        ok(not os.path.exists(ws.db), "no database")
        # an empty directory is fine
        os.mkdir(os.path.join(ws.dir, "empty"))
        ws.write_config("[noticewatch]\ntimeout = 5\n\n[git]\npath = empty\n\n" + source(srv), first_days=None)
        eq(ws.run("run")[0], 0, "an empty directory becomes the history")
        eq(len(lines(git(os.path.join(ws.dir, "empty"), "log", "--format=%H")[1])), 1,
           "one commit")
    finally:
        srv.close()
        ws.close()


@test
def a_file_dropped_into_the_history_survives():
    srv = Server()
    ws = Workspace()
    try:
        hist = os.path.join(ws.dir, "history")
        head = "[noticewatch]\ntimeout = 5\n\n[git]\npath = history\ndetail_days = 0\n\n"
        ws.write_config(head + source(srv, "js") + "\n" + source(srv, "gd"))
        eq(ws.run("run")[:3:2], (0, ""), "first run")
        write(os.path.join(hist, "stray.txt"), "mine\n")
        os.mkdir(os.path.join(hist, "mine"))
        write(os.path.join(hist, "mine", "a.txt"), "a\n")
        write(os.path.join(hist, "js", "note.txt"), "n\n")
        page = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html")] + PAGE1
        srv.routes["/js/list.html"].body = ul_page(page)
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "second run: a new notice, a commit")
        eq(len(lines(out)), 1, out)
        # gd leaves the config: its file leaves the tree and the working tree
        ws.write_config(head + source(srv, "js"))
        srv.routes["/js/list.html"].body = ul_page(page[:3] + page[4:])
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "third run")
        eq(lines(git(hist, "log", "--format=%s")[1]),
           ["js: 1 removed", "js: 1 new", "js: 5 new; gd: 5 new"], "three commits")
        eq(sorted(lines(git(hist, "ls-files")[1])), ["README.md", "js/notices.txt"],
           "what noticewatch wrote")
        eq(sorted(lines(git(hist, "status", "--porcelain", "-uall")[1])),
           ["?? js/note.txt", "?? mine/a.txt", "?? stray.txt"],
           "only the dropped files are untracked, nothing else differs")
        eq(read(os.path.join(hist, "stray.txt")), "mine\n", "stray.txt survives")
        eq(read(os.path.join(hist, "mine", "a.txt")), "a\n", "mine/a.txt survives")
        eq(read(os.path.join(hist, "js", "note.txt")), "n\n", "js/note.txt survives")
        ok(not os.path.exists(os.path.join(hist, "gd")), "gd/ went with its file")
        eq(git(hist, "fsck", "--strict")[0], 0, "fsck")
        eq(git(hist, "diff", "HEAD", "--stat")[1], "", "the working tree is the commit")
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
