"""60 s of a realistic mix from 20 simulated users (threads with keep-alive
connections), against gunicorn (2 workers x 4 threads) with a worker and beat running:
the team's list page 40%, an issue page 30%, a create with an assignee through the API
15%, a comment through the issue page's form 15%.

Figures: requests per second, p50/p95/p99 latency; target: zero errors. The machine is
shared, so the latencies are what they are on it: reported, not judged."""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter

from ..harness import PASSWORD, Apps, Http, World, percentile, run_threads, seed_team
from .common import create_issue

USERS = 20


def _seed_issues(team, count: int) -> list[str]:
    from issues import services

    with services.events_unpublished():
        return [
            services.create_issue(team.team, actor=team.admin, title=f"Existing {n}").key
            for n in range(count)
        ]


def run(world: World, apps: Apps) -> tuple[str, bool]:
    duration = 15 if world.quick else 60
    team = seed_team(members=USERS)
    keys = _seed_issues(team, 100)
    apps.start_sink()
    apps.start_web()
    apps.start_worker()
    apps.start_beat()
    latencies: list[float] = []
    errors: list[str] = []
    mix: dict[str, int] = {}
    lock = threading.Lock()
    ready = threading.Barrier(USERS)
    started, deadline = [0.0], [0.0]

    def user(index: int) -> None:
        member = team.members[index]
        rng = random.Random(index)  # noqa: S311 (a load mix, not security)
        browser = Http(apps.web_port)
        browser.login(member.username, PASSWORD)
        api = Http(apps.web_port)
        api.token = team.tokens[member.username]
        if ready.wait() == 0:  # everyone is signed in: start the clock
            started[0] = time.monotonic()
            deadline[0] = started[0] + duration
        ready.wait()
        while time.monotonic() < deadline[0]:
            roll = rng.random()
            key = rng.choice(keys)
            try:
                if roll < 0.40:
                    kind, expected = "list", 200
                    response = browser.request("GET", "/teams/REL/issues/")
                elif roll < 0.70:
                    kind, expected = "issue", 200
                    response = browser.request("GET", f"/issues/{key}/")
                elif roll < 0.85:
                    kind, expected = "create", 201
                    assignee = rng.choice(team.members).username
                    response = create_issue(api, "REL", f"Load {index} {roll:.6f}", assignee)
                else:
                    kind, expected = "comment", 302
                    response = browser.request(
                        "POST", f"/issues/{key}/comments/",
                        form={"body": f"Load comment {roll:.6f}", "public": "on"},
                    )  # fmt: skip
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(f"{type(error).__name__}")
                continue
            with lock:
                latencies.append(response.seconds)
                mix[kind] = mix.get(kind, 0) + 1
                if response.status != expected:
                    errors.append(f"{kind} {response.status}")

    run_threads(USERS, user)
    elapsed = time.monotonic() - started[0]
    count = len(latencies)
    ok = not errors and count > 0
    shown = ", ".join(f"{kind} {n}" for kind, n in sorted(mix.items()))
    kinds = Counter(errors).most_common(3)
    sample = " (" + ", ".join(f"{n}x {kind}" for kind, n in kinds) + ")" if errors else ""
    line = (
        f"{USERS} users for {duration} s: {count} requests ({shown}), "
        f"{count / elapsed:.1f} req/s, p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms, {len(errors)} errors{sample}"
    )
    return line, ok
