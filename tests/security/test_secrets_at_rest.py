"""No raw API token lands in any table: after creating
a token on the page, using it for reads and an idempotent write, every column of every
table (sessions, audit log and idempotency records included) is searched for it."""

import re

import pytest
from django.db import connection
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _every_value() -> str:
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (a table name from the schema)
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_a_token_is_nowhere_in_the_database(client_for, bob, issue, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute"},
    }
    page = client_for(bob).post("/accounts/tokens/", {"name": "CI", "expires": "30"})
    raw = re.search(r"itk_[A-Za-z0-9_-]{20,}", page.content.decode()).group(0)
    assert page["Cache-Control"] == "no-store"

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").status_code == 200
    created = api.post(
        "/api/v1/issues/",
        {"team": "ENG", "title": f"Pasted my token {raw} by mistake"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )
    assert created.status_code == 201

    dump = _every_value()
    # The one place it may appear: the issue bob himself wrote it into.
    assert dump.count(raw) == dump.count(f"Pasted my token {raw}")
    assert raw[:12] in dump  # the prefix, shown to tell tokens apart, is stored
