"""`python -m bench`: seed (or reuse) a dataset, run the app as in production, drive it
from a separate load process, measure the floors, time the sweep and the reports,
evaluate the targets and write the report under var/bench/."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reliability.harness import PY, ROOT, Http, wait_until

from . import report, stats, targets, trac
from .cluster import DATABASE, DURABLE, FAST_LOAD, VAR, Unavailable, World
from .procstat import machine

ALL_OPS = (
    "list-page", "list-api", "issue-page", "board-page", "search-page", "search-api",
    "create-api",
    "reports-page", "status-periods-api", "stale-sweep", "report-queries",
)  # fmt: skip
FLOOR_OPS = ("floor-json", "floor-template", "floor-query", "floor-signed-in", "floor-token")
CONSTANT_FLOORS = ("floor-json", "floor-template")  # no SQL: no floor (a)
PLACE_PATH = "/bench/floor/json/"  # what the load process asks to learn a connection's worker
WORKERS, THREADS, WORKER_CONCURRENCY = 2, 4, 2
DRAIN_TIMEOUT = 120.0


def _concurrency(value: str) -> list[int]:
    try:
        levels = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from None
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("concurrency levels must be 1 or more")
    return levels


def _ops(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in ALL_OPS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown operation(s) {', '.join(unknown)}; choose from {', '.join(ALL_OPS)}"
        )
    return names


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--issues",
        type=int,
        default=100_000,
        metavar="N",
        help="dataset size: seed_demo --issues N (default 100000; try 1000000)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=10.0,
        metavar="S",
        help="measured seconds per point (default 10)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        metavar="S",
        help="unrecorded seconds before each point (default 2)",
    )
    parser.add_argument(
        "--concurrency",
        type=_concurrency,
        default=[4, 16],
        metavar="LIST",
        help="simulated users, comma-separated (default 4,16)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        metavar="R",
        help="times each point is measured, interleaved (default 3)",
    )
    parser.add_argument(
        "--ops",
        type=_ops,
        default=list(ALL_OPS),
        metavar="LIST",
        help="operations to run, comma-separated (default all): "
        + ", ".join(ALL_OPS)
        + "; the floors always run",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the dataset of an earlier run with the same N "
        "(var/bench/data-N) instead of seeding it again",
    )
    parser.add_argument(
        "--no-trac",
        dest="trac",
        action="store_false",
        help="skip Trac 1.6 (by default it is installed from PyPI into var/bench/trac-venv, "
        "loaded with the same data and measured beside the app: bench/trac.py)",
    )
    args = parser.parse_args(argv)
    if args.issues < 1 or args.repeats < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--issues and --repeats must be 1 or more, --duration positive")
    return args


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


# --- the dataset ------------------------------------------------------------------------


def prepare_dataset(world: World, issues: int, reuse: bool) -> dict:
    """Start the cluster on the dataset of size `issues`, seeding it first unless
    `reuse` finds one. Seeding runs with fsync off; measuring with it on."""
    pg, marker = world.pg, world.workdir / "seeded.json"
    if pg.exists() and pg.running():  # left behind by an interrupted run
        pg.stop("fast")
    seeded = world.workdir / SEEDED_COPY
    if reuse and pg.exists() and marker.exists():
        info = {**json.loads(marker.read_text()), "reused": True}
        say(f"reusing the dataset in {pg.dir} (seeded {info['seeded_at']})")
        if seeded.exists():
            # What earlier runs' creates added is gone: every run reads the same data.
            started = time.monotonic()
            shutil.rmtree(pg.data)
            _copy_tree(seeded, pg.data)
            info["restored_seconds"] = time.monotonic() - started
            say(f"restored the data as seeded ({info['restored_seconds']:.0f} s)")
        else:
            say("no copy of the data as seeded (an older dataset): earlier runs' creates stay")
        pg.settings = dict(DURABLE)
        pg.start()
        migrate = world.manage("migrate", "--noinput")
        if migrate.returncode:
            raise Unavailable("migrate failed:\n" + migrate.stdout + migrate.stderr)
    else:
        if reuse:
            say(f"no dataset of {issues:,} issues to reuse: seeding one")
        shutil.rmtree(pg.dir, ignore_errors=True)
        marker.unlink(missing_ok=True)
        pg.settings = dict(FAST_LOAD)
        pg.init()
        pg.start()
        pg.execute(f'CREATE DATABASE "{DATABASE}"')
        migrate = world.manage("migrate", "--noinput")
        if migrate.returncode:
            raise Unavailable("migrate failed:\n" + migrate.stdout + migrate.stderr)
        say(f"seeding {issues:,} issues (seed_demo --issues {issues})")
        started = time.monotonic()
        seed = world.manage("seed_demo", "--issues", str(issues), "--progress", progress=True)
        seed_seconds = time.monotonic() - started
        if seed.returncode:
            raise Unavailable(f"seed_demo failed:\n{seed.stdout[-3000:]}")
        summary = [line for line in seed.stdout.splitlines() if line.strip()][-2:]
        say(f"seeded in {seed_seconds:.0f} s: {' '.join(summary)}")
        started = time.monotonic()
        pg.execute("VACUUM (ANALYZE)", DATABASE)
        vacuum_seconds = time.monotonic() - started
        pg.stop()
        shutil.rmtree(seeded, ignore_errors=True)
        _copy_tree(pg.data, seeded)
        pg.settings = dict(DURABLE)
        pg.start()
        info = {
            "issues": issues,
            "seed_seconds": seed_seconds,
            "vacuum_seconds": vacuum_seconds,
            "seeded_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "seed_summary": " ".join(summary),
            "commit": git()[0],
        }
        marker.write_text(json.dumps(info, indent=1))
        info["reused"] = False
    info["database_bytes"] = pg.size()
    return info


# A copy of the cluster's data as seeded (its size again on disk), which each `--reuse`
# starts from: the creates of a run add issues (and Trac's, tickets), and a dataset
# reused run after run grew by some 7,000 issues a run. The app's reads did not move
# with that (one team's open issues, from that team's indexes), but Trac's list, which
# reads every ticket, ran at half its first rate by the fourth run.
SEEDED_COPY = "pg-seeded"


def _copy_tree(source: Path, target: Path) -> None:
    """`cp -a`: the owner (the postgres user when run as root) and modes stay."""
    program = shutil.which("cp") or "/bin/cp"
    subprocess.run(  # noqa: S603 (cp with fixed arguments)  # nosec B603
        [program, "-a", str(source), str(target)], check=True
    )


def git() -> tuple[str, bool]:
    """(short commit, whether the working tree has uncommitted changes)."""
    program = shutil.which("git")
    if program is None:
        return "unknown", False

    def run(*args: str) -> str:
        return subprocess.run(  # noqa: S603 (git with fixed arguments)  # nosec B603
            [program, *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return run("rev-parse", "--short", "HEAD") or "unknown", bool(
        run("status", "--porcelain", "--untracked-files=no")
    )


def setup_django(world: World) -> None:
    """This process reads the database through the ORM (choices, tokens, the sweep, the
    reports, floor a), with the production settings on the private services."""
    os.environ.update(world.env("issuetracker.settings"))
    import django

    django.setup()


# --- load points ------------------------------------------------------------------------


def headers_for(op, auth: dict[str, str]) -> dict[str, str]:
    if op.auth == "session":
        return {"Cookie": auth["cookie"], "Accept": "text/html"}
    if op.auth in {"token", "create-token"}:
        token = auth["token"] if op.auth == "token" else auth["create_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if op.body is not None:
            headers["Content-Type"] = "application/json"
        return headers
    return dict(op.headers or {})


def run_point(spec: dict) -> dict:
    """One load point in a separate process (python -m bench.load)."""
    done = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)  # nosec B603
        [PY, "-m", "bench.load"],
        cwd=ROOT,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
        timeout=spec["warmup"] + spec["duration"] + spec["timeout"] + 60,
    )
    if done.returncode:
        raise RuntimeError("the load process failed:\n" + done.stderr[-3000:])
    return json.loads(done.stdout)


def db_sessions(world: World) -> int:
    """PostgreSQL sessions (connections) opened so far on the bench database."""
    rows = world.pg.execute(
        "SELECT sessions FROM pg_stat_database WHERE datname = %s", DATABASE, (DATABASE,)
    )
    return int(rows[0][0])


def queue_depth(world: World) -> int:
    import redis

    client = redis.Redis.from_url(world.redis.url)
    try:
        return int(client.llen("celery")) + int(client.hlen("unacked"))
    finally:
        client.close()


def wait_for_worker(world: World) -> None:
    from issuetracker.celery import app

    if not wait_until(lambda: bool(app.control.ping(timeout=1.0)), 90, 0.5):
        raise RuntimeError("the Celery worker did not answer a ping within 90 s")


def pending_changes(world: World) -> int:
    """Outbox rows (committed changes) the worker has not turned into notifications."""
    rows = world.pg.execute(
        "SELECT count(*) FROM notifications_outbox WHERE processed_at IS NULL", DATABASE
    )
    return int(rows[0][0])


def drain(world: World) -> float:
    """Seconds until the worker has taken every queued notification task and every
    change is notified (bounded)."""
    started = time.monotonic()
    wait_until(lambda: queue_depth(world) == 0 and pending_changes(world) == 0, DRAIN_TIMEOUT, 0.2)
    return time.monotonic() - started


def show(name: str, c: int, repeat: int, repeats: int, s: dict) -> None:
    queries = (
        s["queries_min"]
        if s["queries_min"] == s["queries_max"]
        else (f"{s['queries_min']}-{s['queries_max']}")
    )
    cpu = ", ".join(
        f"{key[:-7]} {s[key]:.1f}"
        for key in ("app_cpu_ms", "db_cpu_ms", "worker_cpu_ms")
        if s.get(key) is not None
    )
    say(
        f"{name} c={c} [{repeat}/{repeats}]: {s['rps']:.1f} req/s, p50 "
        f"{s['p50_ms'] or 0:.1f} ms, p99 {s['p99_ms'] or 0:.1f} ms, "
        f"{s['errors']} errors, {queries} queries, CPU ms/req {cpu}"
    )


@dataclass
class Server:
    """A server under load: its operations, credentials, port, the processes whose CPU
    counts, and the path that tells which worker answered."""

    ops: list
    auth: dict[str, str]
    port: int
    pids: dict[str, int]
    place_path: str = PLACE_PATH


def run_load(world, args, servers: list[Server]) -> dict:
    """Each operation of each server at each concurrency, `args.repeats` times. Within a
    repeat every server has its turn (the app's operations, then Trac's): a machine that
    slows down for a while (a neighbour on a shared host) slows both sides of a ratio,
    where measuring Trac after all of the app's repeats put the drift into the ratio."""
    results: dict[str, dict] = {
        op.name: {
            "title": op.title, "method": op.method, "path": op.path, "floor": op.floor,
            "trac": op.trac, "trac_here": trac.COUNTERPARTS.get(op.name),
            "expect": op.expect, "points": {}, "drain": [],
            "_runs": {str(c): [] for c in args.concurrency},
        }
        for server in servers
        for op in server.ops
    }  # fmt: skip
    for repeat in range(1, args.repeats + 1):
        for server in servers:
            for op in server.ops:
                _measure(world, args, server, op, repeat, results[op.name]["_runs"], results)
    for result in results.values():
        for c, runs in result.pop("_runs").items():
            result["points"][c] = {"runs": runs, "summary": stats.combine(runs)}
    return results


def _measure(world, args, server: Server, op, repeat: int, runs: dict, results: dict) -> None:
    worker = world.start_worker(WORKER_CONCURRENCY) if op.worker else None
    if worker is not None:
        wait_for_worker(world)
    try:
        for c in args.concurrency:
            spec = {
                "port": server.port, "concurrency": c, "duration": args.duration,
                "warmup": args.warmup, "timeout": 120,
                "requests": [{"method": op.method, "path": op.path,
                              "headers": headers_for(op, server.auth), "body": op.body,
                              "expect": op.expect}],
                "cpu": {**server.pids, **({"worker": worker.pid} if worker else {})},
                "workers": WORKERS, "place": {"path": server.place_path},
            }  # fmt: skip
            sessions = db_sessions(world)
            raw = run_point(spec)
            summary = stats.summarize(raw, args.duration)
            if worker is not None:
                summary["queue_at_end"] = queue_depth(world)
                results[op.name]["drain"].append(drain(world))
                results[op.name].setdefault("unnotified", []).append(pending_changes(world))
            summary["db_sessions"] = stats.per_request(db_sessions(world) - sessions, raw)
            runs[str(c)].append(summary)
            show(op.name, c, repeat, args.repeats, summary)
    finally:
        if worker is not None:
            world.stop(worker)


# --- floor (a) for the requests ---------------------------------------------------------


def capture(port: int, op, auth: dict[str, str]) -> tuple[int, list[str], object]:
    """One request of `op` with SQL capture on: (status, statements, response)."""
    from .middleware import SQL_HEADER, decode_statements

    client = Http(port, timeout=120)
    headers = {**headers_for(op, auth), "X-Bench-Capture": "1"}
    data = json.loads(op.body.replace("{n}", "capture")) if op.body else None
    response = client.request(op.method, op.path, data=data, headers=headers)
    client.close()
    encoded = response.headers.get(SQL_HEADER.lower())
    return response.status, decode_statements(encoded) if encoded else [], response


def sql_floors(port: int, ops, auth, results: dict) -> None:
    from issues.models import Issue

    from .floors import sql_floor

    for op in ops:
        if op.name in CONSTANT_FLOORS:
            continue
        status, statements, response = capture(port, op, auth)
        undo = None
        if op.method == "POST" and status == 201:
            key = response.json()["key"]

            def undo(key=key):
                team, number = key.split("-")
                Issue.objects.filter(team__key=team, number=int(number)).delete()

        floor = sql_floor(statements, undo=undo)
        floor["status"] = status
        results[op.name]["sql_floor"] = floor
        say(f"floor (a) {op.name}: {floor['explained']}/{floor['statements']} statements, "
            f"{floor['exec_ms']:.2f} ms execution, {floor['plan_ms']:.2f} ms planning")  # fmt: skip


def middleware_overhead(calls: int = 20_000) -> float:
    """Microseconds the query-count middleware adds to a request that runs no query."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from .middleware import QueryCountMiddleware

    request = RequestFactory().get("/")

    def view(request):
        return HttpResponse()

    wrapped = QueryCountMiddleware(view)
    timings = []
    for target in (view, wrapped, view, wrapped):
        started = time.perf_counter()
        for _ in range(calls):
            target(request)
        timings.append(time.perf_counter() - started)
    bare, counted = min(timings[0], timings[2]), min(timings[1], timings[3])
    return max(0.0, (counted - bare) / calls * 1e6)


# --- the whole run ----------------------------------------------------------------------


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = datetime.now(UTC)
    try:
        world = World.create(args.issues)
    except Unavailable as error:
        print(f"bench: cannot run: {error}", file=sys.stderr)
        return 2
    try:
        return _run(world, args, started)
    except Unavailable as error:
        print(f"bench: cannot run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted; stopping everything", file=sys.stderr)
        return 130
    finally:
        world.stop_all()
        world.redis.stop()
        if world.pg.exists():
            world.pg.stop("fast")


def _run(world: World, args: argparse.Namespace, started: datetime) -> int:
    from . import inprocess, scenario

    dataset = prepare_dataset(world, args.issues, args.reuse)
    world.redis.start()
    setup_django(world)
    import django

    chosen = scenario.pick()
    say("scenario: " + json.dumps(chosen.as_dict()))
    auth = {
        "token": scenario.token_for(chosen.user),
        "create_token": scenario.token_for(chosen.create_user),
    }
    web, port = world.start_web(WORKERS, THREADS)
    from issues.demo_data import DEMO_PASSWORD

    browser = Http(port)
    browser.login(chosen.user, DEMO_PASSWORD)
    auth["cookie"] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    browser.close()

    ops = [op for op in scenario.http_ops(chosen) if op.name in FLOOR_OPS or op.name in args.ops]
    servers = [Server(ops, auth, port, {"app": web.pid, "db": world.pg.postmaster_pid()})]
    trac_info, trac_web = None, None
    trac_ops = trac.http_ops(chosen, set(args.ops)) if args.trac else []
    try:
        if trac_ops:
            trac_info, trac_web, trac_port = start_trac(world, dataset)
            if trac_web is not None:
                trac_pids = {"app": trac_web.pid, "db": world.pg.postmaster_pid()}
                servers.append(Server(trac_ops, {}, trac_port, trac_pids, trac.PLACE_PATH))
        results = run_load(world, args, servers)
    finally:
        if trac_web is not None:
            world.stop(trac_web)
    sql_floors(port, ops, auth, results)
    world.stop(web)

    commit, dirty = git()
    result: dict = {
        "meta": {
            "stamp": started.strftime("%Y%m%d-%H%M%S"),
            "date": started.strftime("%Y-%m-%d %H:%M UTC"),
            "issues": args.issues,
            "machine": machine(),
            "postgres": world.pg.version(),
            "python": sys.version.split()[0],
            "django": django.get_version(),
            "commit": commit,
            "dirty": dirty,
            "dataset": dataset,
            "config": {
                "duration": args.duration,
                "warmup": args.warmup,
                "repeats": args.repeats,
                "concurrency": args.concurrency,
                "workers": WORKERS,
                "threads": THREADS,
                "worker_concurrency": WORKER_CONCURRENCY,
                "ops": args.ops,
                "postgres_settings": {**DURABLE, "shared_buffers": "256MB"},
            },
        },
        "scenario": chosen.as_dict(),
        "ops": results,
        "trac": trac_info,
    }
    if "stale-sweep" in args.ops:
        say("stale sweep (in-process, rolled back)")
        result["stale_sweep"] = inprocess.stale_sweep(world.pg.postmaster_pid(), args.repeats)
    if "report-queries" in args.ops:
        say("team reports (in-process)")
        result["report_queries"] = inprocess.report_queries(
            chosen.team, chosen.report_start, chosen.report_end, args.repeats
        )
    overhead = middleware_overhead()
    result["notes"] = notes(result, overhead)
    result["middleware_overhead_us"] = overhead
    result["targets"] = targets.evaluate(result, report.previous(VAR, args.issues))
    md_path, _ = report.write(result, VAR)
    print()
    print(report.render(result))
    say(f"report: {md_path.relative_to(ROOT)} (and var/bench/latest.md, latest.json)")
    return 0


def start_trac(world: World, dataset: dict) -> tuple[dict, object, int]:
    """Trac 1.6 on the same data, machine and gunicorn settings (bench/trac.py), started
    beside the app; its operations are measured in turn with the app's. A Trac that
    cannot be installed or started leaves the report without it, saying why:
    ({"error": ...}, None, 0)."""
    try:
        say(f"Trac 1.6: installing into {trac.VENV.relative_to(ROOT)} (pinned, from PyPI)")
        trac.ensure_venv()
        say("Trac 1.6: loading the same data into the schema trac")
        info = trac.prepare(world, dataset["seeded_at"])
        load = "reused" if info["reused"] else f"loaded in {info['load_seconds']:.0f} s"
        if info.get("created_removed"):
            load += f", {info['created_removed']:,} tickets earlier runs created removed"
        say(f"Trac 1.6: {info['tickets']:,} tickets, {info['ticket_changes']:,} changes ({load})")
        web, port = trac.start_web(world, WORKERS, THREADS)
    except Unavailable as error:
        say(f"Trac 1.6 not measured: {error}")
        return {"error": str(error)}, None, 0
    return info, web, port


def notes(result: dict, overhead_us: float) -> list[str]:
    ops = result["ops"]
    client_share = []
    for name, op in ops.items():
        for c, point in op["points"].items():
            s = point["summary"]
            client, app = s.get("client_cpu_ms"), s.get("app_cpu_ms")
            if client and app:
                client_share.append((client["median"] / app["median"], name, c))
    lines = [
        f"The query-count middleware adds {overhead_us:.1f} µs per request (measured in-process "
        "around a view that runs no query) and one Python call per query.",
        "The API throttle stays on with a limit no run reaches "
        "(API_RATE_LIMIT_USER=100000000/minute), so each API request still pays its Redis "
        "counter; emails go to the dummy backend (rendered, not sent).",
        "create-api posts a new issue with a description, priority, kind and one assignee, "
        "without an Idempotency-Key, into a team other than the one read, so the reads' data "
        "stays as seeded; a Celery worker runs only while it is measured.",
    ]
    for name, op in ops.items():
        for c, point in op["points"].items():
            sessions = point["summary"].get("db_sessions")
            if sessions and sessions["median"] >= 0.05:
                lines.append(
                    f"{name} at c={c} opened {sessions['median']:.2f} new PostgreSQL "
                    "connections per request (counted from pg_stat_database.sessions over "
                    "the point, the worker's notification tasks included)."
                )
    spread_out = [
        (placement, name, c)
        for name, op in ops.items()
        for c, point in op["points"].items()
        for placement in [run.get("placement") for run in point.get("runs", [])]
        if placement
    ]
    uneven = [
        (p, name, c)
        for p, name, c in spread_out
        if p["share"] and max(p["connections_per_worker"], default=0) > p["share"]
    ]
    if spread_out:
        reconnects = sum(p["reconnects"] for p, _, _ in spread_out)
        lines.append(
            f"Each point's keep-alive connections were spread over the {WORKERS} gunicorn "
            f"workers before use (at most c/{WORKERS} per worker; {reconnects} reconnects in "
            "all): the kernel hands a few long-lived connections to the workers at random, "
            "and one worker holding most of them left a core idle. "
            + (
                "Points where a worker still held more than its share: "
                + ", ".join(
                    f"{name} c={c} ({'/'.join(map(str, p['connections_per_worker']))})"
                    for p, name, c in uneven
                )
                + "."
                if uneven
                else "Every point ended evenly spread."
            )
        )
    if client_share:
        worst = max(client_share)
        lines.append(
            f"The load process used at most {worst[0]:.2f} ms of CPU per ms of the app's "
            f"({worst[1]} at c={worst[2]}): it shares the machine's cores with the server."
        )
    return lines
