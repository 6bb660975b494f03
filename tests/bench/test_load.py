"""The load process spreads its keep-alive connections over the server's workers before
it measures, so a point is not run on one worker's GIL while the other core idles."""

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor

from bench import load
from bench.runner import notes


async def _serve(workers):
    """A keep-alive HTTP server: each new connection is "answered by" the next worker
    that `workers` yields (as the kernel picks, here at its worst), which every response
    on that connection names in X-Bench-Worker."""

    async def handle(reader, writer):
        worker = next(workers)
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bench-Worker: "
                    + worker.encode()
                    + b"\r\n\r\nok"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _run(answered_by, **spec):
    async def main():
        server = await _serve(answered_by)
        port = server.sockets[0].getsockname()[1]
        try:
            return await load.run(
                {
                    "port": port,
                    "concurrency": 4,
                    "duration": 0.3,
                    "warmup": 0.05,
                    "timeout": 5,
                    "requests": [{"method": "GET", "path": "/measured/"}],
                    **spec,
                }
            )
        finally:
            server.close()

    # In a thread of its own: a browser test in the same worker may hold this thread's
    # event loop open (Playwright's sync API), and asyncio.run refuses a running loop.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main()).result()


PLACED = {"workers": 2, "place": {"path": "/cheap/"}}


def test_connections_are_spread_over_the_workers_before_they_are_used():
    # The first six connections land on worker a: two stay, the others reconnect.
    result = _run(itertools.chain(["a"] * 6, itertools.repeat("b")), **PLACED)

    assert result["placement"]["connections_per_worker"] == [2, 2]
    assert result["placement"]["share"] == 2
    assert result["placement"]["reconnects"] == 4
    assert result["placement"]["unplaced"] == 0
    assert result["latencies"] and not result["errors"]


def test_without_placement_the_kernels_pick_stands():
    result = _run(itertools.repeat("a"))

    assert result["placement"]["share"] is None
    assert result["placement"]["reconnects"] == 0


def test_a_server_that_never_spreads_them_is_measured_anyway_and_the_report_says_so(
    monkeypatch,
):
    monkeypatch.setattr(load, "PLACE_ATTEMPTS", 3)
    result = _run(itertools.repeat("a"), **PLACED)

    placement = result["placement"]
    assert placement["connections_per_worker"] == [4]
    assert placement["unplaced"] == 2
    assert result["latencies"] and not result["errors"]

    ops = {"list-page": {"points": {"4": {"runs": [{"placement": placement}], "summary": {}}}}}
    said = " ".join(notes({"ops": ops}, overhead_us=10.0))
    assert "list-page c=4 (4)" in said
