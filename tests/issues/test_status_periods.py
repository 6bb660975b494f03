"""StatusPeriod: written by the services with the status events, and exactly what the
rebuild from the timeline computes."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from issues import services
from issues.models import Issue, IssueEvent, StatusPeriod

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def periods(issue) -> list[tuple]:
    return list(
        StatusPeriod.objects.filter(issue=issue)
        .order_by("entered_at", "entered_event_id")
        .values_list("status__name", "entered_at", "left_at", "entered_by__username")
    )


def started(*issues) -> list:
    return [Issue.objects.get(pk=i.pk).started_at for i in issues]


def all_periods() -> list[tuple]:
    return list(
        StatusPeriod.objects.order_by("issue_id", "entered_at", "entered_event_id").values_list(
            "issue_id", "team_id", "status_id", "entered_at", "left_at", "entered_by_id",
            "entered_event_id",
        )
    )  # fmt: skip


def test_creating_opens_the_first_period(eng, alice):
    issue = services.create_issue(eng, actor=alice, title="Crash", now=T0)
    created = IssueEvent.objects.get(issue=issue, kind="created")
    assert periods(issue) == [("New", T0, None, "alice")]
    assert StatusPeriod.objects.get().entered_event == created
    assert StatusPeriod.objects.get().team == eng


def test_each_move_closes_the_period_and_opens_the_next(eng, alice, bob, status):
    issue = services.create_issue(eng, actor=alice, title="Crash", now=T0)
    services.change_status(issue, to=status("In progress"), actor=bob, now=at(2))
    services.update_issue(issue, status=status("Resolved"), actor=alice, now=at(5))
    services.change_status(issue, to=status("In progress"), actor=bob, now=at(7))  # reopen
    assert periods(issue) == [
        ("New", T0, at(2), "alice"),
        ("In progress", at(2), at(5), "bob"),
        ("Resolved", at(5), at(7), "alice"),
        ("In progress", at(7), None, "bob"),
    ]


def test_a_move_that_changes_nothing_writes_no_period(eng, alice, status):
    issue = services.create_issue(eng, actor=alice, title="Crash", now=T0)
    services.change_status(issue, to=status("New"), actor=alice, now=at(1))
    services.update_issue(issue, title="Crash on start", actor=alice, now=at(2))
    assert periods(issue) == [("New", T0, None, "alice")]


def test_marking_a_duplicate_moves_it_to_cancelled(eng, alice):
    original = services.create_issue(eng, actor=alice, title="Original", now=T0)
    issue = services.create_issue(eng, actor=alice, title="Copy", now=at(1))
    services.mark_duplicate(issue, of=original, actor=alice, now=at(3))
    assert [p[0] for p in periods(issue)] == ["New", "Won't fix"]
    assert periods(issue)[1][1:3] == (at(3), None)


def test_two_moves_in_the_same_instant_leave_a_zero_length_period_in_order(eng, alice, status):
    issue = services.create_issue(eng, actor=alice, title="Crash", now=T0)
    services.change_status(issue, to=status("Triaged"), actor=alice, now=at(1))
    services.change_status(issue, to=status("In progress"), actor=alice, now=at(1))
    assert periods(issue) == [
        ("New", T0, at(1), "alice"),
        ("Triaged", at(1), at(1), "alice"),
        ("In progress", at(1), None, "alice"),
    ]


def test_a_move_dated_before_the_current_period_is_clamped_to_its_start(eng, alice, status):
    issue = services.create_issue(eng, actor=alice, title="Crash", now=at(5))
    services.change_status(issue, to=status("Triaged"), actor=alice, now=at(1))
    assert periods(issue) == [("New", at(5), at(5), "alice"), ("Triaged", at(5), None, "alice")]


def test_one_open_period_per_issue_and_none_ending_before_it_starts(eng, alice, issue):
    current = StatusPeriod.objects.get(issue=issue)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusPeriod.objects.create(
            issue=issue,
            team=eng,
            status=current.status,
            entered_at=current.entered_at,
            entered_event=IssueEvent.objects.create(issue=issue, kind="status_changed"),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusPeriod.objects.filter(pk=current.pk).update(
            left_at=current.entered_at - dt.timedelta(seconds=1)
        )


def test_rebuilding_from_the_timeline_gives_the_periods_the_services_wrote(
    eng, ops, alice, bob, mallory, status
):
    a = services.create_issue(eng, actor=alice, title="A", now=T0)
    b = services.create_issue(eng, actor=bob, title="B", now=at(1), status=status("Triaged"))
    c = services.create_issue(ops, actor=mallory, title="C", now=at(1))
    services.change_status(a, to=status("In progress"), actor=bob, now=at(2))
    services.change_status(a, to=status("Closed"), actor=bob, now=at(2))
    services.change_status(a, to=status("Triaged"), actor=None, now=at(30))
    services.mark_duplicate(b, of=a, actor=alice, now=at(4))
    services.change_status(b, to=status("New"), actor=alice, now=at(3))  # out of order
    services.add_comment(c, body="hi", actor=mallory, now=at(5))
    incremental = all_periods()
    assert len(incremental) == 8
    assert started(a, b, c) == [at(2), None, None]

    out = io.StringIO()
    Issue.objects.update(started_at=at(99))
    call_command("rebuild_status_periods", stdout=out)
    assert "Rebuilt 8 status periods" in out.getvalue()
    assert all_periods() == incremental
    assert started(a, b, c) == [at(2), None, None]  # started_at derived again too

    StatusPeriod.objects.filter(issue=a).delete()
    Issue.objects.filter(pk=a.pk).update(started_at=None)
    services.rebuild_status_periods(team=eng)
    assert all_periods() == incremental
    assert started(a, b, c) == [at(2), None, None]


def test_rebuild_for_an_unknown_team_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No team"):
        call_command("rebuild_status_periods", "--team", "NOPE", stdout=io.StringIO())


def test_the_migration_backfills_what_the_services_write(eng, alice, bob, status):
    """The data migration's frozen SQL, run on a database without periods."""
    import importlib

    from django.db import connection

    backfill = importlib.import_module("issues.migrations.0014_backfill_status_periods")
    issue = services.create_issue(eng, actor=alice, title="A", now=T0)
    services.change_status(issue, to=status("In progress"), actor=bob, now=at(1))
    services.change_status(issue, to=status("Resolved"), actor=bob, now=at(1))
    services.create_issue(eng, actor=bob, title="B", now=at(2))
    incremental = all_periods()
    StatusPeriod.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL)
    assert all_periods() == incremental

    # 0021 fills started_at from those periods as the services keep it.
    fill = importlib.import_module("issues.migrations.0021_started_at_report_indexes")
    kept = list(Issue.objects.order_by("pk").values_list("started_at", flat=True))
    assert kept == [at(1), None]
    Issue.objects.update(started_at=None)
    with connection.cursor() as cursor:
        cursor.execute(fill.FILL_STARTED_AT)
    assert list(Issue.objects.order_by("pk").values_list("started_at", flat=True)) == kept


# --- started_at: the first entry into an in-progress status ----------------------------


def test_started_at_is_the_first_entry_into_in_progress_and_stays(eng, alice, bob, status):
    issue = services.create_issue(eng, actor=alice, title="Crash", now=T0)
    assert started(issue) == [None]
    services.change_status(issue, to=status("In progress"), actor=bob, now=at(2))
    assert started(issue) == [at(2)] and issue.started_at == at(2)
    services.update_issue(issue, status=status("Resolved"), actor=alice, now=at(5))
    services.change_status(issue, to=status("In progress"), actor=bob, now=at(7))  # reopen
    assert started(issue) == [at(2)]


def test_started_at_of_an_issue_created_in_progress_and_of_a_clamped_move(eng, alice, bob, status):
    created = services.create_issue(
        eng, actor=alice, title="A", now=T0, status=status("In progress")
    )
    moved = services.create_issue(eng, actor=alice, title="B", now=at(3))
    services.change_status(moved, to=status("In progress"), actor=bob, now=at(1))  # earlier
    assert started(created, moved) == [T0, at(3)]  # clamped to the open period's start


def test_a_status_moving_into_or_out_of_in_progress_rederives_started_at(eng, alice, bob, status):
    from issues import workflow

    issue = services.create_issue(eng, actor=alice, title="A", now=T0)
    services.change_status(issue, to=status("Triaged"), actor=bob, now=at(1))
    services.change_status(issue, to=status("In progress"), actor=bob, now=at(2))
    other = services.create_issue(eng, actor=alice, title="B", now=at(3))
    assert started(issue, other) == [at(2), None]

    workflow.update_status(status("Triaged"), category="in_progress", actor=alice)
    assert started(issue, other) == [at(1), None]
    workflow.update_status(status("In progress"), category="todo", actor=alice)
    assert started(issue, other) == [at(1), None]
    workflow.update_status(status("Triaged"), category="todo", actor=alice)
    assert started(issue, other) == [None, None]
