"""One error shape (RFC 9457 problem details) for every failure, and rate limits."""

import pytest
from django.core.cache import cache

from issues.models import Issue

pytestmark = pytest.mark.django_db


def assert_problem(response, status, type_name):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/api/problems/{type_name}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_validation_errors_name_each_field(api_as, alice, eng):
    body = assert_problem(
        api_as(alice).post("/api/v1/issues/", {"team": "ENG", "labels": "bug"}),
        400,
        "validation-error",
    )
    assert body["errors"] == {
        "title": ["This field is required."],
        "labels": ['Expected a list of items but got type "str".'],
    }
    assert "title: This field is required." in body["detail"]


def test_errors_inside_lists_name_the_item(api_as, alice, eng):
    body = (
        api_as(alice)
        .post("/api/v1/issues/", {"team": "ENG", "title": "x", "assignees": ["ok", ""]})
        .json()
    )
    assert body["errors"] == {"assignees.1": ["This field may not be blank."]}


@pytest.mark.parametrize("payload", ["{bad json", "[1, 2]", '"text"', "null", "12"])
def test_a_body_that_is_not_a_json_object_is_a_400(api_as, alice, eng, payload):
    response = api_as(alice).post("/api/v1/issues/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not Issue.objects.exists()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_json_is_a_415(api_as, alice, eng, content_type):
    response = api_as(alice).post("/api/v1/issues/", "title=x", content_type=content_type)
    assert_problem(response, 415, "unsupported-media-type")


def test_a_415_also_with_an_idempotency_key(api_as, alice, eng):
    response = api_as(alice).post(
        "/api/v1/issues/", "title=x", content_type="text/plain", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_a_wrong_method_is_a_405(api_as, alice):
    response = api_as(alice).delete("/api/v1/me/")
    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_an_unknown_address_under_api_is_a_problem_404(api_as, alice):
    for url in (
        "/api/v1/nope/",
        "/api/v2/issues/",
        "/api/v1/issues/ENG-1/nope/",
        "/api/v1/issues/x/",
    ):
        assert_problem(api_as(alice).get(url), 404, "not-found")


def test_a_missing_final_slash_is_pointed_out(api_as, alice):
    body = assert_problem(api_as(alice).post("/api/v1/issues", {}), 404, "not-found")
    assert "/api/v1/issues/" in body["detail"]


def test_json_only(api_as, alice):
    response = api_as(alice).get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert_problem(response, 406, "not-acceptable")


def test_a_body_over_the_upload_limit_is_a_413(api_as, alice, eng, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(alice).post(
        "/api/v1/issues/", {"team": "ENG", "title": "x", "description": "y" * 2000}
    )
    assert_problem(response, 413, "payload-too-large")


def test_problem_types_describe_themselves(api):
    response = api.get("/api/problems/stale-version")
    assert response.status_code == 200
    assert response.json()["status"] == 412
    assert api.get("/api/problems/nope").status_code == 404


def test_options_describes_without_a_form(api_as, alice):
    response = api_as(alice).options("/api/v1/issues/")
    assert response.status_code == 200
    assert "actions" not in response.json()


def test_non_ascii_is_escaped_so_any_input_renders(api_as, alice, eng):
    response = api_as(alice).post(
        "/api/v1/issues/",
        '{"team": "ENG", "title": "ok", "kind": "\\ud800", "\\udfff": 1}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind", "\udfff"}


# --- rate limits --------------------------------------------------------------------------


@pytest.fixture
def limits(settings):
    def set_rates(user="1000/minute", anon="1000/minute"):
        cache.clear()
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": user, "anon": anon},
        }

    return set_rates


def test_each_user_has_a_budget_across_tokens(api_as, alice, bob, limits):
    limits(user="3/minute")
    first, second = api_as(alice), api_as(alice)
    assert [first.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    assert second.get("/api/v1/me/").status_code == 200
    body = assert_problem(second.get("/api/v1/me/"), 429, "rate-limited")
    assert "Retry in" in body["detail"]
    assert 0 < int(second.get("/api/v1/me/")["Retry-After"]) <= 60
    assert api_as(bob).get("/api/v1/me/").status_code == 200  # others are not held back


def test_unauthenticated_calls_and_bad_tokens_share_the_anonymous_budget(api, limits, db):
    limits(anon="2/minute")
    assert api.get("/api/v1/me/").status_code == 401
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer itk_guess").status_code == 401
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer itk_guess2")
    assert_problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) > 0


def test_an_empty_rate_switches_a_limit_off(api_as, alice, limits):
    limits(user=None)
    assert {api_as(alice).get("/api/v1/me/").status_code for _ in range(5)} == {200}


def test_a_forged_forwarded_for_header_buys_no_extra_budget(api, limits, db, settings):
    """With no trusted proxy the header is ignored: each call below counts against the
    same address, whatever it claims."""
    limits(anon="2/minute")
    codes = [
        api.get("/api/v1/me/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)
    ]
    assert codes == [401, 401, 429]


def test_behind_one_trusted_proxy_only_the_address_it_saw_counts(api, limits, db, settings):
    limits(anon="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forged = [
        api.get("/api/v1/me/", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7").status_code
        for n in range(3)
    ]
    assert forged == [401, 401, 429]  # the client's own entries changed nothing
    assert api.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 401
