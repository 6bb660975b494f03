"""The load process: a closed-loop HTTP/1.1 client on asyncio, one keep-alive connection
per simulated user, bounded in time.

    python -m bench.load < spec.json > result.json

Each connection sends a request, reads the whole response, and sends the next one at
once (closed loop: the server's speed sets the rate). For `warmup` seconds nothing is
recorded; then every response that completes within the next `duration` seconds is:
its latency (request written to body read), its status, and the server's
`X-Bench-Queries`. Requests still running at the end are waited for (up to `timeout`)
but not recorded. CPU time of the given process trees (gunicorn, PostgreSQL, the Celery
worker) and of this process is read from /proc at the start and end of the window.

The spec (JSON on stdin):
    {"port": 8000, "concurrency": 4, "duration": 10, "warmup": 1, "timeout": 60,
     "requests": [{"method": "GET", "path": "/...", "headers": {...}, "body": null,
                   "expect": 200}],
     "cpu": {"app": <pid>, "db": <pid>}}
Connection i sends requests[(i + k) % len(requests)] as its k-th request; "{n}" in a body
becomes a value unique to that request.

With "workers": W and "place": {"path": ...} in the spec, each connection is placed
before it is used: it sends that (cheap) request and reads `X-Bench-Worker` (the pid
that answered); while that worker already holds its share of the connections (c / W,
rounded up), it reconnects. Keep-alive connections stay with the worker that accepted
them, and the kernel hands four connections to two workers at random: one worker
often held three or all four, so half the cores idled while the measured requests
queued on one GIL (at c=4 the same build measured 14 and 25 req/s in turn). Many users
spread over the workers; the placement gives the benchmark's few connections that
spread. The result says how the connections ended up ("placement").
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from .procstat import cpu_seconds, own_cpu_seconds

READ_LIMIT = 16 * 1024 * 1024


class ProtocolError(Exception):
    pass


@dataclass
class Window:
    start: float
    end: float
    completed: int = 0  # every response, recorded or not (warm-up and tail included)
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    queries: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def record(self, done: float, seconds: float, status: int, expect: int, queries) -> None:
        self.completed += 1
        if not self.start <= done <= self.end:
            return
        self.latencies.append(seconds)
        self.statuses[str(status)] += 1
        if queries is not None:
            self.queries[queries] += 1
        if status != expect:
            self.errors[f"status {status}"] += 1

    def fail(self, done: float, error: BaseException) -> None:
        if self.start <= done <= self.end:
            self.errors[type(error).__name__] += 1


def encode(spec: dict, port: int, n: str) -> bytes:
    body = spec.get("body")
    payload = body.replace("{n}", n).encode() if body is not None else b""
    lines = [f"{spec['method']} {spec['path']} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in spec.get("headers", {}).items()]
    if body is not None:
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(chunk[:-2] for chunk in chunks)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return int(parts[1]), headers, body


PLACE_ATTEMPTS = 50  # reconnects per connection before it takes any worker


class Placement:
    """Which worker holds how many of the connections, and how full each may get."""

    def __init__(self, spec: dict):
        workers = spec.get("workers") or 0
        place = spec.get("place")
        self.request = encode({"method": "GET", **place}, spec["port"], "") if place else None
        self.share = -(-spec["concurrency"] // workers) if workers and place else None
        self.held: Counter = Counter()
        self.reconnects = 0
        self.unplaced = 0
        self.spread: list[int] = []

    def take(self, worker: str | None, *, anyway: bool = False) -> bool:
        if self.share is not None and worker and not anyway and self.held[worker] >= self.share:
            return False
        if worker:
            self.held[worker] += 1
            # As the connections are while they are used (they close at the end).
            self.spread = sorted(self.held.values(), reverse=True)
        return True

    def release(self, worker: str | None) -> None:
        if worker and self.held[worker] > 0:
            self.held[worker] -= 1

    def report(self) -> dict:
        return {
            "share": self.share,
            "connections_per_worker": self.spread,
            "reconnects": self.reconnects,
            "unplaced": self.unplaced,
        }


class Connection:
    def __init__(self, port: int, placement: Placement | None = None):
        self.port = port
        self.placement = placement
        self.worker: str | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", self.port, limit=READ_LIMIT
        )

    async def _place(self) -> None:
        placement = self.placement
        for attempt in range(PLACE_ATTEMPTS):
            await self._open()
            self.writer.write(placement.request)
            await self.writer.drain()
            _, headers, _ = await read_response(self.reader)
            worker = headers.get("x-bench-worker")
            last = attempt == PLACE_ATTEMPTS - 1
            if headers.get("connection", "").lower() != "close" and placement.take(
                worker, anyway=last
            ):
                self.worker = worker
                placement.unplaced += last
                return
            placement.reconnects += 1
            self.close()

    async def send(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            if self.placement is not None and self.placement.request is not None:
                await self._place()
            else:
                await self._open()
        self.writer.write(raw)
        await self.writer.drain()
        status, headers, body = await read_response(self.reader)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.placement is not None:
            self.placement.release(self.worker)
        self.worker = None
        self.reader = self.writer = None


async def user(
    index: int, spec: dict, window: Window, stop_at: float, placement: Placement
) -> None:
    requests, port, timeout = spec["requests"], spec["port"], spec.get("timeout", 60)
    connection = Connection(port, placement)
    sent = 0
    while time.perf_counter() < stop_at:
        request = requests[(index + sent) % len(requests)]
        raw = encode(request, port, f"{index}-{sent}-{time.time_ns()}")
        sent += 1
        started = time.perf_counter()
        try:
            status, headers, _ = await asyncio.wait_for(connection.send(raw), timeout)
        except (OSError, EOFError, TimeoutError, ProtocolError, ValueError,
                asyncio.LimitOverrunError) as error:  # fmt: skip
            connection.close()
            window.fail(time.perf_counter(), error)
            await asyncio.sleep(0.01)  # a refused connection must not spin the loop
            continue
        done = time.perf_counter()
        queries = headers.get("x-bench-queries")
        window.record(
            done,
            done - started,
            status,
            request.get("expect", 200),
            int(queries) if queries and queries.isdigit() else None,
        )
    connection.close()


async def run(spec: dict) -> dict:
    loop_start = time.perf_counter()
    window = Window(loop_start + spec.get("warmup", 1.0), 0.0)
    window.end = window.start + spec["duration"]
    roots = {name: int(pid) for name, pid in spec.get("cpu", {}).items() if pid}
    readings: dict[str, dict[str, float]] = {}
    placement = Placement(spec)

    async def read_cpu(at: float, label: str) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        reading = await asyncio.to_thread(cpu_seconds, roots)
        reading["client"] = own_cpu_seconds()
        readings[label] = {**reading, "at": time.perf_counter()}

    users = [user(i, spec, window, window.end, placement) for i in range(spec["concurrency"])]
    await asyncio.gather(read_cpu(window.start, "start"), read_cpu(window.end, "end"), *users)
    start, end = readings["start"], readings["end"]
    return {
        "concurrency": spec["concurrency"],
        "seconds": end["at"] - start["at"],
        "completed": window.completed,
        "latencies": window.latencies,
        "statuses": dict(window.statuses),
        "queries": {str(k): v for k, v in window.queries.items()},
        "errors": dict(window.errors),
        "cpu_seconds": {name: end[name] - start[name] for name in start if name != "at"},
        "placement": placement.report(),
    }


def main() -> None:
    spec = json.load(sys.stdin)
    result = asyncio.run(run(spec))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
