"""Trac's operations ask for what the app's do: the same team, status category, issue,
word and create team (bench/trac.py)."""

from urllib.parse import parse_qs

import pytest
from django.db import connection

from bench import trac
from bench.scenario import Scenario
from issues import services


def _scenario(issue_key: str) -> Scenario:
    return Scenario(
        team="ENG", team_issues=10, team_open=5, user="alice", category="in_progress",
        category_open=3, issue=issue_key, issue_events=20, issue_comments=5, word="walrus",
        word_issues=1, word_share=0.01, create_team="MOB", create_user="bob",
        assignee="alice", report_start="2026-01-01", report_end="2026-12-31", issues_total=10,
    )  # fmt: skip


def test_each_app_operation_meets_trac_on_the_same_things(eng, alice):
    issue = services.create_issue(eng, actor=alice, title="Checkout fails")
    ops = {op.name: op for op in trac.http_ops(_scenario(issue.key), set(trac.COUNTERPARTS))}
    assert ops["trac-list"].path == "/query?component=ENG&status=accepted&order=priority&max=50"
    assert ops["trac-ticket"].path == f"/ticket/{issue.pk}"  # the loaded ticket keeps the id
    assert ops["trac-search"].path == "/search?q=walrus&ticket=on"
    create = ops["trac-create"]
    form = parse_qs(create.body.replace("{n}", "7"))
    assert form["__FORM_TOKEN"] == [trac.FORM_TOKEN]
    assert create.headers["Cookie"] == f"trac_form_token={trac.FORM_TOKEN}"
    assert (form["field_component"], form["field_owner"], form["field_reporter"]) == (
        ["MOB"], ["alice"], ["bob"],
    )  # fmt: skip
    assert form["field_summary"] == ["Benchmark: checkout fails for EU cards (7)"]
    assert create.expect == 303  # Trac answers a created ticket with a redirect to it


def test_only_the_counterparts_of_the_measured_operations_run(eng, alice):
    issue = services.create_issue(eng, actor=alice, title="Checkout fails")
    ops = trac.http_ops(_scenario(issue.key), {"list-api", "board-page", "reports-page"})
    assert [op.name for op in ops] == ["trac-list"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Trac's copy is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_reused_copy_forgets_the_tickets_earlier_runs_created():
    """Trac's creates add tickets to the copy; the next run reads the copy as loaded."""
    import psycopg

    settings = connection.settings_dict
    url = (
        f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS trac CASCADE")
        conn.execute("CREATE SCHEMA trac")
        conn.execute("CREATE TABLE trac.ticket (id serial PRIMARY KEY, summary text)")
        conn.execute("CREATE TABLE trac.ticket_change (ticket int, field text)")
        conn.execute("CREATE TABLE trac.ticket_custom (ticket int, name text)")
        for _ in range(5):
            conn.execute("INSERT INTO trac.ticket (summary) VALUES ('t')")
        conn.execute("INSERT INTO trac.ticket_change SELECT id, 'comment' FROM trac.ticket")
        conn.execute("INSERT INTO trac.ticket_custom SELECT id, 'x' FROM trac.ticket")
        conn.autocommit = False
        try:
            assert trac._forget_created(conn, 3) == 2
            conn.autocommit = True
            counts = conn.execute(
                "SELECT (SELECT max(id) FROM trac.ticket), (SELECT count(*) FROM"
                " trac.ticket_change), (SELECT count(*) FROM trac.ticket_custom)"
            ).fetchone()
            assert counts == (3, 3, 3)
            conn.execute("INSERT INTO trac.ticket (summary) VALUES ('new')")
            assert conn.execute("SELECT max(id) FROM trac.ticket").fetchone()[0] == 4
            conn.autocommit = False
            assert trac._forget_created(conn, 4) == 0  # nothing created since: nothing done
        finally:
            conn.autocommit = True
            conn.execute("DROP SCHEMA trac CASCADE")
