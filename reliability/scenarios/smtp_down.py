"""The SMTP server is down for 90 s while notifications are produced; then it returns.

Target: every email delivered after it returns, none twice, within a bounded time
(the email task's retries, and requeue_unsent_emails on beat for those whose backoff
would wait longer)."""

from __future__ import annotations

import time

from ..harness import Apps, World, seed_team, wait_until
from .common import api_client, create_issue, deliveries

# After the sink returns, every email must have arrived within this many seconds.
DELIVERY_BOUND = 90


def run(world: World, apps: Apps) -> tuple[str, bool]:
    total = world.scale(50)
    outage = 20 if world.quick else 90
    team = seed_team(members=10)
    apps.start_sink()
    apps.start_web()
    apps.start_worker(concurrency=2)
    apps.start_beat()
    apps.sink.stop()
    down_at = time.monotonic()
    client = api_client(apps, team.tokens[team.admin.username])
    failures = 0
    spacing = min(0.3, outage / 2 / total)
    for number in range(total):
        assignee = team.members[number % len(team.members)].username
        failures += create_issue(client, "REL", f"Mail outage {number}", assignee).status != 201
        time.sleep(spacing)
    time.sleep(max(0.0, outage - (time.monotonic() - down_at)))
    sent_while_down = len(apps.mail())
    apps.start_sink()
    back_at = time.monotonic()
    wait_until(lambda: deliveries(apps)[1] >= total, timeout=DELIVERY_BOUND + 30, interval=1)
    notes, mails, duplicates = deliveries(apps)
    after = time.monotonic() - back_at
    ok = (
        not failures
        and sent_while_down == 0
        and notes == total
        and mails == total
        and duplicates == 0
        and after <= DELIVERY_BOUND
    )
    line = (
        f"{mails}/{total} emails after a {outage} s outage, {duplicates} duplicates, "
        f"all in {after:.1f} s after the sink returned (bound {DELIVERY_BOUND} s), "
        f"{notes}/{total} in-app"
    )
    return line, ok
