"""Backup and restore: the demo data (manage.py seed_demo) dumped with pg_dump (custom
format) and restored with pg_restore into a fresh database; every table compared by
row count and by a checksum of all its rows; then gunicorn started on the restored
database serves a signed-in team list page.

Target: every table equal, and the list page answers 200 with the restored issues."""

from __future__ import annotations

import re
import subprocess

from ..harness import PY, ROOT, Apps, Http, World

CHECKSUM = """
SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')
FROM "{table}" AS t
"""


def _tables(world: World, database: str) -> list[str]:
    rows = world.pg.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        database,
    )
    return [row[0] for row in rows]


def _fingerprint(world: World, database: str) -> dict[str, tuple[int, str]]:
    return {
        table: tuple(world.pg.execute(CHECKSUM.format(table=table), database)[0])
        for table in _tables(world, database)
    }


def run(world: World, apps: Apps) -> tuple[str, bool]:
    from ..harness import close_db

    close_db()
    seed_args = ["--small"] if world.quick else []
    subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)  # nosec B603
        [PY, "manage.py", "seed_demo", "--no-progress", *seed_args],
        cwd=ROOT, env=apps.env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    dump = world.workdir / "backup.dump"
    world.pg.tool("pg_dump", "--format", "custom", "--file", str(dump), apps.database)
    restored = apps.database + "_restored"
    world.pg.execute(f'CREATE DATABASE "{restored}" TEMPLATE template0')
    world.pg.tool("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored,
                  str(dump))  # fmt: skip
    before = _fingerprint(world, apps.database)
    after = _fingerprint(world, restored)
    differing = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    rows = sum(count for count, _ in before.values())

    # The app on the restored copy.
    on_copy = type(apps)(world, restored)
    on_copy.start_web()
    team_key = world.pg.execute("SELECT key FROM accounts_team ORDER BY id LIMIT 1", restored)[0][0]
    client = Http(on_copy.web_port)
    client.login("admin", "demo")
    page = client.request("GET", f"/teams/{team_key}/issues/")
    counted = re.search(rb'class="result-count[^"]*">([\d,]+) issue', page.body)
    shown = int(counted.group(1).replace(b",", b"")) if counted else -1
    open_issues = world.pg.execute(
        "SELECT count(*) FROM issues_issue i JOIN accounts_team t ON t.id = i.team_id "
        "WHERE t.key = %s AND i.resolved_at IS NULL",
        apps.database,
        (team_key,),
    )[0][0]
    ok = not differing and rows > 0 and page.status == 200 and shown == open_issues > 0
    line = (
        f"{len(before)} tables, {rows} rows dumped ({dump.stat().st_size // 1024} KiB) and "
        f"restored: {len(before) - len(differing)}/{len(before)} equal by count and checksum"
        f"{' (differ: ' + ', '.join(differing[:5]) + ')' if differing else ''}; gunicorn on "
        f"the copy: {team_key} list {page.status} showing {shown} open issues "
        f"(seeded: {open_issues})"
    )
    return line, ok
