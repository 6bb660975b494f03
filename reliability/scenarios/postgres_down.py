"""PostgreSQL is stopped (pg_ctl stop -m fast: every connection cut) under light load
(two clients: the list page, and creates through the API), then started again.

Target: while it is down every answer is a clear 503 with Retry-After (no 500, no hang);
no half-written issue (each has its `created` event, keys stay gap-free, every 201 is
in the database); gunicorn recovers on its own (same master process)."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from functools import partial

from ..harness import PASSWORD, Apps, Http, World, close_db, seed_team, wait_until
from .common import api_client, create_issue

SLOW = 5.0  # seconds: an answer slower than this counts as a hang


def run(world: World, apps: Apps) -> tuple[str, bool]:
    outage = 5 if world.quick else 15
    team = seed_team(members=2)
    apps.start_sink()
    web = apps.start_web()
    apps.start_worker()
    apps.start_beat()
    master = web.pid
    phase = ["before"]
    log: list[tuple[str, int | None, float, str]] = []
    created: list[str] = []
    stop = threading.Event()

    browser = Http(apps.web_port, timeout=30)
    browser.login(team.members[0].username, PASSWORD)

    def browse() -> None:
        client = browser
        while not stop.is_set():
            record(client, partial(client.request, "GET", "/teams/REL/issues/"))
            time.sleep(0.1)

    def write() -> None:
        client = api_client(apps, team.tokens[team.admin.username])
        number = 0
        while not stop.is_set():
            number += 1
            title = f"Under outage {number}"
            response = record(client, partial(create_issue, client, "REL", title))
            if response is not None and response.status == 201:
                created.append(title)
            time.sleep(0.1)

    def record(client, call):
        current = phase[0]
        started = time.monotonic()
        try:
            response = call()
        except (OSError, http.client.HTTPException) as error:
            log.append((current, None, time.monotonic() - started, str(error)))
            return None
        retry_after = response.headers.get("retry-after", "")
        log.append((current, response.status, response.seconds, retry_after))
        return response

    threads = [threading.Thread(target=f, daemon=True) for f in (browse, write)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    close_db()
    phase[0] = "stopping"  # requests racing the shutdown may still succeed: not judged
    world.pg.stop("fast")
    phase[0] = "down"
    time.sleep(outage)
    phase[0] = "restarting"
    world.pg.start()
    back = time.monotonic()
    phase[0] = "after"
    recovered = wait_until(
        lambda: any(p == "after" and s in (200, 201) for p, s, _, _ in log), 30, 0.1
    )
    recovery = time.monotonic() - back
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(timeout=40)

    from accounts.models import Team
    from issues.models import Issue, IssueEvent

    down = [entry for entry in log if entry[0] == "down"]
    down_503 = sum(1 for _, status, _, ra in down if status == 503 and ra)
    down_other = len(down) - down_503
    server_errors = sum(1 for _, status, _, _ in log if status is not None and status >= 500
                        and status != 503)  # fmt: skip
    slowest = max((seconds for _, _, seconds, _ in down), default=0.0)
    issues = list(Issue.objects.order_by("number").values_list("pk", "number", "title"))
    numbers = [number for _, number, _ in issues]
    with_created = set(IssueEvent.objects.filter(kind="created").values_list("issue_id", flat=True))
    half_written = sum(1 for pk, _, _ in issues if pk not in with_created)
    titles = {title for _, _, title in issues}
    lost = sum(1 for title in created if title not in titles)
    gap_free = numbers == list(range(1, len(numbers) + 1))
    next_number = Team.objects.get(key="REL").next_number
    after_ok = sum(1 for p, s, _, _ in log if p == "after" and s in (200, 201))
    ok = (
        bool(down)
        and down_other == 0
        and server_errors == 0
        and slowest < SLOW
        and recovered
        and after_ok > 0
        and half_written == 0
        and lost == 0
        and gap_free
        and next_number == len(numbers) + 1
        and web.alive()
        and web.pid == master
    )
    others = Counter(str(status or error) for _, status, _, error in down
                     if not (status == 503 and error))  # fmt: skip
    unexpected = f" (others: {dict(others)})" if others else ""
    line = (
        f"{down_503}/{len(down)} answers 503+Retry-After{unexpected} during a {outage} s outage "
        f"(slowest {slowest * 1000:.0f} ms), {server_errors} 500s, recovered "
        f"{recovery:.1f} s after restart without restarting gunicorn, {len(issues)} issues "
        f"{'gap-free' if gap_free else 'WITH GAPS'}, {half_written} half-written, "
        f"{lost} acknowledged but missing"
    )
    return line, ok
