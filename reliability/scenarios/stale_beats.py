"""Two beat processes (a misconfigured deployment) and concurrent sweeps — tasks on a
worker with four processes plus direct calls from four threads — over 1,000 stale
issues; then a second quiet spell for a fifth of them and the same again.

Target: exactly one `became_stale` event and one stale notice per issue per quiet spell
(SKIP LOCKED detection and the per-spell marker, not luck)."""

from __future__ import annotations

import datetime as dt
import re
import threading

from ..harness import Apps, World, seed_team, wait_until

SWEEP_TASKS = 8
SWEEP_THREADS = 4


def _seed(count: int, team) -> None:
    from django.utils import timezone

    from issues import services
    from issues.models import Issue
    from notifications import services as notify

    # The admins hear of unassigned stale issues; in the app only, to keep the mail light.
    notify.set_preferences(team.admin, {"stale": "in_app", "escalated": "in_app"})
    with services.events_unpublished():
        for number in range(count):
            services.create_issue(team.team, actor=team.admin, title=f"Quiet {number}")
    long_ago = timezone.now() - dt.timedelta(days=3)
    Issue.objects.update(created_at=long_ago, last_activity_at=long_ago)


def _sweep_concurrently() -> None:
    from issues import services
    from notifications.tasks import sweep_stale_issues

    for _ in range(SWEEP_TASKS):
        sweep_stale_issues.delay()
    errors = []

    def sweep() -> None:
        from django.db import connection

        try:
            services.sweep_stale()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(SWEEP_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _beats_swept(apps: Apps) -> int:
    return sum(
        bool(re.search(r"Sending due task sweep-stale-issues", beat.output()))
        for beat in apps.beats
    )


def run(world: World, apps: Apps) -> tuple[str, bool]:
    from django.db.models import Count
    from django.utils import timezone

    from issues.models import Issue, IssueEvent
    from notifications.models import Notification, Outbox

    total = world.scale(1000)
    team = seed_team(members=2, tokens=False)
    _seed(total, team)
    apps.start_sink()
    apps.start_web()
    apps.start_worker(concurrency=4)
    apps.start_beat("beat-a")
    apps.start_beat("beat-b")
    _sweep_concurrently()
    # Both beats fire the sweep once a minute (STALE_SWEEP_MINUTES=1).
    beats_fired = wait_until(lambda: _beats_swept(apps) == 2, timeout=80, interval=1)
    second = total // 5
    spell_two = list(Issue.objects.order_by("pk").values_list("pk", flat=True)[:second])
    # Someone acted on these, then they went quiet again: a new spell.
    Issue.objects.filter(pk__in=spell_two).update(
        last_activity_at=timezone.now() - dt.timedelta(days=2, hours=12)
    )
    _sweep_concurrently()
    wait_until(lambda: not Outbox.objects.filter(processed_at__isnull=True).exists(), 90, 1)
    wait_until(lambda: Notification.objects.filter(kind="stale").count() >= total + second, 60, 1)

    per_issue = dict(
        IssueEvent.objects.filter(kind="became_stale")
        .values_list("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )
    notices = dict(
        Notification.objects.filter(kind="stale", recipient=team.admin)
        .values_list("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )
    expected = {pk: 2 if pk in set(spell_two) else 1 for pk in Issue.objects.values_list("pk",
                flat=True)}  # fmt: skip
    wrong_events = sum(1 for pk, n in expected.items() if per_issue.get(pk, 0) != n)
    wrong_notices = sum(1 for pk, n in expected.items() if notices.get(pk, 0) != n)
    ok = beats_fired and wrong_events == 0 and wrong_notices == 0
    line = (
        f"{total} stale issues + {second} second spells, 2 beats "
        f"({_beats_swept(apps)} fired), {SWEEP_TASKS * 2} sweep tasks and "
        f"{SWEEP_THREADS * 2} direct sweeps: {sum(per_issue.values())} became_stale events "
        f"(expected {total + second}), {wrong_events} issues wrong, "
        f"{sum(notices.values())} stale notices, {wrong_notices} issues wrong"
    )
    return line, ok
