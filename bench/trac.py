"""Trac 1.6 beside the app: the tracker issue 9 measures us against, run on the same
machine, the same data and the same gunicorn settings, so that the comparison holds on
whatever machine the benchmark runs. (The issue's Trac figures were measured on one
machine; on a machine 2.5x slower or faster our figures move and those do not.)

- **Installed** into var/bench/trac-venv with pip from PyPI, pinned (PACKAGES): Trac is a
  tool of the benchmark, not a dependency of the app, so it is not in uv.lock.
- **Its environment** lives in var/bench/data-N/trac, its tables in the schema `trac` of
  the benchmark's database, filled from the app's tables by one SQL script (LOAD): every
  issue a ticket (the same id; component: the team's key; type: the kind; priority: ours
  in order, blocker to trivial; status by category: triage new, todo assigned, in
  progress accepted, waiting reopened, done and cancelled closed; owner: the first
  assignee; keywords: the labels), every comment, status change between categories and
  assignment a ticket change. It is loaded again on each run that starts from the data
  as seeded (runner.SEEDED_COPY has no Trac tables) and when the dataset is seeded again.
- **Served** by gunicorn as the app is (gthread, 2 workers x 4 threads, access log), its
  log off. Anonymous users may view, search and create tickets, so Trac's requests carry
  no sign-in (the app's carry a session or a token). Trac sends no notification email
  (its default); the app's creates queue notifications for a Celery worker.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from reliability import harness
from reliability.harness import PY, ROOT, free_port, wait_until

from .cluster import DATABASE, VAR, Unavailable, World
from .scenario import HttpOp, Scenario

PACKAGES = (
    "Trac==1.6",
    "Jinja2==3.1.6",
    "MarkupSafe==3.0.4",
    "multipart==2.0.1",
    # Trac 1.6 imports pkg_resources, which setuptools 81 removed.
    "setuptools==80.10.2",
    "psycopg2-binary==2.9.13",
    "gunicorn==27.0.1",  # the app's (pyproject.toml)
)
VENV = VAR / "trac-venv"
PLACE_PATH = "/chrome/common/trac.ico"  # a static file Trac serves itself: cheap
# Trac checks a form's token against this cookie (cross-site request protection).
FORM_TOKEN = "benchmark0form0token"  # noqa: S105  # nosec B105
STATUS = {
    "triage": ("new", ""),
    "todo": ("assigned", ""),
    "in_progress": ("accepted", ""),
    "waiting": ("reopened", ""),
    "done": ("closed", "fixed"),
    "cancelled": ("closed", "wontfix"),
}
COUNTERPARTS = {  # the app's operation -> Trac's
    "list-page": "trac-list",
    "list-api": "trac-list",
    "issue-page": "trac-ticket",
    "search-page": "trac-search",
    "search-api": "trac-search",
    "create-api": "trac-create",
}

_STATUS_ROWS = ", ".join(f"('{c}', '{s}', '{r}')" for c, (s, r) in STATUS.items())
_MICROS = "(extract(epoch FROM {}) * 1000000)::bigint"
LOAD = f"""
TRUNCATE trac.ticket, trac.ticket_change, trac.ticket_custom, trac.component;
DELETE FROM trac.enum WHERE type = 'ticket_type';
INSERT INTO trac.enum (type, name, value)
SELECT 'ticket_type', kind, (row_number() OVER (ORDER BY kind))::text
FROM (SELECT DISTINCT kind FROM issues_issue) AS kinds;
INSERT INTO trac.component (name, owner, description) SELECT key, '', name FROM accounts_team;
CREATE TEMP TABLE trac_status (category text PRIMARY KEY, status text, resolution text);
INSERT INTO trac_status VALUES {_STATUS_ROWS};
INSERT INTO trac.ticket (id, type, time, changetime, component, severity, priority, owner,
                         reporter, cc, version, milestone, status, resolution, summary,
                         description, keywords)
SELECT i.id, i.kind, {_MICROS.format("i.created_at")}, {_MICROS.format("i.last_activity_at")},
       t.key, '', (ARRAY['blocker', 'critical', 'major', 'minor', 'trivial'])[i.priority],
       coalesce((SELECT u.username FROM issues_assignment a
                 JOIN accounts_user u ON u.id = a.user_id
                 WHERE a.issue_id = i.id ORDER BY a.assigned_at, a.id LIMIT 1), ''),
       coalesce(r.username, ''), '', '', '', m.status, m.resolution, i.title, i.description,
       coalesce((SELECT string_agg(l.name, ' ' ORDER BY l.name) FROM issues_issue_labels il
                 JOIN issues_label l ON l.id = il.label_id WHERE il.issue_id = i.id), '')
FROM issues_issue i JOIN accounts_team t ON t.id = i.team_id
JOIN issues_status s ON s.id = i.status_id JOIN trac_status m ON m.category = s.category
LEFT JOIN accounts_user r ON r.id = i.reporter_id;
INSERT INTO trac.ticket_change (ticket, time, author, field, oldvalue, newvalue)
SELECT c.issue_id, {_MICROS.format("c.created_at")}, coalesce(u.username, ''), 'comment',
       (row_number() OVER (PARTITION BY c.issue_id ORDER BY c.created_at, c.id))::text, c.body
FROM issues_comment c LEFT JOIN accounts_user u ON u.id = c.author_id
ON CONFLICT DO NOTHING;
INSERT INTO trac.ticket_change (ticket, time, author, field, oldvalue, newvalue)
SELECT e.issue_id, {_MICROS.format("e.created_at")}, coalesce(u.username, ''), 'status',
       f.status, t.status
FROM issues_issueevent e
JOIN issues_status fs ON fs.id = e.from_status_id JOIN trac_status f ON f.category = fs.category
JOIN issues_status ts ON ts.id = e.to_status_id JOIN trac_status t ON t.category = ts.category
LEFT JOIN accounts_user u ON u.id = e.actor_id
WHERE e.kind = 'status_changed' AND f.status <> t.status
ON CONFLICT DO NOTHING;
INSERT INTO trac.ticket_change (ticket, time, author, field, oldvalue, newvalue)
SELECT e.issue_id, {_MICROS.format("e.created_at")}, coalesce(u.username, ''), 'owner', '',
       s.username
FROM issues_issueevent e JOIN accounts_user s ON s.id = e.subject_user_id
LEFT JOIN accounts_user u ON u.id = e.actor_id
WHERE e.kind = 'assigned'
ON CONFLICT DO NOTHING;
SELECT setval('trac.ticket_id_seq', (SELECT coalesce(max(id), 1) FROM trac.ticket));
ANALYZE trac.ticket;
ANALYZE trac.ticket_change;
"""  # noqa: S608 (fixed text: the status table is this module's constant)  # nosec B608


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our programs, fixed arguments)  # nosec B603
        list(args), cwd=ROOT, capture_output=True, text=True, check=False
    )


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Trac's interpreter, installing PACKAGES first if this venv lacks them."""
    marker = VENV / "bench-packages.txt"
    wanted = "\n".join(PACKAGES)
    if marker.exists() and marker.read_text() == wanted and python().exists():
        return python()
    shutil.rmtree(VENV, ignore_errors=True)
    made = _run(PY, "-m", "venv", str(VENV))
    if made.returncode:
        raise Unavailable("cannot make Trac's venv:\n" + made.stderr[-2000:])
    installed = _run(str(python()), "-m", "pip", "install", "--quiet",
                     "--disable-pip-version-check", *PACKAGES)  # fmt: skip
    if installed.returncode:
        raise Unavailable("cannot install Trac from PyPI:\n" + installed.stderr[-2000:])
    marker.write_text(wanted)
    return python()


def _admin(env_dir: Path, *args: str) -> None:
    done = _run(str(python()), "-W", "ignore", "-m", "trac.admin.console", str(env_dir), *args)
    if done.returncode:
        output = (done.stdout + done.stderr)[-3000:]
        raise Unavailable(f"trac-admin {' '.join(args)} failed:\n{output}")


def prepare(world: World, seeded_at: str) -> dict:
    """Trac's environment on the dataset seeded at `seeded_at`: made and loaded once
    per seeding, reused after. Returns what the report says of it."""
    import psycopg

    env_dir = world.workdir / "trac"
    marker = world.workdir / "trac-loaded.json"
    url = world.pg.url(DATABASE) + "?schema=trac"
    if marker.exists() and (env_dir / "VERSION").exists():
        info = json.loads(marker.read_text())
        loaded = world.pg.execute("SELECT to_regclass('trac.ticket')", DATABASE)[0][0]
        # A dataset restored as seeded (runner.SEEDED_COPY) has no Trac tables yet.
        if info.get("seeded_at") == seeded_at and "last_loaded_id" in info and loaded:
            # The cluster starts on a new port each run. Written into trac.ini directly:
            # trac-admin would first connect to the address it holds, the old port.
            ini = env_dir / "conf" / "trac.ini"
            text = re.sub(r"(?m)^database = .*$", lambda _: f"database = {url}", ini.read_text())
            ini.write_text(text)
            with psycopg.connect(world.pg.url(DATABASE), autocommit=False) as conn:
                removed = _forget_created(conn, info["last_loaded_id"])
            return {**info, "reused": True, "created_removed": removed}
    shutil.rmtree(env_dir, ignore_errors=True)
    world.pg.execute("DROP SCHEMA IF EXISTS trac CASCADE", DATABASE)
    _admin(env_dir, "initenv", "Benchmark", url)
    _admin(env_dir, "permission", "add", "anonymous", "TICKET_CREATE", "TICKET_MODIFY")
    _admin(env_dir, "config", "set", "logging", "log_type", "none")
    started = time.monotonic()
    with psycopg.connect(world.pg.url(DATABASE), autocommit=False) as conn:
        conn.execute(LOAD.encode())
        conn.commit()
        tickets, changes, last_id = conn.execute(
            "SELECT (SELECT count(*) FROM trac.ticket), (SELECT count(*) FROM trac.ticket_change),"
            " (SELECT coalesce(max(id), 0) FROM trac.ticket)"
        ).fetchone()
    info = {
        "seeded_at": seeded_at,
        "last_loaded_id": last_id,
        "load_seconds": time.monotonic() - started,
        "tickets": tickets,
        "ticket_changes": changes,
        "packages": list(PACKAGES),
    }
    marker.write_text(json.dumps(info, indent=1))
    return {**info, "reused": False}


# The tickets an earlier run's creates added, with their changes: each run reads the
# tickets as loaded. Left in, they grew Trac's tables run after run (three runs on one
# 100,000 dataset added some 15,000), and its list ran at half the rate of the first
# run, which flattered every ratio to it. The app's reads do not grow the same way: its
# creates go to another team, and its lists and searches read one team's open issues
# from that team's indexes.
FORGET_CREATED = (
    "DELETE FROM trac.ticket_change WHERE ticket > %(last)s",
    "DELETE FROM trac.ticket_custom WHERE ticket > %(last)s",
    "DELETE FROM trac.ticket WHERE id > %(last)s",
    "SELECT setval('trac.ticket_id_seq', %(last)s)",
)


def _forget_created(conn, last_loaded_id: int) -> int:
    """Delete the tickets created after the load (ids past `last_loaded_id`); ANALYZE
    the tables again if there were any. Returns how many were deleted."""
    created = conn.execute(
        "SELECT count(*) FROM trac.ticket WHERE id > %s", (last_loaded_id,)
    ).fetchone()[0]
    if created:
        for statement in FORGET_CREATED:
            conn.execute(statement, {"last": last_loaded_id})
    conn.commit()
    if created:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE trac.ticket")
        conn.execute("VACUUM ANALYZE trac.ticket_change")
    return created


def start_web(world: World, workers: int, threads: int) -> tuple[harness.Proc, int]:
    """Trac under gunicorn with the app's settings (bench/trac_wsgi.py)."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 (a fallback HOME, nothing written)  # nosec B108
        "BENCH_TRAC_ENV": str(world.workdir / "trac"),
        "PYTHONWARNINGS": "ignore",
    }
    proc = world.spawn(
        "trac-gunicorn",
        [str(python()), "-m", "gunicorn", "bench.trac_wsgi:application",
         "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--access-logfile", str(world.runtime / "trac-access.log")],
        env,
    )  # fmt: skip
    client = harness.Http(port)
    answers: list[int | None] = []

    def up() -> bool:
        answers.append(client.status("GET", PLACE_PATH))
        return answers[-1] == 200

    if not wait_until(up, 90, 0.5):
        answered = f"{PLACE_PATH} answered {answers[-1]}" if answers else "no answer"
        raise Unavailable(f"Trac did not start ({answered}):\n" + proc.output()[-3000:])
    client.close()
    return proc, port


def http_ops(s: Scenario, wanted: set[str]) -> list[HttpOp]:
    """Trac's counterparts of the app's operations in `wanted`, on the same team, status
    category, issue, word and create team."""
    from issues.models import Issue

    team, number = s.issue.rsplit("-", 1)
    ticket = Issue.objects.only("pk").get(team__key=team, number=int(number)).pk
    status = STATUS[s.category][0]
    create = "&".join(
        f"{name}={value}"
        for name, value in (
            ("__FORM_TOKEN", FORM_TOKEN),
            ("field_summary", "Benchmark:+checkout+fails+for+EU+cards+({n})"),
            ("field_description", "Since+this+morning+**every**+EU+card+fails+at+checkout."),
            ("field_type", "bug"),
            ("field_priority", "critical"),
            ("field_component", s.create_team),
            ("field_owner", s.assignee),
            ("field_reporter", s.create_user),
            ("submit", "Create+ticket"),
        )
    )
    form = {"Cookie": f"trac_form_token={FORM_TOKEN}",
            "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    ops = [
        HttpOp("trac-list", "Trac 1.6: custom query (the team's open issues of the category, "
               "by priority, 50 per page)", "GET",
               f"/query?component={s.team}&status={status}&order=priority&max=50", "none", None),
        HttpOp("trac-ticket", "Trac 1.6: the same issue's ticket page", "GET",
               f"/ticket/{ticket}", "none", None),
        HttpOp("trac-search", "Trac 1.6: search tickets for the same word", "GET",
               f"/search?q={s.word}&ticket=on", "none", None),
        HttpOp("trac-create", "Trac 1.6: new ticket form with an owner", "POST", "/newticket",
               "none", None, expect=303, body=create, headers=form),
    ]  # fmt: skip
    return [op for op in ops if op.name in {COUNTERPARTS.get(name) for name in wanted}]
