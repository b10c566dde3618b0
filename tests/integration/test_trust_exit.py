"""Exit status a user and cron can act on (issue 12, items 12, 15 and 16):
an output that cannot be written is an error, a reader that went away is
not; 1 for sources that failed, 3 when noticewatch could not save its own
state (a full disk: test_faults.py's a_full_disk_is_a_clean_error)."""
import os
import pty
import signal
import subprocess

from harness import (PAGE1, Route, Server, Workspace, command, eq, lines, main, ok, test,
                     ul_page)

NEWER = [("2021年度二级建造师证书邮寄办理通知", "2021-10-12", "/n/106.html")] + PAGE1
FULL = "noticewatch: cannot write standard output: No space left on device"


def setup(git=False):
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n\n"
    if git:
        text += "[git]\npath = history\nauthor = noticewatch <nw@example.org>\n\n"
    text += "[source a]\nurl = %s\n" % srv.url("/a")
    ws.write_config(text)
    return srv, ws


def run_to(ws, stdout, *args, preexec_fn=None):
    """The binary with stdout on an open file (/dev/full, a pipe)."""
    p = subprocess.run(command("-c", ws.config, *args), cwd=ws.dir, stdout=stdout,
                       stderr=subprocess.PIPE, timeout=60, preexec_fn=preexec_fn)
    return p.returncode, p.stderr.decode("utf-8")


# every command that prints, with what makes it print something
PRINTING = [("check", "a"), ("sources",), ("notices",), ("notices", "--format", "json"),
            ("notices", "--format", "csv"), ("history",), ("history", "a"), ("outbox",),
            ("outbox", "--all"), ("report",), ("report", "--format", "md"),
            ("report", "--format", "html"), ("feed",), ("--help",), ("--version",)]


@test
def every_printing_command_fails_on_a_full_output():
    srv, ws = setup()
    try:
        eq(ws.run("run")[0], 0, "first run")
        srv.routes["/a"].body = ul_page(NEWER)
        with open("/dev/full", "w") as full:
            rc, err = run_to(ws, full, "run")
            eq((rc, lines(err)), (1, [FULL]), "run with its events on /dev/full")
            eq(ws.query("SELECT count(*) FROM notices"), [(6,)], "the run still stored")
            for args in PRINTING:
                rc, err = run_to(ws, full, *args)
                eq((rc, lines(err)), (1, [FULL]), " ".join(args))
            rc, err = run_to(ws, full, "init", os.path.join(ws.dir, "new"))
            eq((rc, lines(err)), (1, [FULL]), "init")
        rc, out, err = ws.run("notices", "--all")
        eq((rc, len(lines(out)), err), (0, 6, ""), "the same commands print on a sound output")
    finally:
        srv.close()
        ws.close()


@test
def a_reader_that_went_away_is_no_error():
    srv, ws = setup()
    try:
        eq(ws.run("run")[0], 0, "first run")
        srv.routes["/a"].body = ul_page(NEWER)
        for args in [("run",)] + PRINTING:
            # report | head -1: the reader is gone before the first write (its
            # end is closed before the command starts; closed after, a short
            # output could fit the pipe's buffer first)
            r, w = os.pipe()
            os.close(r)
            p = subprocess.Popen(command("-c", ws.config, *args), cwd=ws.dir,
                                 stdout=w, stderr=subprocess.PIPE)
            os.close(w)
            err = p.stderr.read().decode("utf-8")
            rc = p.wait(timeout=60)
            eq((rc, err), (-signal.SIGPIPE, ""),
               "%s: quiet, ended by SIGPIPE as git is" % " ".join(args))
        eq(ws.query("SELECT count(*) FROM notices"), [(6,)], "the run stored its notices")
        eq(ws.query("SELECT count(*) FROM runs WHERE finished IS NULL"), [(0,)],
           "and finished")
    finally:
        srv.close()
        ws.close()


@test
def a_history_commit_that_fails_exits_3():
    srv, ws = setup(git=True)
    try:
        eq(ws.run("run")[0], 0, "first run")
        lock = os.path.join(ws.dir, "history", ".git", "refs", "heads", "main.lock")
        open(lock, "w").close()
        srv.routes["/a"].body = ul_page(NEWER)
        rc, out, err = ws.run("run")
        eq(rc, 3, "the commit failed: " + err)
        ok("kept for the next run" in err, err)
        eq(len(lines(out)), 1, "the event still printed")
        os.unlink(lock)
        rc, out, err = ws.run("run")
        eq((rc, err), (0, ""), "committed on the next run")
        # a commit by hand that the rebuild undoes, while the branch is locked
        hist = os.path.join(ws.dir, "history")
        first = subprocess.run(["git", "-C", hist, "ls-files"], capture_output=True,
                               text=True, check=True).stdout.split("\n")[0]
        subprocess.run(["git", "-C", hist, "-c", "user.name=x", "-c", "user.email=x@x",
                        "rm", "-q", first], check=True)
        subprocess.run(["git", "-C", hist, "-c", "user.name=x", "-c", "user.email=x@x",
                        "commit", "-qm", "by hand"], check=True)
        open(lock, "w").close()
        rc, err = run_to(ws, subprocess.DEVNULL, "history", "--rebuild")
        eq(rc, 3, "a rebuild that cannot commit: " + err)
        os.unlink(lock)
        rc, err = run_to(ws, subprocess.DEVNULL, "history", "--rebuild")
        eq((rc, err), (0, ""), "a rebuild that can")
        ok(os.path.exists(os.path.join(hist, first)), "the rebuild restored " + first)
    finally:
        srv.close()
        ws.close()


@test
def a_failing_source_still_exits_1():
    srv, ws = setup(git=True)
    try:
        ws.write_config(open(ws.config).read() + "\n[source b]\nurl = %s\n" % srv.url("/gone"))
        rc, out, err = ws.run("run")
        eq(rc, 1, "a source failed: " + err)
        eq(lines(err), ["noticewatch: b: HTTP 404"], "one line for it")
        ok(lines(out), "the other source reported")
    finally:
        srv.close()
        ws.close()


@test
def progress_and_page_notes_on_a_terminal():
    """With -v on a terminal, a later page that yields nothing is noted
    beside the progress line; under make SANITIZE=thread this catches a
    worker thread that prints."""
    srv = Server()
    ws = Workspace()
    text = "[noticewatch]\ntimeout = 5\n\n"
    for i in range(6):
        srv.routes["/p%d/1" % i] = Route(ul_page(PAGE1))
        srv.routes["/p%d/2" % i] = Route(b"<html><body><p>nothing</p></body></html>")
        text += "[source p%d]\nurl = %s\npages = 3\n\n" % (i, srv.url("/p%d/{page}" % i))
    ws.write_config(text)
    master, slave = pty.openpty()
    try:
        p = subprocess.run(command("-c", ws.config, "-v", "run"), cwd=ws.dir,
                           stdout=subprocess.DEVNULL, stderr=slave, timeout=60)
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        err = b"".join(chunks).decode("utf-8")
        eq(p.returncode, 0, "exit status: " + err)
        for i in range(6):
            ok("p%d: page 2: " % i in err and "stopping there" in err, "the note: " + err)
        ok("6/6 sources done" in err, "the progress line: " + err)
        ok("ThreadSanitizer" not in err, err)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
        srv.close()
        ws.close()


@test
def exit_3_is_documented_and_a_unit_failure():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run(command("--help"), capture_output=True, text=True)
    ok("3 the database or the history could not be saved" in p.stdout, p.stdout)
    with open(os.path.join(root, "doc", "noticewatch.1"), encoding="utf-8") as f:
        man = f.read()
    ok("\n.B 3\nnoticewatch could not save its own state" in man, "the man page says 3")
    with open(os.path.join(root, "dist", "noticewatch.service"), encoding="utf-8") as f:
        ok_codes = [l.split("=", 1)[1].split() for l in f if l.startswith("SuccessExitStatus")]
    eq(sorted(c for codes in ok_codes for c in codes), ["1", "75"],
       "the unit counts 1 and 75 as success, not 3")


if __name__ == "__main__":
    main()
