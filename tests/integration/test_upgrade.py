"""A database written by an earlier version is brought up to date by the
next command, its notices kept, without a false alert."""
from harness import Route, Server, Workspace, eq, lines, main, ok, test, ul_page

ITEMS = [("二级建造师证书领取的通知", "2021-11-20", "/n/2.html"),
         ("二级建造师合格人员公告", "2021-10-01", "/n/1.html")]


@test
def schema_9_to_10_keeps_notices():
    srv = Server()
    srv.routes["/list.html"] = Route(ul_page(ITEMS))
    ws = Workspace()
    ws.write_config("[noticewatch]\n\n[source js]\nurl = %s\n" % srv.url("/list.html"))
    try:
        rc, out, err = ws.run("run")
        eq((rc, len([l for l in lines(out) if l.startswith("NEW ")])), (0, 2), "first run")
        # as schema 9 left it: the index without the date, version 9
        ws.query("DROP INDEX notices_present")
        ws.query("CREATE INDEX notices_present ON notices(source_id, removed_at)")
        ws.query("PRAGMA user_version = 9")
        eq(ws.query("PRAGMA user_version"), [(9,)], "downgraded")
        rc, out, err = ws.run("run")
        eq((rc, out, err), (0, "", ""), "the run after the upgrade says nothing new")
        eq(ws.query("PRAGMA user_version"), [(10,)], "schema")
        eq([r[2] for r in ws.query("PRAGMA index_info(notices_present)")],
           ["source_id", "removed_at", "date"], "a source's newest notice is in the index")
        rc, out, err = ws.run("notices", "--all")
        eq(rc, 0, err)
        ok(all(t in out for t, _, _ in ITEMS), out)
    finally:
        srv.close()
        ws.close()


if __name__ == "__main__":
    main()
