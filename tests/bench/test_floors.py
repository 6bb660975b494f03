"""Floor (a): a request's SQL replayed under EXPLAIN ANALYZE (PostgreSQL), and how its
statements are named in the report; floor (c): the list's page by one raw query."""

import json

import pytest
from django.db import connection

from bench.floors import Recorder, gist, sql_floor
from issues import services
from issues.models import Issue, IssueEvent

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN ANALYZE is PostgreSQL's"
)


def test_a_statement_is_named_by_its_start_and_the_table_of_its_outer_query():
    sql = (
        'SELECT "accounts_team"."id", "accounts_team"."key", "accounts_team"."name", '
        '(SELECT "U0"."role" FROM "accounts_membership" "U0" WHERE "U0"."team_id" = 1) '
        'AS "role" FROM "accounts_team" WHERE "accounts_team"."id" = 1'
    )
    assert gist(sql).endswith("… FROM accounts_team")
    assert gist('SELECT 1 FROM "django_session"') == 'SELECT 1 FROM "django_session"'


@pytest.mark.postgres
@needs_postgres
def test_reads_are_timed_and_the_slowest_keeps_its_plan(issue):
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        list(Issue.objects.filter(team=issue.team).order_by("priority"))
        Issue.objects.filter(pk=issue.pk).count()
    floor = sql_floor(recorder.statements)
    assert (floor["statements"], floor["explained"], floor["failed"]) == (2, 2, [])
    assert floor["exec_ms"] > 0
    assert floor["exec_ms"] == pytest.approx(sum(s["exec_ms"] for s in floor["each"]))
    assert "actual time" in floor["slowest"]["plan"]


@pytest.mark.postgres
@needs_postgres
def test_a_replayed_create_leaves_nothing_behind_when_its_own_rows_are_undone(eng, alice, bob):
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        created = services.create_issue(eng, actor=alice, title="Replay me", assignees=[bob])
    issues, events = Issue.objects.count(), IssueEvent.objects.count()

    floor = sql_floor(recorder.statements, undo=Issue.objects.filter(pk=created.pk).delete)

    assert floor["failed"] == []
    assert floor["explained"] >= 3  # the issue, its events, the assignment
    assert (Issue.objects.count(), IssueEvent.objects.count()) == (issues, events)
    assert Issue.objects.filter(pk=created.pk).exists()


@pytest.mark.postgres
@needs_postgres
def test_without_the_undo_the_replay_collides_with_the_original_and_says_so(eng, alice):
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        services.create_issue(eng, actor=alice, title="Replay me")
    floor = sql_floor(recorder.statements)
    assert any("issues_issue_unique_team_number" in f["error"] for f in floor["failed"])
    assert floor["explained"] < floor["statements"] - floor["skipped"]


@pytest.mark.postgres
@needs_postgres
def test_a_report_statement_is_replayed_with_the_memory_it_asks_for(eng, alice):
    """The percentile reports send `SET LOCAL work_mem = ...; WITH ...` in one message:
    the replay explains the WITH under that setting (the plan lists it), and the next
    statement without it."""
    import datetime as dt

    from issues import reports

    services.create_issue(eng, actor=alice, title="Counted")
    recorder = Recorder()
    window = reports.ReportFilter.for_days(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with connection.execute_wrapper(recorder):
        reports.time_in_status(eng, window)
    report = recorder.statements[-1]
    assert report.startswith("SET LOCAL work_mem")

    floor = sql_floor([report])
    assert (floor["explained"], floor["failed"], floor["skipped"]) == (1, [], 0)
    assert f"work_mem = '{reports.PERCENTILE_WORK_MEM}'" in floor["slowest"]["plan"]

    slower = "SELECT pg_sleep(0.2)"
    floor = sql_floor([report, slower])
    assert floor["slowest"]["sql"] == slower
    assert "work_mem" not in floor["slowest"]["plan"]


@pytest.mark.postgres
@needs_postgres
def test_floor_c_reads_the_page_the_list_api_shows(eng, alice, bob):
    """Floor (c) must read the same rows as the list it is compared with, or its ratio
    would flatter or shame the list: the same issues, order, statuses and assignees."""
    from django.test import RequestFactory
    from rest_framework.test import APIClient

    from bench.views import floor_query

    triaged = eng.statuses.get(name="Triaged")
    for n, priority in enumerate([3, 1, 2, 1, 5, 2, 4]):
        services.create_issue(
            eng, actor=alice, title=f"Issue {n}", priority=priority, status=triaged,
            assignees=[alice, bob][: n % 3],
        )  # fmt: skip
    services.create_issue(eng, actor=alice, title="Still new", priority=1)  # triage
    services.create_issue(eng, actor=alice, title="Fixed", priority=1,
                          status=eng.statuses.get(name="Resolved"))  # fmt: skip

    api = APIClient()
    api.force_authenticate(alice)
    query = {"team": "ENG", "category": "todo"}
    listed = api.get("/api/v1/issues/", {**query, "sort": "priority"}).json()["results"]
    floor = json.loads(floor_query(RequestFactory().get("/bench/floor/query/", query)).content)

    assert len(listed) == 7
    fields = ("key", "title", "status", "assignees")
    assert [[row[f] for f in fields] for row in floor] == [
        [row[f] for f in fields] for row in listed
    ]
    assert floor[0]["priority"] == 1 and floor[-1]["priority"] == 5
