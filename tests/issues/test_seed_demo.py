"""manage.py seed_demo: a believable installation written through the services, safe to
run twice, deterministic, and a bulk mode that writes the rows the services would."""

import datetime as dt
import io
import random
import re
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone

from accounts.models import Membership, Team
from issues import services
from issues.management.commands import seed_demo
from issues.models import Assignment, Comment, Customer, Issue, IssueEvent, Label, Status
from notifications.models import Notification
from tests.conftest import is_postgres

User = get_user_model()
Kind = IssueEvent.Kind
pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def first_event_kinds() -> Counter:
    first = IssueEvent.objects.filter(issue=OuterRef("pk")).order_by("created_at", "id")
    return Counter(
        Issue.objects.annotate(k=Subquery(first.values("kind")[:1])).values_list("k", flat=True)
    )


def stale_issues(now):
    return [
        issue
        for issue in Issue.objects.select_related("status").filter(resolved_at__isnull=True)
        if issue.status.stale_after and issue.last_activity_at < now - issue.status.stale_after
    ]


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Team, User, Membership, Customer, Label, Issue, Comment, IssueEvent)
    }


def keys_and_titles() -> list[tuple[str, str]]:
    return [
        (issue.key, issue.title)
        for issue in Issue.objects.select_related("team").order_by("team__key", "number")
    ]


def timelines() -> dict[str, list[str]]:
    found = defaultdict(list)
    events = IssueEvent.objects.select_related("issue__team").order_by("created_at", "id")
    for event in events:
        found[event.issue.key].append(event.kind)
    return dict(found)


@pytest.fixture
def demo():
    """The demo installation, small: 60 issues through the services."""
    return seed("--small")


# --- the demo installation ---------------------------------------------------------


def test_demo_has_teams_people_in_every_role_and_customers(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        out = seed("--small")
    assert set(Team.objects.values_list("key", flat=True)) == {"ENG", "SUP", "OPS", "MOB"}
    assert User.objects.count() >= 20
    assert set(Membership.objects.values_list("role", flat=True)) == set(Membership.Role.values)
    assert User.objects.get(username="admin").is_superuser
    assert all(user.check_password("demo") for user in User.objects.all())
    for team in Team.objects.all():
        labels = Label.objects.filter(team=team)
        assert labels.count() >= 5
        assert all(label.color.startswith("#") for label in labels)
    assert Customer.objects.exclude(email="").filter(organization__isnull=False).count() >= 20
    assert Issue.objects.filter(customer_count__gte=2).exists()  # "+1": several customers
    assert "username" in out and "nadia" in out and "ENG admin" in out
    assert "60 issues" in out
    # Imported history notifies nobody.
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_demo_history_is_believable(demo):
    now = timezone.now()
    assert first_event_kinds() == Counter({"created": Issue.objects.count()})
    by_issue = defaultdict(list)
    for issue_id, at in IssueEvent.objects.order_by("id").values_list("issue_id", "created_at"):
        by_issue[issue_id].append(at)
    for times in by_issue.values():
        assert times == sorted(times)
        assert times[-1] <= now
    for issue in Issue.objects.annotate(last=Max("events__created_at")):
        assert issue.last_activity_at == issue.last
        assert issue.created_at == issue.events.get(kind=Kind.CREATED).created_at
    assert now - Issue.objects.order_by("created_at").first().created_at > dt.timedelta(days=120)

    assert {
        Kind.STATUS_CHANGED,
        Kind.ASSIGNED,
        Kind.PRIORITY_CHANGED,
        Kind.LABELED,
        Kind.COMMENTED,
    } <= set(IssueEvent.objects.values_list("kind", flat=True))
    assert set(Issue.objects.values_list("kind", flat=True)) >= {"bug", "question", "feature"}
    assert Comment.objects.filter(is_public=True).exists()
    assert Comment.objects.filter(is_public=False).exists()
    comments = IssueEvent.objects.filter(kind=Kind.COMMENTED).values_list("data", flat=True)
    assert any(data["mentions"] for data in comments)
    assert IssueEvent.objects.filter(
        kind=Kind.STATUS_CHANGED, to_status__category=Status.Category.WAITING
    ).exists()

    closed = Issue.objects.filter(status__category__in=Status.CLOSED_CATEGORIES)
    assert closed.count() > 10
    assert not closed.filter(resolved_at__isnull=True).exists()
    assert not Issue.objects.exclude(pk__in=closed).filter(resolved_at__isnull=False).exists()
    assert Issue.objects.open().count() > 5
    assert len(stale_issues(now)) >= 1


# --- idempotent, resettable, deterministic ------------------------------------------


def test_seeding_twice_changes_nothing(demo):
    before = counts()
    out = seed()
    assert "Demo data already present: 4 teams, 60 issues. Nothing to do" in out
    assert counts() == before


def test_reset_seeds_the_same_issues_again_and_keeps_other_people(demo):
    before = keys_and_titles(), timelines()
    outsider = User.objects.create_user("outsider", "outsider@example.com", "pw")
    boss = User.objects.create_superuser("boss", "boss@example.com", "pw")
    nadia = User.objects.get(username="nadia")

    out = seed("--small", "--reset")

    assert "Deleted" in out
    assert (keys_and_titles(), timelines()) == before
    assert User.objects.filter(pk__in=[outsider.pk, boss.pk]).count() == 2
    assert User.objects.get(username="nadia").pk != nadia.pk  # deleted, then created anew


# --- bulk mode ---------------------------------------------------------------------


def assert_gap_free_numbers():
    for team in Team.objects.all():
        numbers = list(team.issues.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        assert team.next_number == len(numbers) + 1


def test_bulk_mode_writes_issues_with_full_history():
    out = seed("--issues", "300")
    assert "5 teams, 50 users" in out
    assert Issue.objects.count() == 300
    assert_gap_free_numbers()
    assert first_event_kinds() == Counter({"created": 300})

    per_issue = Issue.objects.annotate(
        comments_n=Count("comments", distinct=True),
        events_n=Count("events", distinct=True),
        last=Max("events__created_at"),
    )
    for issue in per_issue:
        assert issue.version == issue.events_n  # 1 + events after `created`
        assert issue.last_activity_at == issue.last
        assert issue.description_html
    assert 3 <= Comment.objects.count() / 300 <= 7
    assert 1 <= IssueEvent.objects.filter(kind=Kind.STATUS_CHANGED).count() / 300 <= 5
    closed = Issue.objects.filter(status__category__in=Status.CLOSED_CATEGORIES)
    assert closed.exists() and not closed.filter(resolved_at__isnull=True).exists()
    assert not Issue.objects.exclude(pk__in=closed).filter(resolved_at__isnull=False).exists()
    for event in IssueEvent.objects.filter(kind=Kind.COMMENTED).select_related("comment"):
        assert event.data == {"public": event.comment.is_public, "mentions": []}
    for assignment in Assignment.objects.all():
        assert assignment.issue.watchers.filter(pk=assignment.user_id).exists()
    if is_postgres():  # the search document, as the services keep it
        assert not Issue.objects.filter(search_vector__isnull=True).exists()

    seed("--issues", "20")  # adds to the existing teams
    assert Issue.objects.count() == 320
    assert_gap_free_numbers()


def test_bulk_rows_are_the_rows_the_services_write():
    """The same planned stories, once replayed through the services and once written
    in bulk, give identical issues, timelines, comments, assignments and links."""
    seed("--issues", "0")  # the base installation only
    rng = random.Random(3)
    clock = seed_demo.Clock(timezone.now(), seed_demo.HISTORY_DAYS)
    customers = list(Customer.objects.order_by("pk"))
    teams = seed_demo.team_plans(list(Team.objects.order_by("pk")))
    planner = seed_demo.Planner(rng, clock, seed_demo.PooledTexts(rng), customers, rich=False)
    plans = []
    for v in seed_demo.creation_hours(rng, 30, clock.span):
        team = seed_demo.pick_team(rng, teams)
        plans.append((team, planner.plan(team, v)))

    with services.events_unpublished():
        seed_demo.replay_through_services(plans, clock)
    through_services = snapshot(Issue.objects.all())
    replayed = list(Issue.objects.values_list("pk", flat=True))
    seed_demo.BulkWriter(clock).write_chunk(plans)
    in_bulk = snapshot(Issue.objects.exclude(pk__in=replayed))

    assert len(in_bulk) == 30
    for bulk, serviced in zip(in_bulk, through_services, strict=True):
        assert bulk == serviced


def search_words(document: str | None) -> dict[str, set[str]]:
    """The words of a PostgreSQL search document with their weights (A, B, C), without
    positions: reindex concatenates comments in no particular order."""
    words = defaultdict(set)
    for word, positions in re.findall(r"'((?:[^']|'')+)':(\S+)", document or ""):
        words[word] |= set(re.sub(r"[\d,]", "", positions) or "D")
    return dict(words)


ISSUE_FIELDS = [
    "title", "description", "description_html", "kind", "priority", "reporter_id",
    "customer_count", "channel", "due_date", "created_at", "resolved_at", "last_activity_at",
    "version",
]  # fmt: skip


def snapshot(issues) -> list[dict]:
    """Everything about each issue except its id and number."""
    rows = []
    for issue in issues.select_related("status", "team").order_by("pk"):
        row = {name: getattr(issue, name) for name in ISSUE_FIELDS}
        row["team"], row["status"] = issue.team.key, issue.status.name
        row["search_words"] = search_words(issue.search_vector)
        row["labels"] = sorted(issue.labels.values_list("name", flat=True))
        row["watchers"] = sorted(issue.watchers.values_list("username", flat=True))
        row["customers"] = sorted(
            issue.customer_links.values_list("customer_id", "added_by_id", "added_at")
        )
        row["assignments"] = sorted(
            issue.assignments.values_list("user_id", "assigned_by_id", "assigned_at")
        )
        row["comments"] = list(
            issue.comments.order_by("created_at", "id").values_list(
                "author_id", "body", "body_html", "is_public", "created_at"
            )
        )
        row["events"] = [
            (
                e.kind,
                e.actor_id,
                e.created_at,
                e.from_status_id,
                e.to_status_id,
                e.subject_user_id,
                e.comment.body if e.comment else None,
                e.data,
            )
            for e in issue.events.select_related("comment").order_by("created_at", "id")
        ]
        rows.append(row)
    return rows
