"""Pure arithmetic of the benchmark: percentiles, median and range over repeats, and the
figures of one load point."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], pct: float) -> float | None:
    """The pct-th percentile, interpolating linearly between the two nearest ranks (as
    numpy's default and PostgreSQL's percentile_cont): the median of 1, 2, 3, 10 is 2.5.
    None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} is outside 0..100")
    position = (len(ordered) - 1) * pct / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Iterable[float | None]) -> dict[str, float] | None:
    """Median, lowest and highest of the repeats of one figure (missing ones left out);
    None when every repeat is missing."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return {"median": percentile(present, 50), "min": min(present), "max": max(present)}


def _histogram_values(histogram: dict[str, int]) -> list[int]:
    return [int(value) for value, n in histogram.items() for _ in range(n)]


def _per_request_ms(seconds: float | None, count: int) -> float | None:
    return None if seconds is None or not count else seconds * 1000 / count


def summarize(raw: dict, duration: float) -> dict:
    """The figures of one load point from the load process's raw result: requests/s over
    the window, p50/p99 in ms, errors, SQL queries per request (median, min, max of the
    responses' counts) and CPU milliseconds per request of each measured process tree."""
    latencies = raw["latencies"]
    count = len(latencies)
    queries = _histogram_values(raw.get("queries", {}))
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    cpu = raw.get("cpu_seconds", {})
    return {
        "requests": count,
        "rps": count / duration if duration else 0.0,
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
        "errors": sum(raw.get("errors", {}).values()),
        "error_kinds": raw.get("errors", {}),
        "queries": percentile(queries, 50),
        "queries_min": min(queries, default=None),
        "queries_max": max(queries, default=None),
        **{f"{name}_cpu_ms": _per_request_ms(cpu.get(name), count) for name in sorted(cpu)},
        "placement": raw.get("placement"),
    }


def per_request(delta: float, raw: dict) -> float | None:
    """A counter's change over a whole point (warm-up and tail included) per response
    completed in that time."""
    completed = raw.get("completed") or 0
    return delta / completed if completed else None


FIGURES = ("rps", "p50_ms", "p99_ms", "queries", "app_cpu_ms", "db_cpu_ms", "worker_cpu_ms",
           "client_cpu_ms", "db_sessions")  # fmt: skip


def combine(runs: list[dict]) -> dict:
    """One load point over its repeats: each figure as median and range; errors summed;
    the extreme query counts seen in any repeat."""
    combined: dict = {"repeats": len(runs), "errors": sum(run["errors"] for run in runs)}
    for name in FIGURES:
        if any(name in run for run in runs):
            combined[name] = spread(run.get(name) for run in runs)
    lows = [run["queries_min"] for run in runs if run.get("queries_min") is not None]
    highs = [run["queries_max"] for run in runs if run.get("queries_max") is not None]
    combined["queries_min"] = min(lows, default=None)
    combined["queries_max"] = max(highs, default=None)
    return combined


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference
