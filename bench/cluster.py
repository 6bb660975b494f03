"""The benchmark's world: a private PostgreSQL cluster kept under var/bench/ (one per
dataset size, so --reuse skips seeding), a private Redis, gunicorn and a Celery worker
started the way production starts them, and CPU time read from /proc.

Built on reliability/harness.py (the same private services and process handling); what
differs is that the cluster outlives the run and is measured with production durability
settings (fsync and synchronous_commit on), while seeding runs with them off.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from reliability import harness
from reliability.harness import PY, ROOT, Proc, free_port, port_open, wait_until

VAR = ROOT / "var" / "bench"
DATABASE = "tracker"
# Seeding is a bulk load into a throwaway cluster: skip the disk flushes.
FAST_LOAD = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# Measured the way a production server runs: every commit flushed to disk.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
# More than the harness's 64 MB: a production server would not run on the minimum.
CONF = "\nshared_buffers = 256MB\n"
# The API's per-user limit (1200/minute) would answer most benchmark requests with 429.
# A limit this high keeps the throttle's work (a Redis counter per request) in every
# request without ever refusing one.
API_RATE_LIMIT_USER = "100000000/minute"


class Unavailable(harness.Unavailable):
    pass


class Postgres(harness.Postgres):
    """harness.Postgres in a directory that survives the run: var/bench/data-<N>/pg.
    Started on a fresh free port each time, with the given server settings."""

    def __init__(self, workdir: Path):
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir)
        self.settings: dict[str, str] = dict(DURABLE)

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        super().init()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(CONF)

    def start(self) -> None:
        # The socket directory is given each start, not only in postgresql.conf, so a
        # dataset still starts after the checkout (and var/bench with it) has moved.
        settings = {**self.settings, "unix_socket_directories": f"'{self.dir}'"}
        options = " ".join(f"-c {name}={value}" for name, value in settings.items())
        result = self._run(
            str(harness.PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
            str(self.dir / "server.log"), "-w", "-t", "120",
            "-o", f"-p {self.port} {options}", "start", check=False,
        )  # fmt: skip
        if result.returncode:
            raise Unavailable("PostgreSQL did not start:\n" + result.stdout + result.stderr)

    def restart(self, settings: dict[str, str]) -> None:
        self.stop()
        self.settings = dict(settings)
        self.start()

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def version(self) -> str:
        return self.execute("SHOW server_version")[0][0]

    def size(self, database: str = DATABASE) -> int:
        return self.execute("SELECT pg_database_size(%s)", params=(database,))[0][0]


@dataclass
class World:
    """The private services and the environment every process of the run shares."""

    workdir: Path
    pg: Postgres
    redis: harness.Redis
    procs: list[Proc] = field(default_factory=list)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    @classmethod
    def create(cls, issues: int) -> World:
        workdir = VAR / f"data-{issues}"
        pg = Postgres(workdir)
        runtime = workdir / "run"
        shutil.rmtree(runtime, ignore_errors=True)
        runtime.mkdir(parents=True)
        return cls(workdir, pg, harness.Redis(runtime))

    @property
    def runtime(self) -> Path:
        return self.workdir / "run"

    def env(self, settings: str = "issuetracker.settings") -> dict[str, str]:
        """Production settings: DEBUG off, PostgreSQL and Redis, a real secret."""
        base = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
            and not key.startswith("BENCH_")
        }
        return {
            **base,
            "DJANGO_SETTINGS_MODULE": settings,
            "DEBUG": "0",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: the HTTPS redirect would answer every request 301.
            "SECURE_SSL_REDIRECT": "0",
            "SITE_URL": "http://127.0.0.1",
            "DATABASE_URL": self.pg.url(DATABASE),
            "REDIS_URL": self.redis.url,
            # Notification emails are rendered and handed to a backend that drops them.
            "EMAIL_URL": "dummy:",
            "API_RATE_LIMIT_USER": API_RATE_LIMIT_USER,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, args, env, self.runtime / f"{name}.log").start()
        self.procs.append(proc)
        return proc

    def manage(self, *args: str, progress: bool = False) -> subprocess.CompletedProcess:
        """`manage.py <args>` on the bench database, its output captured; with `progress`
        its stderr (where seed_demo draws its progress bar) stays on this terminal."""
        return subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)  # nosec B603
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=None if progress else subprocess.PIPE,
            text=True,
            check=False,
        )

    def start_web(self, workers: int = 2, threads: int = 4) -> tuple[Proc, int]:
        """gunicorn as the Dockerfile starts it (gthread, 2 workers x 4 threads, its
        default 30 s worker timeout, access log on), with the bench settings: the app's
        urls plus the floor views, and the query-count middleware."""
        port = free_port()
        proc = self.spawn(
            "gunicorn",
            [PY, "-m", "gunicorn", "issuetracker.wsgi", "--worker-class", "gthread",
             "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
             "--access-logfile", str(self.runtime / "access.log")],
            self.env("bench.settings"),
        )  # fmt: skip
        client = harness.Http(port)
        if not wait_until(lambda: client.status("GET", "/healthz") == 200, 90, 0.5):
            raise RuntimeError("gunicorn did not start:\n" + proc.output()[-3000:])
        client.close()
        return proc, port

    def start_worker(self, concurrency: int = 2) -> Proc:
        """A Celery worker as docker-compose runs it (prefork, one process per core)."""
        return self.spawn(
            f"worker-{len(self.procs)}",
            [PY, "-m", "celery", "-A", "issuetracker", "worker", "--concurrency",
             str(concurrency), "--loglevel", "WARNING", "--without-heartbeat",
             "--without-mingle", "--without-gossip"],
            self.env(),
        )  # fmt: skip

    def stop(self, proc: Proc) -> None:
        proc.stop(timeout=20)
        with contextlib.suppress(ValueError):
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop(timeout=20)
        self.procs.clear()


__all__ = ["DATABASE", "VAR", "World", "port_open"]
