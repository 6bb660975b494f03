"""A team's search reads its matches from the (team, search document) GIN index of
open issues, on the page and in the API: the team is compared as the column's bigint,
which that index needs (btree_gin's operators do not compare bigint with integer).
With `team_id = 1` the index serves the word alone, and at 1,000,000 issues the
search intersects the word's matches in every team with a bitmap of the team's open
issues (10.8 ms against 5.6 ms)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues import services

from .conftest import keys

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's"),
]


@pytest.fixture
def reports(eng, alice):
    return [
        services.create_issue(eng, actor=alice, title=title)
        for title in ("Export fails on large files", "Login page is slow", "Export is empty")
    ]


def search_plan(capture) -> str:
    """The plan of the request's search query with the team's search index the only
    one on issues left to read. The tables are tiny here, where reading them whole, or
    any other index, is as cheap: so sequential scans are off and the other indexes on
    issues (with the constraints they back) are dropped in the test's transaction. The
    index then serves the team condition only if the query's team can be its key."""
    (sql,) = [q["sql"] for q in capture.captured_queries if "@@" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, c.conname FROM pg_indexes i "
            "LEFT JOIN pg_constraint c ON c.conindid = i.indexname::regclass "
            "WHERE i.tablename = 'issues_issue' "
            "AND i.indexname NOT IN ('issues_open_team_search_gin', 'issues_issue_pkey')"
        )
        found = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER may run
        for index, constraint in found:
            if constraint:
                cursor.execute(f'ALTER TABLE issues_issue DROP CONSTRAINT "{constraint}"')
            else:
                cursor.execute(f'DROP INDEX "{index}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def assert_team_index_used(plan: str) -> None:
    assert "issues_open_team_search_gin" in plan, plan
    assert "Index Cond: ((team_id = '" in plan, plan  # the team is in the index scan


def test_the_team_search_page_reads_the_team_search_index(client_for, bob, reports):
    with CaptureQueriesContext(connection) as capture:
        response = client_for(bob).get("/teams/ENG/issues/?q=export")
    assert response.status_code == 200
    assert "Export fails on large files" in response.content.decode()
    assert "Login page is slow" not in response.content.decode()
    assert_team_index_used(search_plan(capture))


def test_the_api_search_of_one_team_reads_the_team_search_index(api_as, bob, reports):
    with CaptureQueriesContext(connection) as capture:
        response = api_as(bob).get("/api/v1/issues/?team=ENG&q=export")
    assert sorted(keys(response)) == ["ENG-1", "ENG-3"]
    assert_team_index_used(search_plan(capture))
