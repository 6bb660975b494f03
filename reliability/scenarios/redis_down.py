"""Redis (broker and cache) is stopped while issues are created through the API and the
New issue page, each with an assignee; then it is started again (empty).

Target: every request succeeds, none slow (the app publishes through the outbox and its
cache fails open), and every notification and email arrives once Redis is back."""

from __future__ import annotations

from ..harness import Apps, Http, World, seed_team, wait_until
from .common import api_client, create_issue, create_issue_page, deliveries

MAX_LATENCY = 2.0  # seconds, for any one request while Redis is down


def run(world: World, apps: Apps) -> tuple[str, bool]:
    total = world.scale(60, minimum=2)
    team = seed_team(members=10)
    apps.start_sink()
    apps.start_web()
    apps.start_worker(concurrency=2)
    apps.start_beat()
    api = api_client(apps, team.tokens[team.admin.username])
    page = Http(apps.web_port)
    from ..harness import PASSWORD

    page.login(team.admin.username, PASSWORD)
    world.redis.stop()
    statuses, latencies = [], []
    for number in range(total):
        member = team.members[number % len(team.members)]
        if number % 2:
            response = create_issue(api, "REL", f"Redis down {number}", member.username)
            ok_status = 201
        else:
            response = create_issue_page(page, "REL", f"Redis down {number}", member.pk)
            ok_status = 302
        statuses.append(response.status == ok_status)
        latencies.append(response.seconds)
    world.redis.start()
    wait_until(lambda: min(deliveries(apps)[:2]) >= total, timeout=120, interval=1)
    notes, mails, duplicates = deliveries(apps)
    succeeded = sum(statuses)
    worst = max(latencies)
    ok = (
        succeeded == total
        and worst <= MAX_LATENCY
        and notes == total
        and mails == total
        and duplicates == 0
    )
    line = (
        f"{succeeded}/{total} requests OK while down (max {worst * 1000:.0f} ms, "
        f"mean {sum(latencies) / len(latencies) * 1000:.0f} ms), {notes}/{total} in-app, "
        f"{mails}/{total} emails after restart, {duplicates} duplicates"
    )
    return line, ok
