"""200 issues created at once in one team, and 50 comments at once on one issue, all
through HTTP against gunicorn (2 workers x 4 threads), each client its own thread
released by a barrier.

Target: every request answered 201; keys unique and gap-free; exact counts; no deadlock
or serialization error surfaced (the team row lock orders the creates)."""

from __future__ import annotations

from ..harness import Apps, World, run_threads, seed_team
from .common import api_client, create_issue


def run(world: World, apps: Apps) -> tuple[str, bool]:
    from accounts.models import Team
    from issues.models import Comment, Issue

    creates = world.scale(200)
    comments = world.scale(50)
    team = seed_team(members=10)
    apps.start_sink()
    apps.start_web()
    apps.start_worker()
    owner = api_client(apps, team.tokens[team.admin.username])
    target = create_issue(owner, "REL", "Everyone comments here").json()["key"]
    statuses: list[int] = []
    bodies: list[bytes] = []
    users = [team.admin, *team.members]

    def create(index: int) -> None:
        client = api_client(apps, team.tokens[users[index % len(users)].username])
        response = create_issue(client, "REL", f"Concurrent {index}")
        statuses.append(response.status)
        bodies.append(response.body)

    def comment(index: int) -> None:
        client = api_client(apps, team.tokens[users[index % len(users)].username])
        response = client.request(
            "POST", f"/api/v1/issues/{target}/comments/", data={"body": f"Comment {index}"}
        )
        statuses.append(response.status)
        bodies.append(response.body)

    run_threads(creates, create)
    run_threads(comments, comment)
    numbers = sorted(Issue.objects.filter(team__key="REL").values_list("number", flat=True))
    gap_free = numbers == list(range(1, creates + 2))
    next_number = Team.objects.get(key="REL").next_number
    comment_count = Comment.objects.filter(issue__number=1, issue__team__key="REL").count()
    refused = sum(status != 201 for status in statuses)
    deadlocks = sum(b"deadlock" in body.lower() or b"serializ" in body.lower() for body in bodies)
    ok = (
        refused == 0
        and deadlocks == 0
        and gap_free
        and next_number == creates + 2
        and comment_count == comments
    )
    line = (
        f"{creates} concurrent creates: {len(numbers) - 1} issues, keys "
        f"{'unique and gap-free' if gap_free else 'NOT gap-free'}; {comments} concurrent "
        f"comments: {comment_count} stored; {refused} refused, {deadlocks} deadlock errors"
    )
    return line, ok
