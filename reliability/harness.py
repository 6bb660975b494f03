"""The shared harness: private PostgreSQL and Redis, the app's processes, an HTTP client.

Nothing here touches the machine's own PostgreSQL (5432) or Redis (6379): the suite
starts its own on free loopback ports, in a temporary directory that is removed at the
end, and every process it starts is in its own process group, killed on the way out.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


class Unavailable(Exception):
    """Something the suite needs is missing on this machine (said plainly, not a trace)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
        return True
    except OSError:
        return False


# --- processes ----------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> Proc:
        out = open(self.log, "ab")  # noqa: SIM115 (handed to the child; closed with it)
        # Our own interpreter and programs with fixed arguments.
        self.popen = subprocess.Popen(  # noqa: S603 (our programs, fixed arguments)  # nosec B603
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill it with its children
        )
        out.close()
        return self

    def signal(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the process and its children (a crashed container, an OOM kill)."""
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        # Children left behind by a parent that exited (prefork pool processes).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class Redis:
    """A private redis-server on a free port, nothing saved to disk."""

    def __init__(self, workdir: Path):
        if not shutil.which("redis-server"):
            raise Unavailable("redis-server is not installed (apt-get install redis-server).")
        self.port = free_port()
        self.proc = Proc(
            "redis",
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(workdir)],
            dict(os.environ),
            workdir / "redis.log",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc.start()
        if not wait_until(lambda: port_open(self.port), 15):
            raise Unavailable("the private redis-server did not start:\n" + self.proc.output())

    def stop(self) -> None:
        self.proc.stop()

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()


class Postgres:
    """A private PostgreSQL cluster (initdb + pg_ctl as the postgres OS user) on a free
    port, trust authentication on 127.0.0.1 only, data in a temporary directory."""

    def __init__(self, workdir: Path):
        if not (PG_BIN / "initdb").exists():
            raise Unavailable(
                f"initdb not found in {PG_BIN} (install postgresql-15 or set PG_BIN): "
                "the suite needs its own PostgreSQL cluster."
            )
        self.dir = workdir / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", PG_USER, "--"]

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 (PostgreSQL's own programs, fixed arguments)  # nosec B603
            [*self.as_postgres, *args], capture_output=True, text=True, check=check, cwd="/"
        )

    def init(self) -> None:
        self.dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.dir, PG_USER, PG_USER)
        result = self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8", check=False,
        )  # fmt: skip
        if result.returncode:
            raise Unavailable("initdb failed:\n" + result.stdout + result.stderr)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\nmax_connections = 200\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 64MB\n"
            )

    def start(self) -> None:
        result = self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
            "-w", "-t", "60", "start", check=False,
        )  # fmt: skip
        if result.returncode:
            raise Unavailable("PostgreSQL did not start:\n" + result.stdout + result.stderr)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
                  check=False)  # fmt: skip

    def running(self) -> bool:
        return self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status",
                         check=False).returncode == 0  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres", params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def tool(self, name: str, *args: str) -> subprocess.CompletedProcess:
        """pg_dump, pg_restore, ... against this cluster (over TCP, trust)."""
        return subprocess.run(  # noqa: S603 (PostgreSQL's own programs, fixed arguments)  # nosec B603
            [str(PG_BIN / name), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             *args],
            capture_output=True, text=True, check=True,
        )  # fmt: skip


# --- the suite's world ----------------------------------------------------------------


@dataclass
class World:
    """What every scenario shares: the private services and the app's environment."""

    workdir: Path
    redis: Redis
    pg: Postgres
    quick: bool
    base_env: dict[str, str]
    template_db: str = "tracker_template"
    procs: list[Proc] = field(default_factory=list)

    def env(self, database: str, smtp_port: int, **extra: str) -> dict[str, str]:
        return {
            **self.base_env,
            "DATABASE_URL": self.pg.url(database),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=5",
            **extra,
        }

    def scale(self, number: int, minimum: int = 1) -> int:
        """The issue's numbers, divided for --quick."""
        return max(minimum, number // 4) if self.quick else number

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, args, env, self.workdir / f"{name}.log").start()
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop(timeout=10)
        self.procs.clear()


def make_world(quick: bool) -> World:
    workdir = Path(tempfile.mkdtemp(prefix="reliability-"))
    workdir.chmod(0o755)
    redis = Redis(workdir)
    pg = Postgres(workdir)
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    base_env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SITE_URL": "http://127.0.0.1",
            "REDIS_URL": redis.url,
            "OUTBOX_DRAIN_SECONDS": "5",
            "EMAIL_CLAIM_TIMEOUT_SECONDS": "20",
            "STALE_SWEEP_MINUTES": "1",
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return World(workdir, redis, pg, quick, base_env)


@dataclass
class Apps:
    """The app's processes for one scenario, on one database and one SMTP sink."""

    world: World
    database: str
    smtp_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    sink_file: Path = field(init=False)
    web: Proc | None = None
    sink: Proc | None = None
    workers: dict[str, Proc] = field(default_factory=dict)
    beats: list[Proc] = field(default_factory=list)

    def __post_init__(self):
        self.sink_file = self.world.workdir / f"mail-{self.database}.jsonl"

    @property
    def env(self) -> dict[str, str]:
        return self.world.env(self.database, self.smtp_port)

    def start_sink(self) -> Proc:
        self.sink = self.world.spawn(
            f"sink-{self.database}",
            [PY, "-m", "reliability.smtp_sink", str(self.smtp_port), str(self.sink_file)],
            self.env,
        )
        if not wait_until(lambda: port_open(self.smtp_port), 20):
            raise RuntimeError("the SMTP sink did not start:\n" + self.sink.output())
        return self.sink

    def start_web(self, workers: int = 2, threads: int = 4) -> Proc:
        self.web = self.world.spawn(
            f"gunicorn-{self.database}",
            [PY, "-m", "gunicorn", "issuetracker.wsgi", "--worker-class", "gthread",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
             "--bind", f"127.0.0.1:{self.web_port}", "--log-level", "warning"],
            self.env,
        )  # fmt: skip
        client = Http(self.web_port)
        if not wait_until(lambda: client.status("GET", "/healthz") == 200, 60, 0.5):
            raise RuntimeError("gunicorn did not start:\n" + self.web.output()[-3000:])
        return self.web

    def start_worker(self, name: str = "w1", concurrency: int = 2) -> Proc:
        proc = self.world.spawn(
            f"worker-{name}-{self.database}-{len(self.world.procs)}",
            [PY, "-m", "celery", "-A", "issuetracker", "worker", "--concurrency",
             str(concurrency), "--loglevel", "WARNING", "--without-heartbeat",
             "--without-mingle", "--without-gossip", "-n", f"{name}@%h"],
            self.env,
        )  # fmt: skip
        self.workers[name] = proc
        return proc

    def start_beat(self, name: str = "beat") -> Proc:
        schedule = self.world.workdir / f"{name}-{self.database}-schedule"
        proc = self.world.spawn(
            f"{name}-{self.database}",
            [PY, "-m", "celery", "-A", "issuetracker", "beat", "--loglevel", "INFO",
             "-s", str(schedule)],
            self.env,
        )  # fmt: skip
        self.beats.append(proc)
        return proc

    def mail(self) -> list[dict]:
        from .smtp_sink import read

        return read(str(self.sink_file))


# --- the runner's own Django (seeding and counting, on the scenario's database) ---------


def use_database(world: World, database: str) -> None:
    """Create `database` from the migrated template and point this process's ORM at it."""
    from django.db import connections

    connections.close_all()
    world.pg.execute(f'CREATE DATABASE "{database}" TEMPLATE "{world.template_db}"')
    connection = connections["default"]
    connection.settings_dict["NAME"] = database


def close_db() -> None:
    from django.db import connections

    connections.close_all()


# --- HTTP ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Http:
    """A small keep-alive HTTP/1.1 client with cookies and CSRF, one per thread."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        data: object = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = {"Host": "127.0.0.1", **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            all_headers["Content-Type"] = "application/json"
        if self.token and path.startswith("/api/"):
            all_headers["Authorization"] = f"Bearer {self.token}"
        elif self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if method != "GET" and "csrftoken" in self.cookies:
                all_headers["X-CSRFToken"] = self.cookies["csrftoken"]
                all_headers["Referer"] = f"http://127.0.0.1:{self.port}/"
        started = time.monotonic()
        for attempt in (1, 2):
            reused = self.conn is not None
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=all_headers)
                raw = conn.getresponse()
                payload = raw.read()
                break
            except (OSError, http.client.HTTPException) as error:
                self.close()
                # The server closed an idle keep-alive connection before it read this
                # request: send it again on a new one, as browsers do. Anything else is
                # the scenario's error.
                stale = isinstance(error, STALE_CONNECTION) and reused
                if attempt == 2 or not stale:
                    raise
                self.reconnects += 1
        elapsed = time.monotonic() - started
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip().strip('"')
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload, elapsed)

    def status(self, method: str, path: str) -> int | None:
        try:
            return self.request(method, path).status
        except (OSError, http.client.HTTPException):
            return None

    def login(self, username: str, password: str) -> None:
        page = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or not match:
            raise RuntimeError(f"no sign-in form ({page.status})")
        response = self.request(
            "POST",
            "/accounts/login/",
            form={"username": username, "password": password,
                  "csrfmiddlewaretoken": match.group(1).decode()},
        )  # fmt: skip
        if response.status != 302:
            raise RuntimeError(f"sign-in as {username} failed ({response.status})")


def run_threads(count: int, target: Callable[[int], None]) -> None:
    """Start `count` threads behind a barrier (all begin together) and wait for them."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- seeding (through the services, in the runner's process) ---------------------------

PASSWORD = "reliability-password-1"  # noqa: S105 (throwaway users in a throwaway cluster)  # nosec B105


@dataclass
class Team:
    team: object
    admin: object
    members: list
    tokens: dict[str, str]


def seed_team(key: str = "REL", members: int = 10, *, tokens: bool = True) -> Team:
    from accounts.models import Membership, User
    from accounts.tokens import create_token
    from issues import services

    team = services.create_team(key=key, name=f"Team {key}", actor=None)
    users = []
    for index in range(members + 1):
        user = User.objects.create_user(
            username=f"{key.lower()}{index}",
            email=f"{key.lower()}{index}@example.test",
            password=PASSWORD,
        )
        role = Membership.Role.ADMIN if index == 0 else Membership.Role.MEMBER
        Membership.objects.create(user=user, team=team, role=role)
        users.append(user)
    raw = {}
    if tokens:
        for user in users:
            raw[user.username] = create_token(user, name="reliability", actor=None)[1]
    return Team(team, users[0], users[1:], raw)


def rows(model, **filters) -> int:
    return model.objects.filter(**filters).count()
