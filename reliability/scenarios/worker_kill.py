"""The Celery worker is SIGKILLed (with its pool) three times while assignment
notifications are produced and delivered; a new worker is started each time.

Target: exactly N in-app notifications, N emails (one per assignment), none twice.
Lost tasks come back through the outbox drain and requeue_unsent_emails (beat)."""

from __future__ import annotations

import threading
import time

from ..harness import Apps, World, seed_team, wait_until
from .common import api_client, create_issue, deliveries

KILLS = 3


def run(world: World, apps: Apps) -> tuple[str, bool]:
    total = world.scale(200)
    team = seed_team(members=10)
    apps.start_sink()
    apps.start_web()
    apps.start_worker(concurrency=2)
    apps.start_beat()
    failures: list[int] = []

    def produce(offset: int) -> None:
        client = api_client(apps, team.tokens[team.admin.username])
        for number in range(offset, total, 4):
            assignee = team.members[number % len(team.members)].username
            response = create_issue(client, "REL", f"Worker kill {number}", assignee)
            if response.status != 201:
                failures.append(response.status)

    producers = [threading.Thread(target=produce, args=(i,), daemon=True) for i in range(4)]
    for thread in producers:
        thread.start()
    for _ in range(KILLS):
        time.sleep(3)
        apps.workers["w1"].kill()
        time.sleep(0.5)
        apps.start_worker(concurrency=2)
    for thread in producers:
        thread.join()

    def done() -> bool:
        notes, mails, _ = deliveries(apps)
        return notes >= total and mails >= total

    wait_until(done, timeout=150, interval=1)
    notes, mails, duplicates = deliveries(apps)
    ok = not failures and notes == total and mails == total and duplicates == 0
    line = (
        f"{notes}/{total} in-app, {mails}/{total} emails, {duplicates} duplicates, "
        f"{KILLS} kills, {len(failures)} failed requests"
    )
    return line, ok
