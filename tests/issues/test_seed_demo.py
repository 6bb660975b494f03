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
from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Membership, Team
from issues import search, services
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


SWEEP_KINDS = [Kind.BECAME_STALE, Kind.STALE_ESCALATED, Kind.FOLLOW_UP_DUE]


def test_the_seeded_past_was_swept_as_a_running_tracker_sweeps(demo):
    """Each issue that went quiet was reported at the first sweep after it became
    stale (and escalated at twice that); the first sweep after seeding finds only what
    went quiet in the last minutes."""
    every = dt.timedelta(microseconds=seed_demo.sweep_every_us())

    def due(event) -> dt.datetime:
        quiet = dt.datetime.fromisoformat(event.data["last_activity_at"])
        times = 2 if event.kind == Kind.STALE_ESCALATED else 1
        return quiet + times * dt.timedelta(days=event.data["stale_after_days"])

    swept = list(IssueEvent.objects.filter(kind__in=SWEEP_KINDS[:2]))
    assert {e.kind for e in swept} == set(SWEEP_KINDS[:2])
    for event in swept:
        assert dt.timedelta(0) < event.created_at - due(event) <= every

    now = timezone.now()
    services.sweep_stale(now=now)
    for event in IssueEvent.objects.filter(created_at=now):
        assert due(event) > now - every - dt.timedelta(minutes=1)  # since the last sweep


def test_demo_history_is_believable(demo):
    now = timezone.now()
    assert first_event_kinds() == Counter({"created": Issue.objects.count()})
    by_issue = defaultdict(list)
    for issue_id, at in IssueEvent.objects.order_by("id").values_list("issue_id", "created_at"):
        by_issue[issue_id].append(at)
    for times in by_issue.values():
        assert times == sorted(times)
        assert times[-1] <= now
    # The sweeps' events are the system's, not activity: the clock keeps running.
    activity = Max("events__created_at", filter=~Q(events__kind__in=SWEEP_KINDS))
    for issue in Issue.objects.annotate(last=activity):
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

    # The sweeps' events are neither edits (no version) nor activity.
    by_people = ~Q(events__kind__in=SWEEP_KINDS)
    per_issue = Issue.objects.annotate(
        comments_n=Count("comments", distinct=True),
        events_n=Count("events", distinct=True, filter=by_people),
        last=Max("events__created_at", filter=by_people),
    )
    assert IssueEvent.objects.filter(kind__in=SWEEP_KINDS).exists()
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


def bulk_plan(n: int, seed: int = 3):
    """A bulk plan on the base installation and the task of its first chunk."""
    rng = random.Random(seed)
    clock = seed_demo.Clock(timezone.now(), seed_demo.HISTORY_DAYS)
    teams = seed_demo.team_plans(list(Team.objects.order_by("pk")))
    plan = seed_demo.BulkPlan(
        rng.getrandbits(64), clock, teams, list(Customer.objects.order_by("pk"))
    )
    picks = rng.choices(range(len(teams)), weights=[tp.weight for tp in teams], k=n)
    return plan, (0, seed_demo.creation_hours(rng, n, clock.span), picks)


def write_in_bulk(plan, task) -> None:
    """What bulk mode does with a chunk: COPY on PostgreSQL, bulk_create on SQLite."""
    if is_postgres():
        load = seed_demo.CopyLoad(
            plan, rebuild=False, workers=0, log=lambda *a, **k: None, disable=True
        )
        load.run([task], len(task[1]))
    else:
        seed_demo.BulkWriter(plan.clock).write_chunk(plan.stories(*task))


def test_bulk_rows_are_the_rows_the_services_write():
    """The same planned stories, once replayed through the services and once written
    in bulk, give identical issues, timelines, comments, assignments, links and (on
    PostgreSQL) search documents."""
    seed("--issues", "0")  # the base installation only
    plan, task = bulk_plan(30)

    with services.events_unpublished():
        seed_demo.replay_through_services(plan.stories(*task), plan.clock)
    through_services = snapshot(Issue.objects.all())
    replayed = list(Issue.objects.values_list("pk", flat=True))
    write_in_bulk(plan, task)
    in_bulk = snapshot(Issue.objects.exclude(pk__in=replayed))

    assert len(in_bulk) == 30
    assert sum(len(row["periods"]) for row in in_bulk) > 30  # some issues moved
    assert sum(len(row["comments"]) for row in in_bulk) > 30
    assert any(row["started_at"] for row in in_bulk)  # some went through in progress
    kinds = {event[0] for row in in_bulk for event in row["events"]}
    # Swept as they went quiet (a follow-up names the waiting clock it ran on).
    assert {Kind.BECAME_STALE, Kind.STALE_ESCALATED, Kind.FOLLOW_UP_DUE} <= kinds
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
    "version", "started_at", "waiting_since", "waiting_set_by_id", "resume_status_id",
    "stale_reported_for", "stale_escalated_for", "follow_up_reported_for",
]  # fmt: skip


def snapshot(issues) -> list[dict]:
    """Everything about each issue except its id and number."""
    rows = []
    for issue in issues.select_related("status", "team").order_by("pk"):
        row = {name: getattr(issue, name) for name in ISSUE_FIELDS}
        row["team"], row["status"] = issue.team.key, issue.status.name
        row["search_words"] = search_words(issue.search_vector)
        row["search_vector"] = issue.search_vector  # positions too (PostgreSQL)
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
        row["periods"] = [
            (p.status.name, p.entered_at, p.left_at, p.entered_by_id, p.entered_event.kind)
            for p in issue.status_periods.select_related("status", "entered_event").order_by(
                "entered_at", "entered_event_id"
            )
        ]
        rows.append(row)
    return rows


# --- bulk mode on PostgreSQL: COPY, ids from the sequences, indexes rebuilt --------

postgres_only = pytest.mark.skipif(not is_postgres(), reason="COPY and pg_catalog")


def schema() -> tuple[list, list]:
    """Every index and constraint of the schema, as the catalog describes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() ORDER BY 1, 2"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, condeferrable, condeferred, "
            "convalidated, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"
        )
        return indexes, cursor.fetchall()


def dangling_references() -> dict[str, int]:
    """Per foreign key of the issue tables, how many rows point at no row."""
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, c.conrelid::regclass::text, a.attname, "
            "c.confrelid::regclass::text, f.attname FROM pg_constraint AS c "
            "JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "JOIN pg_attribute AS f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid::regclass::text LIKE 'issues_%%'"
        )
        for name, table, column, target, key in cursor.fetchall():
            cursor.execute(
                f"SELECT count(*) FROM {table} AS t LEFT JOIN {target} AS r "  # noqa: S608
                f"ON r.{key} = t.{column} WHERE t.{column} IS NOT NULL AND r.{key} IS NULL"
            )
            found[name] = cursor.fetchone()[0]
    return found


@pytest.fixture
def rebuilt(monkeypatch):
    """Bulk loads of any size drop and rebuild the indexes (as from 50,000 issues)."""
    monkeypatch.setattr(seed_demo, "REBUILD_FROM", 1)


@postgres_only
@pytest.mark.parametrize("fk_triggers_off", [True, False], ids=["superuser", "other role"])
def test_a_large_load_leaves_the_schema_exactly_as_it_was(rebuilt, monkeypatch, fk_triggers_off):
    """Dropping the indexes and constraints for the load and building them again gives
    back the migrations' schema, to the last index definition and constraint flag, and
    every foreign key holds: whether the load switched the foreign-key triggers off
    (superuser) or dropped the foreign keys and added them back (other roles)."""
    seed("--issues", "0")
    before = schema()
    monkeypatch.setattr(seed_demo, "_may_skip_triggers", lambda cursor: fk_triggers_off)

    seed("--issues", "300")

    assert Issue.objects.count() == 300
    assert schema() == before
    assert set(dangling_references().values()) == {0}
    assert len(dangling_references()) > 20


@postgres_only
def test_a_failed_load_leaves_nothing_behind(rebuilt, monkeypatch):
    """The load is one transaction: if it dies halfway, the dropped indexes and
    constraints come back with the rollback and no issue is left half-written."""
    seed("--issues", "0")
    before = schema(), counts()
    monkeypatch.setattr(seed_demo, "CHUNK", 100)
    chunk = seed_demo.CopyRows.chunk

    def chunk_then_fail(self, stories, numbers, texts):
        if sum(numbers.values()) > len(numbers) + 100:  # the third chunk
            raise RuntimeError("killed")
        return chunk(self, stories, numbers, texts)

    monkeypatch.setattr(seed_demo.CopyRows, "chunk", chunk_then_fail)
    with pytest.raises(RuntimeError, match="killed"):
        seed("--issues", "300")

    assert (schema(), counts()) == before


@postgres_only
def test_bulk_mode_plans_in_worker_processes(monkeypatch):
    """Chunks planned and formatted in worker processes are the chunks the command
    process would have made: the same issues, numbers and timelines."""
    monkeypatch.setattr(seed_demo, "CHUNK", 100)
    monkeypatch.setattr(seed_demo, "PARALLEL_FROM", 1)
    seed("--issues", "250", "--seed", "5")
    in_workers = keys_and_titles(), timelines()
    assert len(in_workers[0]) == 250
    assert_gap_free_numbers()
    assert set(dangling_references().values()) == {0}

    monkeypatch.setattr(seed_demo, "PARALLEL_FROM", 1000)
    seed("--issues", "250", "--seed", "5", "--reset")
    assert (keys_and_titles(), timelines()) == in_workers


def test_the_app_carries_on_after_a_bulk_load(rebuilt):
    """Sequences and numbers are past the loaded rows, so issues, comments and events
    made afterwards get fresh ids and the next numbers, and search finds loaded issues
    by the words of their comments."""
    seed("--issues", "200")
    team = Team.objects.get(key="ENG")
    last = {
        model: model.objects.aggregate(Max("pk"))["pk__max"]
        for model in (Issue, Comment, IssueEvent)
    }
    numbers = team.issues.aggregate(Max("number"))["number__max"]
    admin = User.objects.get(username="admin")

    issue = services.create_issue(team, actor=admin, title="After the load")
    comment = services.add_comment(issue, body="A word after the load", actor=admin)

    assert issue.number == numbers + 1
    assert issue.pk > last[Issue]
    assert comment.pk > last[Comment]
    assert issue.events.order_by("pk").first().pk > last[IssueEvent]
    loaded = Comment.objects.exclude(issue=issue).order_by("pk").first()
    word = max(re.findall(r"[a-z]{6,}", loaded.body.lower()), key=len)
    found = search.search(Issue.objects.all(), word)
    assert loaded.issue in found
