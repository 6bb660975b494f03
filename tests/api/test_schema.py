"""The OpenAPI schema and the interactive docs (Swagger UI, served from local files)."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi():
    from django.test import Client

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "patch", "put", "delete"}:
                yield f"{method.upper()} {path}", operation


def test_the_schema_is_valid_and_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"),
        stderr=StringIO(),
    )  # fmt: skip


def test_every_resource_is_in_the_schema(openapi):
    assert sorted(label for label, _ in operations(openapi)) == sorted(
        [
            "GET /api/v1/me/",
            "GET /api/v1/teams/",
            "GET /api/v1/teams/{key}/",
            "GET /api/v1/issues/",
            "POST /api/v1/issues/",
            "GET /api/v1/issues/{key}/",
            "PATCH /api/v1/issues/{key}/",
            "GET /api/v1/issues/{key}/comments/",
            "POST /api/v1/issues/{key}/comments/",
            "GET /api/v1/issues/{key}/timeline/",
            "GET /api/v1/issues/{key}/attachments/",
            "POST /api/v1/issues/{key}/attachments/",
            "GET /api/v1/issues/{key}/attachments/{id}/",
            "DELETE /api/v1/issues/{key}/attachments/{id}/",
            "GET /api/v1/issues/{key}/attachments/{id}/content/",
            "POST /api/v1/issues/{key}/status-link/",
            "DELETE /api/v1/issues/{key}/status-link/",
            "GET /api/v1/issues/{key}/status-periods/",
            "GET /api/v1/teams/{key}/reports/{name}/",
            "GET /api/v1/customers/",
            "POST /api/v1/customers/",
            "GET /api/v1/customers/{id}/",
            "GET /api/v1/organizations/",
            "GET /api/v1/organizations/{id}/",
            "GET /api/v1/notifications/",
            "POST /api/v1/notifications/{id}/read/",
            "POST /api/v1/notifications/read-all/",
            "GET /api/v1/teams/{key}/webhooks/",
            "POST /api/v1/teams/{key}/webhooks/",
            "GET /api/v1/teams/{key}/webhooks/{id}/",
            "PATCH /api/v1/teams/{key}/webhooks/{id}/",
            "DELETE /api/v1/teams/{key}/webhooks/{id}/",
        ]
    )


def test_bearer_tokens_are_declared(openapi):
    assert openapi["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": openapi["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for label, operation in operations(openapi):
        assert {"bearerAuth": []} in operation["security"], label


def test_every_operation_is_described_with_an_example(openapi):
    for label, operation in operations(openapi):
        assert operation.get("summary") and operation.get("description"), label
        success = [r for code, r in operation["responses"].items() if code.startswith("2")]
        if set(operation["responses"]) & {"204"} and not any(r.get("content") for r in success):
            continue  # nothing comes back, so there is nothing to show
        assert any(
            content.get("examples")
            for response in success
            for content in response.get("content", {}).values()
        ), f"{label} has no example"


def test_every_error_is_documented_as_problem_details(openapi):
    for label, operation in operations(openapi):
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), label
        for code, response in responses.items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (label, code)
        if "{" in label:
            assert "404" in responses, label
        if label.startswith(("POST", "PATCH")):
            assert {"400", "403", "415"} <= set(responses), label
    patch = openapi["paths"]["/api/v1/issues/{key}/"]["patch"]
    assert "412" in patch["responses"]
    assert patch["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert "If-Match" in [p["name"] for p in patch["parameters"]]
    create = openapi["paths"]["/api/v1/issues/"]["post"]
    assert {"409", "422"} <= set(create["responses"])
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]


def test_the_docs_page_uses_local_files_and_no_inline_code(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', html))  # no CDN
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_list_documents_exactly_the_filters_it_accepts(openapi):
    from issues.api.filters import ApiIssueFilterSet

    names = {p["name"] for p in openapi["paths"]["/api/v1/issues/"]["get"]["parameters"]}
    assert names == {*ApiIssueFilterSet.base_filters, "cursor", "page_size"}


def test_generating_the_schema_leaves_the_filters_working(api_as, alice, issue, client):
    """Schema generation must not freeze the filters' per-team choices (status names)."""
    client.get("/api/schema/")
    response = api_as(alice).get("/api/v1/issues/?status=New&assignee=me")
    assert response.status_code == 200, response.json()
