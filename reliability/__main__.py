"""Run the fault-injection scenarios: `python -m reliability [--quick] [scenario ...]`.

Starts a private Redis and a private PostgreSQL cluster on free loopback ports, migrates
a template database once, then runs each scenario on a fresh copy of it with its own
gunicorn, Celery worker(s), beat(s) and SMTP sink. Prints one line of figures per
scenario and exits 1 when a figure misses its target (2 when the suite cannot run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

from . import harness, scenarios
from .scenarios import SCENARIOS


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help="which to run (default: all): " + ", ".join(SCENARIOS),
    )
    parser.add_argument("--quick", action="store_true", help="smaller numbers, shorter outages")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) at the end")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    return args


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _prepare(world: harness.World) -> None:
    world.redis.start()
    world.pg.init()
    world.pg.start()
    world.pg.execute(f'CREATE DATABASE "{world.template_db}"')
    env = world.env(world.template_db, smtp_port=25)
    migrate = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)  # nosec B603
        [harness.PY, "manage.py", "migrate", "--noinput"],
        cwd=harness.ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if migrate.returncode:
        raise harness.Unavailable("migrate failed:\n" + migrate.stdout + migrate.stderr)
    # This process seeds and counts through the ORM and publishes like the app does.
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "issuetracker.settings"
    import django

    django.setup()


def _save_logs(world: harness.World) -> None:
    """Keep the processes' logs of a failed run in artifacts/reliability/ (git-ignored)."""
    target = harness.ROOT / "artifacts" / "reliability"
    target.mkdir(parents=True, exist_ok=True)
    for path in world.workdir.iterdir():
        if path.suffix in {".log", ".traceback"}:
            shutil.copy(path, target / path.name)
    print(f"reliability: logs of the failed run in {target}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    names = args.scenarios or list(SCENARIOS)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        world = harness.make_world(args.quick)
    except harness.Unavailable as error:
        print(f"reliability: cannot run: {error}", file=sys.stderr)
        return 2
    print(f"reliability: {len(names)} scenario(s){' (quick)' if args.quick else ''}; "
          f"logs in {world.workdir}", flush=True)  # fmt: skip
    failed = 0
    started = time.monotonic()
    try:
        _prepare(world)
        for name in names:
            module = scenarios.scenario(name)
            database = "s_" + name.replace("-", "_")
            apps = harness.Apps(world, database)
            scenario_started = time.monotonic()
            try:
                harness.use_database(world, database)
                world.redis.flush()
                line, ok = module.run(world, apps)
            except KeyboardInterrupt:
                raise
            except Exception as error:  # one scenario's crash is its FAIL, not the suite's
                line, ok = f"error: {error}", False
                traceback.print_exc(file=open(world.workdir / f"{name}.traceback", "w"))  # noqa: SIM115
            finally:
                world.stop_all()
                harness.close_db()
            if not world.redis.proc.alive():
                world.redis.start()
            if not world.pg.running():
                world.pg.start()
            seconds = time.monotonic() - scenario_started
            failed += not ok
            print(f"{name}: {line}, {seconds:.1f} s  {'OK' if ok else 'FAIL'}", flush=True)
    except harness.Unavailable as error:
        print(f"reliability: cannot run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reliability: interrupted; cleaning up", file=sys.stderr)
        failed = failed or 1
    finally:
        world.stop_all()
        harness.close_db()
        world.redis.stop()
        if world.pg.data.exists():
            world.pg.stop("immediate")
        if args.keep:
            print(f"reliability: logs kept in {world.workdir}", flush=True)
        else:
            if failed:
                _save_logs(world)
            shutil.rmtree(world.workdir, ignore_errors=True)
    total = time.monotonic() - started
    print(f"reliability: {len(names) - failed}/{len(names)} scenarios OK in {total:.0f} s",
          flush=True)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
