"""Help everywhere (issue 16): `noticewatch help [COMMAND]` and
`noticewatch COMMAND --help` print the command's usage, options and an
example on stdout, exit 0 and touch nothing; -q with -v is a usage error;
make run ends with the next step as the user types it; -v gives durations
in minutes and hours."""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time

from harness import (PAGE1, ROOT, Route, Server, Workspace, command, eq, lines, main, ok,
                     test, ul_page)

COMMANDS = ["init", "run", "check", "sources", "notices", "events", "history",
            "notify-test", "outbox", "forget", "report", "feed", "help"]


def in_empty_dir(*args):
    """The binary run in a new empty directory, no config anywhere; returns
    (exit status, stdout, stderr, what the directory holds afterwards)."""
    d = tempfile.mkdtemp(prefix="nw-help-")
    env = dict(os.environ)
    env.pop("NOTICEWATCH_CONFIG", None)
    try:
        p = subprocess.run(command(*args), cwd=d, capture_output=True, text=True,
                           timeout=30, env=env)
        return p.returncode, p.stdout, p.stderr, sorted(os.listdir(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def check_help(cmd, out):
    ok(out.startswith("usage: noticewatch %s" % cmd),
       "%s's help starts with its usage line, got %r" % (cmd, out[:200]))
    ok(re.search(r"^example:\n  noticewatch .*\b%s\b" % re.escape(cmd), out, re.M),
       "%s's help has an example using it, got %r" % (cmd, out))


@test
def every_command_has_help_and_creates_nothing():
    p = subprocess.run(command("--help"), capture_output=True, text=True)
    listed = sorted(set(re.findall(r"^  ([a-z][a-z-]+)", p.stdout, re.M)))
    eq(listed, sorted(COMMANDS), "the commands --help lists")
    for cmd in COMMANDS:
        for args in ((cmd, "--help"), ("help", cmd), (cmd, "-h")):
            rc, out, err, left = in_empty_dir(*args)
            eq((rc, err, left), (0, "", []), " ".join(args) + ": exit, stderr, files made")
            check_help(cmd, out)
            if args[0] == "help":
                eq(out, in_empty_dir(cmd, "--help")[1], "help %s is %s --help" % (cmd, cmd))
    # --help after the command's arguments, and with a config that is not there
    for cmd, args in (("init", ("init", "somewhere", "--help")), ("run", ("run", "a", "--help")),
                      ("notices", ("notices", "--all", "--help")),
                      ("report", ("-c", "missing.ini", "report", "--help"))):
        rc, out, err, left = in_empty_dir(*args)
        eq((rc, err, left), (0, "", []), " ".join(args))
        check_help(cmd, out)


@test
def help_alone_is_the_overview_and_an_unknown_command_a_usage_error():
    rc, out, err, left = in_empty_dir("help")
    eq((rc, err, left), (0, "", []), "help")
    eq(out, subprocess.run(command("--help"), capture_output=True, text=True).stdout,
       "help is --help")
    rc, out, err, left = in_empty_dir("help", "nosuch")
    eq((rc, out, lines(err), left),
       (2, "", ["noticewatch: unknown command 'nosuch' (see noticewatch --help)"], []),
       "help nosuch")
    rc, out, err, left = in_empty_dir("help", "run", "check")
    eq((rc, out, lines(err), left), (2, "", ["noticewatch: usage: noticewatch help [COMMAND]"], []),
       "help with two commands")


@test
def quiet_and_verbose_together_are_a_usage_error():
    for args in (("-q", "-v", "run"), ("-v", "-q", "run"), ("--quiet", "--verbose", "sources")):
        rc, out, err, left = in_empty_dir(*args)
        eq((rc, out, lines(err), left),
           (2, "", ["noticewatch: -q and -v cannot be used together"], []), " ".join(args))


@test
def verbose_gives_durations_in_minutes_and_hours():
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    ws = Workspace()
    try:
        ws.write_config("[noticewatch]\ntimeout = 5\n\n[source a]\nurl = %s\ninterval = 2h\n"
                        % srv.url("/a"))
        eq(ws.run("run")[0], 0, "first run")
        # checked 30 minutes ago: 1 h 29 min to go (whatever few seconds pass)
        con_now = int(time.time())
        con = sqlite3.connect(ws.db)
        con.execute("UPDATE sources SET last_check = ? WHERE id = 'a'", (con_now - 1830,))
        con.commit()
        con.close()
        rc, out, err = ws.run("-v", "run")
        eq(rc, 0, "second run: " + err)
        ok("a: checked 30 min ago, next in 1 h 29 min" in lines(err),
           "the wait in minutes and hours, got %r" % err)
        ok(not re.search(r"\d+s\b", err), "no seconds in %r" % err)
    finally:
        srv.close()
        ws.close()


@test
def init_and_make_run_name_the_next_step_as_typed():
    d = tempfile.mkdtemp(prefix="nw-init-")
    try:
        # as make run calls it, from the directory that holds the binary
        shutil.copy(command()[-1], os.path.join(d, "noticewatch"))
        env = dict(os.environ)
        env.pop("NOTICEWATCH_CONFIG", None)
        p = subprocess.run(["./noticewatch", "init", "."], cwd=d, capture_output=True,
                           text=True, timeout=30, env=env)
        eq(p.returncode, 0, "init: " + p.stderr)
        eq(lines(p.stdout)[-1], "next: ./noticewatch run", "init's next step")
        p = subprocess.run(command("init", os.path.join(d, "etc")), cwd=d, capture_output=True,
                           text=True, timeout=30, env=env)
        eq(p.returncode, 0, "init DIR: " + p.stderr)
        eq(lines(p.stdout)[-1], "next: %s -c %s run" % (command()[-1],
                                                          os.path.join(d, "etc", "noticewatch.ini")),
           "init DIR's next step")
    finally:
        shutil.rmtree(d, ignore_errors=True)


@test
def make_run_ends_with_the_next_step():
    """make run in a copy of the built tree, its config a loopback source."""
    srv = Server()
    srv.routes["/a"] = Route(ul_page(PAGE1))
    d = tempfile.mkdtemp(prefix="nw-make-")
    tree = os.path.join(d, "tree")
    try:
        shutil.copytree(ROOT, tree, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "history", "*.db"))
        with open(os.path.join(tree, "noticewatch.ini"), "w") as f:
            f.write("[noticewatch]\ntimeout = 5\nfirst_days = all\nstale_days = 0\n\n"
                    "[source a]\nurl = %s\n" % srv.url("/a"))
        p = subprocess.run(["make", "-s", "--no-print-directory", "-C", tree, "run"],
                           capture_output=True, text=True, timeout=600)
        eq(p.returncode, 0, "make run: " + p.stderr)
        out = lines(p.stdout)
        ok(any(l.startswith("NEW a ") for l in out), "the run's events in %r" % out)
        ok(out[-1].startswith("next: ./noticewatch run"), "the last line, got %r" % out[-1])
    finally:
        srv.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
