"""Operations that are not requests, timed in the runner's own Django process against
the same database: the stale sweep (the Celery task's function, called directly) and
each team report's queries over a year (as `manage.py report_timings` runs them).

Each is timed with its SQL query count, the CPU of this process and of PostgreSQL."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.db import connection, transaction
from django.utils import timezone

from .floors import Recorder, sql_floor
from .procstat import cpu_seconds, own_cpu_seconds
from .stats import spread

SLOW_SWEEP = 60.0  # seconds of first sweeps after which they are not repeated
DETECTION = "SKIP LOCKED"  # the sweeps' detection queries lock what they find this way


def _measure(call, db_pid: int) -> tuple[object, dict, Recorder]:
    recorder = Recorder()
    db_before, app_before = cpu_seconds({"db": db_pid})["db"], own_cpu_seconds()
    started = time.perf_counter()
    with connection.execute_wrapper(recorder):
        value = call()
    seconds = time.perf_counter() - started
    db_after, app_after = cpu_seconds({"db": db_pid})["db"], own_cpu_seconds()
    return (
        value,
        {
            "seconds": seconds,
            "queries": recorder.count,
            "detection_queries": sum(DETECTION in sql for sql in recorder.statements),
            "app_cpu_ms": (app_after - app_before) * 1000,
            "db_cpu_ms": (db_after - db_before) * 1000,
        },
        recorder,
    )


def stale_sweep(db_pid: int, repeats: int) -> dict:
    """The stale sweep task over all open issues, twice in one transaction that is then
    rolled back (so every repeat, and the next run, sees the same data):

    - first: the data as seeded. seed_demo writes the past as a running tracker swept
      it (each quiet spell reported at the first sweep after it went stale), so this
      sweep finds what went quiet since the seeding: a few issues right after it, more
      the older a reused dataset is (a tracker that was down that long);
    - again: right after, nothing new is due (what every later beat finds).
    """
    from notifications.tasks import sweep_stale_issues

    runs: dict[str, list[dict]] = {"first": [], "again": []}
    detection: list[str] = []
    for _ in range(repeats):
        if runs["first"] and sum(run["seconds"] for run in runs["first"]) > SLOW_SWEEP:
            break  # one slow first sweep says enough; repeating it would take minutes
        with transaction.atomic():
            events, first, recorder = _measure(sweep_stale_issues, db_pid)
            first["events"] = events
            detection = [sql for sql in recorder.statements if DETECTION in sql]
            events, again, _ = _measure(sweep_stale_issues, db_pid)
            again["events"] = events
            transaction.set_rollback(True)
        runs["first"].append(first)
        runs["again"].append(again)
    result = {}
    for name, measured in runs.items():
        result[name] = {
            "runs": measured,
            "summary": {
                key: spread(run[key] for run in measured)
                for key in (
                    "seconds",
                    "queries",
                    "detection_queries",
                    "events",
                    "app_cpu_ms",
                    "db_cpu_ms",
                )
            },
        }
    # Floor (a): the detection queries alone, on the data as seeded.
    result["sql_floor"] = sql_floor(detection)
    return result


def report_queries(team_key: str, start: str, end: str, repeats: int) -> dict:
    """Each team report for one team over the window, computed `repeats` times: median
    time and query count; the SQL floor and slowest plan of each from its first run."""
    from accounts.models import Team
    from issues import reports

    team = Team.objects.get(key=team_key)
    window = reports.ReportFilter.for_days(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    results = {}
    for name, report in reports.REPORTS.items():
        times, statements = [], None
        for _ in range(repeats):
            recorder = Recorder()
            started = time.perf_counter()
            with connection.execute_wrapper(recorder):
                report(team, window)
            times.append(time.perf_counter() - started)
            statements = statements or recorder.statements
        results[name] = {
            "ms": statistics.median(times) * 1000,
            "ms_range": [min(times) * 1000, max(times) * 1000],
            "queries": len(statements or []),
            "sql_floor": sql_floor(statements or []),
        }
    return {"team": team_key, "start": start, "end": end, "now": timezone.now().isoformat(),
            "reports": results}  # fmt: skip
