"""One module per scenario, each with `run(world, apps) -> (figures, ok)`, in run order.
Modules are imported when run (after Django is set up)."""

from importlib import import_module

NAMES = {
    "worker-kill": "worker_kill",
    "smtp-down": "smtp_down",
    "redis-down": "redis_down",
    "postgres-down": "postgres_down",
    "stale-beats": "stale_beats",
    "concurrency": "concurrency",
    "load": "load",
    "backup-restore": "backup_restore",
}
SCENARIOS = list(NAMES)


def scenario(name: str):
    return import_module(f"{__name__}.{NAMES[name]}")
