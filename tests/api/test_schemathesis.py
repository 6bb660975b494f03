"""Property-based tests of the API against its own OpenAPI schema (Schemathesis).

Every operation in /api/schema/ is called in-process through the WSGI app, with
generated valid and invalid inputs (examples, coverage and fuzzing phases, a bounded
number of examples each), as alice (ENG admin) with a real token, on seeded data. Each
answer must not be a server error and must match the schema: documented status code,
content type, headers and body.

Run alone with `pytest -m schemathesis -n 2`: about 40 s on two idle cores (one process: ~75 s).
"""

import logging

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from issues import services
from issues.customer_services import create_customer
from tests.factories import LabelFactory

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Thousands of 4xx answers are the point here, not news."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def _requests_in_the_test_transaction():
    """Django closes "old" connections around each WSGI request, which would end the
    test's transaction; its own test client switches this off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(eng, ops, alice, bob, sam, vera, mallory):
    """Some of everything, so generated requests also find things that exist."""
    bug = LabelFactory(team=eng, name="bug")
    LabelFactory(team=eng, name="payments")
    customer = create_customer(actor=alice, name="Dana Smith", email="dana@acme.example")
    first = services.create_issue(
        eng, actor=alice, title="Checkout fails", priority=1, assignees=[bob], labels=[bug]
    )
    services.create_issue(eng, actor=sam, title="Question from Acme", customer=customer)
    services.add_comment(first, body="Looking into it, @alice", actor=bob)
    services.create_issue(ops, actor=mallory, title="Ops only")


@pytest.fixture
def alice_token(token_for, alice):
    return token_for(alice)


# Loaded when the module is collected: generating the schema needs no database. (The
# fixture-based loader, schemathesis.pytest.from_fixture, does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written to the working tree
    # The seeded rows are shared by all the examples of an operation, on purpose.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, seeded, _requests_in_the_test_transaction, alice_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {alice_token}"}, checks=CHECKS)
