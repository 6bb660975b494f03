"""`python -m bench.profile`: where one benchmark operation's time goes, in-process.

Starts the cluster of a dataset an earlier `make bench` seeded (var/bench/data-N) and a
private Redis, picks the scenario the benchmark picks, and sends one operation's request
through Django's test client with the benchmark's settings (production's, DEBUG off)
`--requests` times after a warm-up. Prints, per request: CPU milliseconds of this
process and of PostgreSQL, SQL queries and Python function calls; then cProfile's top
functions. Calls are a count: they do not move with the machine's load, so they compare
two versions of the code where timings on a shared machine would not.

    .venv/bin/python -m bench.profile list-page
    .venv/bin/python -m bench.profile issue-page --requests 200 --sort tottime --top 40
    .venv/bin/python -m bench.profile list-api --no-profile   # CPU and queries only
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import time
from collections import Counter

from .cluster import DURABLE, Unavailable, World
from .procstat import cpu_seconds, own_cpu_seconds


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("op", help="a benchmark operation: list-page, list-api, issue-page, "
                        "board-page, search-page, search-api, status-periods-api, "
                        "reports-page, create-api")  # fmt: skip
    parser.add_argument(
        "--issues",
        type=int,
        default=100_000,
        metavar="N",
        help="the dataset (var/bench/data-N; default 100000)",
    )
    parser.add_argument(
        "--requests", type=int, default=100, metavar="R", help="measured requests (default 100)"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, metavar="W", help="unmeasured requests first (default 10)"
    )
    parser.add_argument("--top", type=int, default=30, help="functions shown (default 30)")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"],
                        help="cProfile order (default cumulative)")  # fmt: skip
    parser.add_argument(
        "--callers", metavar="NAME", help="also show who calls the functions matching NAME"
    )
    parser.add_argument(
        "--callees", metavar="NAME", help="also show what the functions matching NAME call"
    )
    parser.add_argument("--sql", action="store_true", help="also print the SQL of one request")
    parser.add_argument(
        "--dump",
        metavar="FILE",
        help="write one response's body to FILE (to compare a page before and after a change)",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="time without cProfile (its overhead doubles CPU)"
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="for create-api: run a Celery worker (as the benchmark does) and report its CPU "
        "per request once it has taken every queued task (py-spy --subprocesses sees it)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    world = World.create(args.issues)
    if not (world.pg.exists() and (world.workdir / "seeded.json").exists()):
        print(f"bench.profile: no dataset of {args.issues:,} issues: run "
              f'make bench BENCH_ARGS="--issues {args.issues}" first', file=sys.stderr)  # fmt: skip
        return 2
    try:
        if world.pg.running():
            world.pg.stop("fast")
        world.pg.settings = dict(DURABLE)
        world.pg.start()
        world.redis.start()
        return _profile(world, args)
    except Unavailable as error:
        print(f"bench.profile: cannot run: {error}", file=sys.stderr)
        return 2
    finally:
        world.redis.stop()
        world.pg.stop("fast")


def _profile(world: World, args: argparse.Namespace) -> int:
    os.environ.update(world.env("bench.settings"))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from issues.demo_data import DEMO_PASSWORD

    from . import scenario

    chosen = scenario.pick()
    ops = {op.name: op for op in scenario.http_ops(chosen)}
    if args.op not in ops:
        print(f"bench.profile: no operation {args.op!r}; one of {', '.join(ops)}",
              file=sys.stderr)  # fmt: skip
        return 2
    op = ops[args.op]
    client = Client(HTTP_HOST="127.0.0.1")
    headers: dict[str, str] = {}
    if op.auth == "session":
        if not client.login(username=chosen.user, password=DEMO_PASSWORD):
            raise Unavailable(f"cannot sign in as {chosen.user}")
        headers["accept"] = "text/html"
    elif op.auth in {"token", "create-token"}:
        user = chosen.user if op.auth == "token" else chosen.create_user
        headers["authorization"] = f"Bearer {scenario.token_for(user)}"
        headers["accept"] = "application/json"
    counter = [0]

    def count(execute, sql, params, many, context):
        counter[0] += 1
        return execute(sql, params, many, context)

    def request(n: int):
        body = op.body.replace("{n}", str(n)) if op.body else None
        response = client.generic(op.method, op.path, body or "", "application/json",
                                  headers=headers)  # fmt: skip
        if response.status_code != op.expect:
            raise Unavailable(f"{op.path} answered {response.status_code}, not {op.expect}")
        return response

    worker = None
    if args.worker:
        from .runner import WORKER_CONCURRENCY, drain, wait_for_worker

        worker = world.start_worker(WORKER_CONCURRENCY)
        wait_for_worker(world)
    for n in range(args.warmup):
        request(n)
    if worker is not None:
        drain(world)
    if args.sql:
        statements: list[str] = []

        def record(execute, sql, params, many, context):
            statements.append(sql % tuple(f"'{p}'" for p in params) if params else sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            request(args.warmup)
        print(f"{len(statements)} queries:", *statements, sep="\n\n")
    if args.dump:
        with open(args.dump, "wb") as out:
            out.write(request(args.warmup).content)

    collected = {"seconds": 0.0, "started": 0.0, "generations": Counter()}

    def gc_callback(phase: str, info: dict) -> None:
        if phase == "start":
            collected["started"] = time.perf_counter()
        else:
            collected["seconds"] += time.perf_counter() - collected["started"]
            collected["generations"][info["generation"]] += 1

    gc.callbacks.append(gc_callback)
    profiler = None if args.no_profile else cProfile.Profile()
    db_pid = world.pg.postmaster_pid()
    roots = {"db": db_pid, **({"worker": worker.pid} if worker else {})}
    before, app_before = cpu_seconds(roots), own_cpu_seconds()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        if profiler:
            profiler.enable()
        for n in range(args.requests):
            request(args.warmup + n)
        if profiler:
            profiler.disable()
    wall = time.perf_counter() - started
    gc.callbacks.remove(gc_callback)
    app_after = own_cpu_seconds()
    drained = drain(world) if worker is not None else 0.0
    after = cpu_seconds(roots)
    db_before, db_after = before["db"], after["db"]
    per = 1000 / args.requests
    print(f"{op.name}: {op.method} {op.path} as {op.auth}, {args.requests} requests"
          f"{'' if profiler else ', no profiler'}")  # fmt: skip
    print(f"  per request: {wall * per:.2f} ms wall, {(app_after - app_before) * per:.2f} ms "
          f"app CPU, {(db_after - db_before) * per:.2f} ms PostgreSQL CPU, "
          f"{counter[0] / args.requests:.1f} queries")  # fmt: skip
    if worker is not None:
        print(f"  worker: {(after['worker'] - before['worker']) * per:.2f} ms CPU per request "
              f"(its queue drained {drained:.1f} s after the last; PostgreSQL's figure "
              "includes the worker's queries)")  # fmt: skip
        world.stop(worker)
    print(f"  garbage collection: {collected['seconds'] * per:.2f} ms per request; "
          f"by generation {dict(sorted(collected['generations'].items()))}")  # fmt: skip
    if profiler:
        stats = pstats.Stats(profiler, stream=(out := io.StringIO()))
        print(f"  Python function calls per request: {stats.total_calls / args.requests:,.0f}")
        stats.sort_stats(args.sort).print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        if args.callees:
            stats.print_callees(args.callees)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
