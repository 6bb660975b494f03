"""The benchmark's report: Markdown for people, JSON for tools and the next comparison.

`render(result)` is pure (a result dict in, Markdown out), so a test can render a made-up
result; `write(result)` stores both under var/bench/ named by the run's timestamp, and as
latest.md / latest.json (and latest-<N>.json, which a run at the other size compares with).
"""

from __future__ import annotations

import json
from pathlib import Path

from .stats import ratio


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _spread(figure: dict | None, digits: int = 1) -> str:
    """median [min-max], or just the median when the repeats agree (or there is one)."""
    if figure is None:
        return "-"
    median, low, high = figure["median"], figure["min"], figure["max"]
    if f"{low:,.{digits}f}" == f"{high:,.{digits}f}":
        return _num(median, digits)
    return f"{_num(median, digits)} [{_num(low, digits)}-{_num(high, digits)}]"


def _queries(summary: dict) -> str:
    low, high = summary.get("queries_min"), summary.get("queries_max")
    if low is None:
        return "-"
    return str(low) if low == high else f"{low}-{high}"


def _median(figure: dict | None) -> float | None:
    return None if figure is None else figure["median"]


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}x"


def _bytes(n: int | None) -> str:
    if not n:
        return "-"
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def _header(result: dict) -> list[str]:
    meta, scenario = result["meta"], result.get("scenario", {})
    machine, dataset, config = meta["machine"], meta.get("dataset", {}), meta["config"]
    took = _num(dataset.get("seed_seconds"), 0)
    seeded = (
        f"reused, seeded {dataset.get('seeded_at', '?')} in {took} s"
        if dataset.get("reused")
        else f"seeded by this run in {took} s"
    )
    dirty = " (with uncommitted changes)" if meta.get("dirty") else ""
    lines = [
        f"# Benchmark, {meta['date']}",
        "",
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, "
        f"{_bytes(machine['memory_bytes'])} RAM; PostgreSQL {meta.get('postgres', '?')}, "
        f"Python {meta.get('python', '?')}, Django {meta.get('django', '?')}",
        f"- **Code**: commit {meta.get('commit', '?')}{dirty}",
        f"- **Data**: `seed_demo --issues {meta['issues']:,}` ({seeded}; VACUUM ANALYZE "
        f"{_num(dataset.get('vacuum_seconds'), 0)} s); {scenario.get('issues_total', 0):,} issues "
        f"in the database at the start, {_bytes(dataset.get('database_bytes'))}",
        f"- **Server**: gunicorn gthread {config['workers']} workers x {config['threads']} "
        "threads, DEBUG off, access log on; private PostgreSQL (fsync and synchronous_commit "
        "on, shared_buffers 256MB) and Redis; a Celery worker "
        f"(concurrency {config['worker_concurrency']}) only while `create-api` runs",
        f"- **Load**: a separate asyncio process, one keep-alive connection per user, closed "
        f"loop; concurrency {', '.join(str(c) for c in config['concurrency'])}; "
        f"{config['warmup']:g} s warm-up then {config['duration']:g} s measured per point; "
        f"{config['repeats']} repeat(s), interleaved; figures are median [min-max] over repeats",
    ]
    if scenario:
        lines += [
            f"- **Scenario**: team {scenario['team']} ({scenario['team_issues']:,} issues, "
            f"{scenario['team_open']:,} open), signed in as `{scenario['user']}` (member); "
            f"list = open issues of category `{scenario['category']}` "
            f"({scenario['category_open']:,}) by priority, 50 per page; issue page "
            f"{scenario['issue']} ({scenario['issue_events']} events, "
            f"{scenario['issue_comments']} comments); search word `{scenario['word']}` (in "
            f"{scenario['word_issues']:,} issues, {scenario['word_share'] * 100:.2f}%); "
            f"creates in {scenario['create_team']} by `{scenario['create_user']}` assigned to "
            f"`{scenario['assignee']}`; reports {scenario['report_start']} to "
            f"{scenario['report_end']}",
        ]
    tracked = result.get("trac")
    if tracked and tracked.get("error"):
        lines.append(f"- **Trac 1.6**: not measured: {tracked['error'].splitlines()[0]}")
    elif tracked:
        took = _num(tracked["load_seconds"], 0)
        load = "reused" if tracked.get("reused") else f"loaded in {took} s"
        if tracked.get("created_removed"):
            load += f"; {tracked['created_removed']:,} tickets earlier runs created removed"
        lines.append(
            f"- **Trac 1.6** beside it (bench/trac.py): the same data copied by SQL into the "
            f"schema `trac` ({tracked['tickets']:,} tickets, {tracked['ticket_changes']:,} "
            f"changes; {load}), the same PostgreSQL and gunicorn settings, running beside the "
            "app and measured in turn with it (each repeat: the app's operations, then "
            "Trac's); anonymous (the app's requests are signed in); no notification email"
        )
    return lines


def _results(result: dict) -> list[str]:
    ops = result.get("ops", {})
    lines = [
        "",
        "## Requests",
        "",
        "req/s, p50 and p99 are medians over the repeats with their range. Queries: SQL "
        "queries per request (lowest-highest seen). CPU: milliseconds of CPU per request "
        "of gunicorn (app), PostgreSQL (db) and, for create, the Celery worker. "
        "vs floor (b): req/s as a share of the matching floor's at the same concurrency. "
        "p50 / SQL: p50 over floor (a), the EXPLAIN ANALYZE time of the request's SQL. "
        "vs Trac: req/s over Trac 1.6's figure from the issue. vs Trac here: req/s over "
        "Trac 1.6's measured in this run, on the same data and machine, at the same "
        "concurrency (the trac-* rows).",
        "",
        "| operation | c | req/s | p50 ms | p99 ms | errors | queries | app CPU ms | "
        "db CPU ms | worker CPU ms | vs floor (b) | p50 / SQL | vs Trac | vs Trac here |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, op in ops.items():
        floor_ms = (op.get("sql_floor") or {}).get("exec_ms")
        for c, point in sorted(op.get("points", {}).items(), key=lambda kv: int(kv[0])):
            s = point["summary"]
            rps = _median(s.get("rps"))
            floor = ops.get(op.get("floor") or "", {}).get("points", {}).get(c)
            vs_floor = ratio(rps, _median(floor["summary"]["rps"])) if floor else None
            floor_text = f"{vs_floor:.2f} of {op['floor']}" if vs_floor is not None else "-"
            p50 = _median(s.get("p50_ms"))
            here = ops.get(op.get("trac_here") or "", {}).get("points", {}).get(c)
            vs_here = ratio(rps, _median(here["summary"]["rps"])) if here else None
            lines.append(
                f"| {name} | {c} | {_spread(s.get('rps'))} | {_spread(s.get('p50_ms'))} | "
                f"{_spread(s.get('p99_ms'))} | {s['errors']} | {_queries(s)} | "
                f"{_spread(s.get('app_cpu_ms'), 2)} | {_spread(s.get('db_cpu_ms'), 2)} | "
                f"{_spread(s.get('worker_cpu_ms'), 2)} | {floor_text} | "
                f"{_x(ratio(p50, floor_ms))} | {_x(ratio(rps, op.get('trac')))} | "
                f"{_x(vs_here)} |"
            )
    lines += ["", "Requests:", ""]
    for name, op in ops.items():
        extra = ""
        if op.get("drain"):
            extra = (
                "; notification queue drained "
                + ", ".join(f"{d:.1f} s" for d in op["drain"])
                + " after each point"
            )
            if any(op.get("unnotified", [])):
                extra += f" (**changes left unnotified: {', '.join(map(str, op['unnotified']))}**)"
            else:
                extra += ", every change notified"
        lines.append(f"- `{name}`: {op['title']}, `{op['method']} {op['path']}`{extra}")
    return lines


def _sql_floors(result: dict) -> list[str]:
    lines = [
        "",
        "## Floor (a): the SQL alone",
        "",
        "The statements one request sent, replayed under EXPLAIN (ANALYZE) in a rolled-back "
        "transaction (reads: median of 3).",
        "",
        "| operation | statements | explained | execution ms | planning ms | slowest ms |",
        "|---|---|---|---|---|---|",
    ]
    floors = [(name, op.get("sql_floor")) for name, op in result.get("ops", {}).items()]
    if result.get("stale_sweep"):
        floors.append(("stale-sweep (detection)", result["stale_sweep"].get("sql_floor")))
    for name, data in result.get("report_queries", {}).get("reports", {}).items():
        floors.append((f"report {name}", data.get("sql_floor")))
    for name, floor in floors:
        if not floor or not floor.get("statements"):
            continue
        slowest = floor.get("slowest") or {}
        failed = f" ({len(floor['failed'])} failed)" if floor.get("failed") else ""
        lines.append(
            f"| {name} | {floor['statements']} | {floor['explained']}{failed} | "
            f"{_num(floor['exec_ms'], 2)} | {_num(floor['plan_ms'], 2)} | "
            f"{_num(slowest.get('exec_ms'), 2)} |"
        )
    return lines


def _in_process(result: dict) -> list[str]:
    lines = []
    sweep = result.get("stale_sweep")
    if sweep:
        lines += [
            "",
            "## Stale sweep (the Celery task's function, in-process, rolled back)",
            "",
            "| sweep | seconds | queries | detection queries | events written | "
            "app CPU ms | db CPU ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for phase, words in (("first", "first after seeding"), ("again", "right after")):
            s = sweep[phase]["summary"]
            lines.append(
                f"| {words} | {_spread(s['seconds'], 2)} | {_spread(s['queries'], 0)} | "
                f"{_spread(s['detection_queries'], 0)} | {_spread(s['events'], 0)} | "
                f"{_spread(s['app_cpu_ms'], 0)} | {_spread(s['db_cpu_ms'], 0)} |"
            )
    reports = result.get("report_queries")
    if reports:
        lines += [
            "",
            f"## Team reports, in-process ({reports['team']}, {reports['start']} to "
            f"{reports['end']})",
            "",
            "| report | ms (median) | range | queries | SQL floor ms |",
            "|---|---|---|---|---|",
        ]
        for name, data in reports["reports"].items():
            lines.append(
                f"| {name} | {_num(data['ms'])} | {_num(data['ms_range'][0])}-"
                f"{_num(data['ms_range'][1])} | {data['queries']} | "
                f"{_num((data.get('sql_floor') or {}).get('exec_ms'), 1)} |"
            )
    return lines


def _slowest_for(result: dict, op: str | None) -> dict | None:
    if not op:
        return None
    if op.startswith("report:"):
        data = result.get("report_queries", {}).get("reports", {}).get(op[7:], {})
        return (data.get("sql_floor") or {}).get("slowest")
    if op == "stale-sweep":
        return ((result.get("stale_sweep") or {}).get("sql_floor") or {}).get("slowest")
    return ((result.get("ops", {}).get(op) or {}).get("sql_floor") or {}).get("slowest")


def _targets(result: dict) -> list[str]:
    rows = result.get("targets", [])
    lines = [
        "",
        "## Targets (issue 9)",
        "",
        "| target | measured | verdict | by how much |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['target']} | {row['measured']} | **{row['verdict']}** | {row['by']} |"
        )
    missed, shown = [row for row in rows if row["verdict"] == "MISS"], set()
    over_budget = [row["op"] for row in missed if "SQL queries per request" in row["target"]]
    for op in over_budget:
        each = ((result.get("ops", {}).get(op) or {}).get("sql_floor") or {}).get("each", [])
        if each:
            lines += ["", f"Queries of one `{op}` request (execution ms, statement):", ""]
            lines += [f"- {_num(s['exec_ms'], 2)} ms `{s['sql']}`" for s in each]
    if missed:
        lines += ["", "## Plans of the missed targets' slowest queries"]
    for row in missed:
        if row["op"] in shown:
            continue
        shown.add(row["op"])
        slowest = _slowest_for(result, row["op"])
        if not slowest:
            continue
        lines += [
            "",
            f"### {row['op']}: {_num(slowest['exec_ms'], 2)} ms",
            "",
            "```sql",
            slowest["sql"],
            "```",
            "",
            "```",
            slowest["plan"],
            "```",
        ]
    return lines


def _notes(result: dict) -> list[str]:
    notes = result.get("notes", [])
    return ["", "## Notes", "", *[f"- {note}" for note in notes]] if notes else []


def render(result: dict) -> str:
    return (
        "\n".join(
            [
                *_header(result),
                *_results(result),
                *_in_process(result),
                *_sql_floors(result),
                *_targets(result),
                *_notes(result),
            ]
        )
        + "\n"
    )


def write(result: dict, directory: Path) -> tuple[Path, Path]:
    """Store the result as <timestamp>.md/.json, latest.md/.json and latest-<N>.json."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = result["meta"]["stamp"]
    markdown, data = render(result), json.dumps(result, indent=1, default=str)
    md_path, json_path = directory / f"{stamp}.md", directory / f"{stamp}.json"
    md_path.write_text(markdown)
    json_path.write_text(data)
    (directory / "latest.md").write_text(markdown)
    (directory / "latest.json").write_text(data)
    (directory / f"latest-{result['meta']['issues']}.json").write_text(data)
    return md_path, json_path


def previous(directory: Path, issues: int) -> dict | None:
    """The latest result at the other size (100,000 vs 1,000,000), if there is one."""
    other = 1_000_000 if issues < 1_000_000 else 100_000
    path = directory / f"latest-{other}.json"
    return json.loads(path.read_text()) if path.exists() else None
