"""Chinese for Chinese users: gettext's catalog (po/zh_CN.po) speaks under a
Chinese locale (LANG, LC_MESSAGES, LC_ALL or LANGUAGE), with report --lang
zh, and in alerts with [noticewatch] lang = zh; English otherwise or with
--lang en."""
import os
import subprocess

from harness import (PAGE1, Route, Server, Workspace, command, eq, lines, main, ok, test,
                     ul_page)
from mailhook import SMTPServer

ZH = {"LANG": "zh_CN.UTF-8"}
ZH_LANGUAGE = {"LANG": "C.UTF-8", "LANGUAGE": "zh_CN"}
EN = {"LANG": "C.UTF-8"}


def run(ws, env, *args):
    """The binary under a locale: env replaces LANG, LANGUAGE and LC_*."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("LANG", "LANGUAGE", "NOTICEWATCH_CONFIG") and not k.startswith("LC_")}
    e.update(env)
    p = subprocess.run(command("-c", ws.config, *args), cwd=ws.dir, capture_output=True,
                       timeout=60, env=e)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def workspace(extra=""):
    srv = Server()
    srv.routes["/js"] = Route(ul_page(PAGE1))
    srv.routes["/bad"] = Route(b"", status=500)
    ws = Workspace()
    ws.write_config("[noticewatch]\ntimeout = 5\noutbox_retry = 1h\n%s\n"
                    "[source js]\nname = 江苏\nurl = %s\n\n"
                    "[source bad]\nname = 湖北\nurl = %s\n\n" % (extra, srv.url("/js"),
                                                                 srv.url("/bad")))
    return srv, ws


@test
def board_in_chinese_and_english():
    srv, ws = workspace()
    try:
        eq(run(ws, EN, "run")[0], 1, "run: bad fails")
        for env, args in ((EN, ("--lang", "zh")), (ZH, ()), (ZH_LANGUAGE, ())):
            rc, out, err = run(ws, env, "report", *args)
            eq((rc, err), (0, ""), "report %r under %r" % (args, env))
            ok(out.startswith("noticewatch 状态板"), "the Chinese heading: %r" % out[:80])
            ok("2 个来源，1 个失败" in out, "the summary in Chinese: %r" % out[:120])
            ok("  最新：" in out and "失败" in out, "labels and states in Chinese:\n" + out)
            ok("status board" not in out and "latest:" not in out, "no English:\n" + out)
            ok("  事实：电子证书" in out, "the certificate form in Chinese:\n" + out)
        for env, args in ((EN, ()), (ZH, ("--lang", "en")), (ZH_LANGUAGE, ("--lang", "en"))):
            rc, out, err = run(ws, env, "report", *args)
            eq((rc, err), (0, ""), "report")
            ok(out.startswith("noticewatch status board"), "English: %r" % out[:80])
            ok("2 sources, 1 failing" in out and "  latest: " in out, out)
        rc, out, err = run(ws, EN, "report", "--format", "html", "--lang", "zh")
        ok('<html lang="zh-CN">' in out and "<h1>noticewatch 状态板</h1>" in out
           and "<th>来源</th>" in out, "the html board in Chinese: " + out[-1500:])
        rc, out, err = run(ws, ZH, "report", "--format", "html", "--lang", "en")
        ok('<html lang="en">' in out and "<h1>noticewatch status board</h1>" in out
           and "<th>Source</th>" in out, "the html board in English")
        rc, out, err = run(ws, ZH, "report", "--format", "md")
        ok("| 来源 |" in out, "md headings in Chinese: " + out)
        rc, out, err = run(ws, EN, "report", "--lang", "fr")
        eq(rc, 2, "an unknown language is a usage error")
        ok("unknown language 'fr'" in err, err)
    finally:
        srv.close()
        ws.close()


@test
def sources_events_and_outbox_speak_the_locale():
    smtp = SMTPServer()
    srv, ws = workspace()
    with open(ws.config, "a", encoding="utf-8") as f:
        f.write("[email]\nurl = smtp://127.0.0.1:1\ntls = no\nfrom = w@example.org\n"
                "to = a@example.org\n")
    try:
        run(ws, EN, "run")
        for env in (ZH, ZH_LANGUAGE):
            rc, out, err = run(ws, env, "sources")
            first = lines(out)[0].split()
            eq(first[:4], ["来源", "名称", "上次检查", "结果"], "sources headings: " + out)
            rc, out, err = run(ws, env, "outbox")
            # one line a row: the kind, then the state and its next try in Chinese
            ok(lines(out)[0].split()[1] == "新", "outbox kind: " + out)
            ok("失败 1 次" in out and "下次运行时" in out, "the state in Chinese: " + out)
        rc, out, err = run(ws, EN, "sources")
        eq(lines(out)[0].split()[:2], ["ID", "NAME"], "English without a Chinese locale")
    finally:
        smtp.close()
        srv.close()
        ws.close()


@test
def alert_subject_follows_the_config_lang():
    smtp = SMTPServer()
    try:
        for lang, subject, heading in (
                ("zh", "noticewatch：8 条更新（江苏、湖北）", "新"),
                ("en", "noticewatch: 8 updates (江苏、湖北)", "NEW")):
            srv, ws = workspace("lang = %s\n" % lang)
            srv.routes["/bad"].status = 200
            srv.routes["/bad"].body = ul_page(PAGE1)
            with open(ws.config, "a", encoding="utf-8") as f:
                f.write("[email]\nurl = %s\ntls = no\nfrom = w@example.org\n"
                        "to = a@example.org\n" % smtp.url())
            try:
                before = len(smtp.messages)
                # cron has no locale: the config's lang decides, whatever LANG says
                rc, out, err = run(ws, ZH if lang == "en" else EN, "run")
                eq((rc, err), (0, ""), "run")
                eq(len(smtp.messages), before + 1, "one digest")
                msg = smtp.messages[-1][2]
                eq(str(msg["Subject"]), subject, "the subject in %s" % lang)
                text = list(msg.iter_parts())[0].get_content()
                ok("  %s 2021-" % heading in text, "the kind in %s: %s" % (lang, text))
            finally:
                srv.close()
                ws.close()
        ws = Workspace()
        ws.write_config("[noticewatch]\nlang = fr\n")
        rc, out, err = run(ws, EN, "sources")
        eq(rc, 2, "a bad lang is a config error")
        ok("lang" in err and "'fr'" in err, err)
        ws.close()
    finally:
        smtp.close()


if __name__ == "__main__":
    main()
