"""Floor (a): a request's SQL replayed under EXPLAIN ANALYZE, on PostgreSQL only."""

import pytest
from django.db import connection

from bench.floors import Recorder, sql_floor
from issues import services
from issues.models import Issue, IssueEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN ANALYZE is PostgreSQL's"),
]


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


def test_without_the_undo_the_replay_collides_with_the_original_and_says_so(eng, alice):
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        services.create_issue(eng, actor=alice, title="Replay me")
    floor = sql_floor(recorder.statements)
    assert any("issues_issue_unique_team_number" in f["error"] for f in floor["failed"])
    assert floor["explained"] < floor["statements"] - floor["skipped"]
