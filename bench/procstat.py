"""CPU time and machine facts from /proc (Linux), for the load process and the runner."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, utime + stime + cutime + cstime in ticks), or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    return int(fields[1]), sum(int(v) for v in fields[11:15])


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each root process and all its descendants.

    Each process counts its own time plus that of the children it has reaped
    (cutime/cstime), so a backend or worker that exits between two readings keeps its
    time in its parent's figure: the difference of two readings is exact."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            found = _stat(entry.name)
            if found is not None:
                pid = int(entry.name)
                ticks[pid] = found[1]
                children.setdefault(found[0], []).append(pid)
    totals = {}
    for name, root in roots.items():
        total, todo = 0, [root] if root in ticks else []
        while todo:
            pid = todo.pop()
            total += ticks.get(pid, 0)
            todo.extend(children.get(pid, []))
        totals[name] = total / CLOCK_TICKS
    return totals


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def machine() -> dict[str, object]:
    """CPU model, cores and memory of this machine."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    return {"cpu": model, "cores": os.cpu_count(), "memory_bytes": memory}
