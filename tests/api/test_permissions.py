"""Every persona against every endpoint, as one table of expected status codes.

alice admin, bob member, sam support, vera viewer (all ENG); mallory is in OPS only;
anon sends no credentials. Outsiders get 404 for ENG's resources, never 403.
"""

import pytest

from notifications import webhooks
from tests.factories import CustomerFactory, NotificationFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["alice", "bob", "sam", "vera", "mallory", "anon"]

# method, url, body: expected status for alice, bob, sam, vera, mallory, anon
MATRIX = [
    ("get", "/api/v1/me/", None, [200, 200, 200, 200, 200, 401]),
    ("get", "/api/v1/teams/", None, [200, 200, 200, 200, 200, 401]),
    ("get", "/api/v1/teams/ENG/", None, [200, 200, 200, 200, 404, 401]),
    ("get", "/api/v1/issues/", None, [200, 200, 200, 200, 200, 401]),
    ("post", "/api/v1/issues/", {"team": "ENG", "title": "New"}, [201, 201, 201, 403, 400, 401]),
    ("get", "/api/v1/issues/ENG-1/", None, [200, 200, 200, 200, 404, 401]),
    ("patch", "/api/v1/issues/ENG-1/", {"priority": "high"}, [200, 200, 200, 403, 404, 401]),
    ("patch", "/api/v1/issues/ENG-1/", {"labels": []}, [200, 200, 403, 403, 404, 401]),
    ("get", "/api/v1/issues/ENG-1/comments/", None, [200, 200, 200, 200, 404, 401]),
    ("post", "/api/v1/issues/ENG-1/comments/", {"body": "Hi"}, [201, 201, 201, 403, 404, 401]),
    ("get", "/api/v1/issues/ENG-1/timeline/", None, [200, 200, 200, 200, 404, 401]),
    ("get", "/api/v1/issues/ENG-1/attachments/", None, [200, 200, 200, 200, 404, 401]),
    ("delete", "/api/v1/issues/ENG-1/status-link/", None, [204, 204, 204, 403, 404, 401]),
    ("get", "/api/v1/customers/", None, [200, 200, 200, 200, 200, 401]),
    ("post", "/api/v1/customers/", {"name": "Dana"}, [201, 201, 201, 403, 201, 401]),
    ("get", "/api/v1/customers/{customer}/", None, [200, 200, 200, 200, 200, 401]),
    ("get", "/api/v1/notifications/", None, [200, 200, 200, 200, 200, 401]),
    ("post", "/api/v1/notifications/read-all/", None, [200, 200, 200, 200, 200, 401]),
    ("post", "/api/v1/notifications/{bobs_note}/read/", None, [404, 200, 404, 404, 404, 401]),
    ("get", "/api/v1/teams/ENG/webhooks/", None, [200, 403, 403, 403, 404, 401]),
    (
        "post",
        "/api/v1/teams/ENG/webhooks/",
        {"url": "https://hooks.example.com/x"},
        [201, 403, 403, 403, 404, 401],
    ),
    ("get", "/api/v1/teams/ENG/webhooks/{hook}/", None, [200, 403, 403, 403, 404, 401]),
    ("patch", "/api/v1/teams/ENG/webhooks/{hook}/", {}, [200, 403, 403, 403, 404, 401]),
    ("delete", "/api/v1/teams/ENG/webhooks/{other_hook}/", None, [204, 403, 403, 403, 404, 401]),
]


def test_every_persona_against_every_endpoint(request, api, api_as, issue, bob, sam, vera, mallory):
    customer = CustomerFactory()
    note = NotificationFactory(recipient=bob, event=issue.events.get(), issue=issue)
    hook = webhooks.create_webhook(issue.team, url="https://hooks.example.com/a", actor=None)
    other_hook = webhooks.create_webhook(issue.team, url="https://hooks.example.com/b", actor=None)
    clients = {
        name: api if name == "anon" else api_as(request.getfixturevalue(name)) for name in PERSONAS
    }
    expected, actual = [], []
    for method, url, body, statuses in MATRIX:
        url = url.format(
            customer=customer.pk, bobs_note=note.pk, hook=hook.pk, other_hook=other_hook.pk
        )
        for persona, status in zip(PERSONAS, statuses, strict=True):
            response = getattr(clients[persona], method)(url, body)
            expected.append((method, url, persona, status))
            actual.append((method, url, persona, response.status_code))
    assert actual == expected
