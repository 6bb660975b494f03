"""The bench-only query-count middleware and floor views, under the bench settings."""

import json
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench import settings as bench_settings
from bench.middleware import COUNT_HEADER, SQL_HEADER, WORKER_HEADER, decode_statements
from issues import services


@pytest.fixture(autouse=True)
def _bench_settings(settings):
    settings.MIDDLEWARE = bench_settings.MIDDLEWARE
    settings.ROOT_URLCONF = bench_settings.ROOT_URLCONF
    settings.TEMPLATES = bench_settings.TEMPLATES


@pytest.fixture
def team_list(eng, alice, bob, client_for):
    for n in range(3):
        services.create_issue(eng, actor=alice, title=f"Checkout fails {n}", assignees=[bob])
    return client_for(bob), reverse("issues:list", args=["ENG"])


def test_each_response_says_how_many_queries_its_request_ran(team_list):
    client, url = team_list
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) > 3
    assert response[COUNT_HEADER] == str(len(queries))
    assert response[WORKER_HEADER] == str(os.getpid())  # the load process spreads by it
    assert SQL_HEADER not in response


def test_a_capture_request_gets_its_statements_with_the_values_bound(team_list, eng):
    client, url = team_list
    response = client.get(url, headers={"X-Bench-Capture": "1"})
    statements = decode_statements(response[SQL_HEADER])
    assert len(statements) == int(response[COUNT_HEADER])
    # The member's saved views of the team, bound to the team's id (not a placeholder).
    assert any(
        "issues_savedview" in sql and f'"team_id" = {eng.pk}' in sql for sql in statements
    ), statements
    assert all("%s" not in sql for sql in statements)


@pytest.mark.django_db
def test_the_json_floor_is_a_constant_list_of_fifty_without_queries(client):
    response = client.get("/bench/floor/json/")
    assert response.status_code == 200
    assert len(json.loads(response.content)) == 50
    assert response[COUNT_HEADER] == "0"


@pytest.mark.django_db
def test_the_template_floor_renders_a_page_without_queries(client):
    response = client.get("/bench/floor/template/")
    assert response.status_code == 200
    assert b"<h1>Floor</h1>" in response.content
    assert response[COUNT_HEADER] == "0"


def test_the_apps_own_urls_do_not_know_the_floor_views():
    """The security tests require a row for every route of the app's urlconf; the floor
    views live only in the bench's."""
    assert reverse("bench-floor-json", urlconf="bench.urls") == "/bench/floor/json/"
    with pytest.raises(NoReverseMatch):
        reverse("bench-floor-json", urlconf="issuetracker.urls")
