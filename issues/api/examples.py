"""Example requests and responses for the OpenAPI schema (/api/docs/ shows them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample


def ok(name: str, value, **kwargs) -> OpenApiExample:
    """An example response (200 unless `status_codes` says otherwise)."""
    return OpenApiExample(name, value=value, response_only=True, **kwargs)


def request(name: str, value) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


ISSUE_EXAMPLE = {
    "key": "ENG-42",
    "team": "ENG",
    "number": 42,
    "title": "Checkout fails with a 500 for EU cards",
    "description": "Since this morning, paying with a **EU** card fails.",
    "description_html": "<p>Since this morning, paying with a <strong>EU</strong> card fails.</p>",
    "kind": "bug",
    "priority": "urgent",
    "status": "In progress",
    "status_category": "in_progress",
    "assignees": ["bob"],
    "labels": ["payments"],
    "reporter": "sam",
    "customers": [7, 12],
    "customer_count": 2,
    "status_url": "https://tracker.example.com/status/1042-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c/",
    "channel": "api",
    "due_date": None,
    "duplicate_of": None,
    "is_stale": False,
    "created_at": "2026-03-02T09:15:00Z",
    "last_activity_at": "2026-03-02T10:40:00Z",
    "resolved_at": None,
    "version": 3,
    "url": "https://tracker.example.com/api/v1/issues/ENG-42/",
    "html_url": "https://tracker.example.com/issues/ENG-42/",
}

CUSTOMER_EXAMPLE = {
    "id": 7,
    "name": "Dana Smith",
    "email": "dana@acme.example",
    "organization": "Acme Corp",
    "organization_id": 3,
    "phone": "",
    "created_at": "2026-02-11T14:02:00Z",
    "url": "https://tracker.example.com/api/v1/customers/7/",
}

ORGANIZATION_EXAMPLE = {
    "id": 3,
    "name": "Acme Corp",
    "customer_count": 4,
    "created_at": "2026-02-11T14:02:00Z",
    "url": "https://tracker.example.com/api/v1/organizations/3/",
}

NOTIFICATION_EXAMPLE = {
    "id": 88,
    "kind": "assigned",
    "issue": "ENG-42",
    "issue_title": "Checkout fails with a 500 for EU cards",
    "event": 301,
    "actor": "alice",
    "created_at": "2026-03-02T10:40:00Z",
    "read_at": None,
    "is_read": False,
}

ME_RESPONSE = {
    "username": "sam",
    "name": "Sam Support",
    "email": "sam@example.com",
    "teams": [{"key": "ENG", "name": "Engineering", "role": "support"}],
}

TEAM_RESPONSE = {
    "key": "ENG",
    "name": "Engineering",
    "description": "",
    "role": "member",
    "url": "https://tracker.example.com/api/v1/teams/ENG/",
    "statuses": [
        {"name": "New", "category": "triage", "position": 0, "stale_after": "P2D"},
        {"name": "Resolved", "category": "done", "position": 4, "stale_after": None},
    ],
    "labels": [{"name": "payments", "color": "#d73a4a", "description": ""}],
    "members": [{"username": "bob", "name": "Bob", "role": "member"}],
}

READ_RESPONSE = {**NOTIFICATION_EXAMPLE, "read_at": "2026-03-02T11:00:00Z"}

READ_ALL_RESPONSE = {"marked_read": 3}

CREATE_REQUEST = {
    "team": "ENG",
    "title": "Checkout fails with a 500 for EU cards",
    "description": "Since this morning, paying with a **EU** card fails.",
    "kind": "bug",
    "priority": "urgent",
    "labels": ["payments"],
}

TRIAGE_REQUEST = {"status": "In progress", "assignees": ["bob"], "priority": "high"}

# Set semantics: the affected customers become exactly 7 and 12 (12 is added).
CUSTOMERS_REQUEST = {"customers": [7, 12]}

CREATE_FOR_CUSTOMER_REQUEST = {
    "team": "ENG",
    "title": "Invoice PDF shows the wrong VAT rate",
    "kind": "complaint",
    "channel": "phone",
    "customers": [7],
}

COMMENTS_RESPONSE = {
    "id": 12,
    "author": "sam",
    "customer": None,
    "body": "Customer confirms it happens on **every** EU card.",
    "body_html": "<p>Customer confirms it happens on <strong>every</strong> EU card.</p>",
    "public": False,
    "created_at": "2026-03-02T10:40:00Z",
    "edited_at": None,
}

COMMENT_REQUEST = {"body": "Fixed in the 2.3.1 release; @bob please verify."}

COMMENTED_RESPONSE = {
    "id": 13,
    "author": "alice",
    "customer": None,
    "body": "Fixed in the 2.3.1 release; @bob please verify.",
    "body_html": "<p>Fixed in the 2.3.1 release; @bob please verify.</p>",
    "public": False,
    "created_at": "2026-03-03T08:00:00Z",
    "edited_at": None,
}

CUSTOMER_REQUEST = {"name": "Dana Smith", "email": "dana@acme.example", "organization": "Acme Corp"}

TEAMS_RESPONSE = {
    "key": "ENG",
    "name": "Engineering",
    "description": "",
    "role": "member",
    "url": "https://tracker.example.com/api/v1/teams/ENG/",
}

TIMELINE_RESPONSE = {
    "id": 301,
    "kind": "status_changed",
    "actor": "bob",
    "created_at": "2026-03-02T10:40:00Z",
    "from_status": "New",
    "to_status": "In progress",
    "subject_user": None,
    "comment": None,
    "data": {"from": "New", "to": "In progress"},
}

ATTACHMENT_EXAMPLE = {
    "id": 7,
    "filename": "checkout-error.png",
    "content_type": "image/png",
    "size": 48213,
    "sha256": "9f2c4a0b7e1d3c5f8a6b2e4d1c3a5f7e9b0d2c4e6f8a1b3d5c7e9f0a2b4c6d8e",
    "comment": None,
    "uploaded_by": "sam",
    "created_at": "2026-03-02T10:15:00Z",
    "download_url": "https://tracker.example/api/v1/issues/ENG-42/attachments/7/content/",
}

STATUS_LINK_RESPONSE = {
    "status_url": "https://tracker.example.com/status/1042-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c/"
}


STATUS_PERIODS_RESPONSE = {
    "status": {"id": 12, "name": "In progress"},
    "category": "in_progress",
    "entered_at": "2026-03-02T10:40:00Z",
    "left_at": None,
    "duration_seconds": 7200.0,
    "moved_in_by": {"username": "bob", "name": "Bob Builder"},
}

TIME_IN_STATUS_RESPONSE = {
    "team": "ENG",
    "report": "time-in-status",
    "start": "2026-03-01T00:00:00Z",
    "end": "2026-04-01T00:00:00Z",
    "now": "2026-03-10T09:00:00Z",
    "data": [
        {
            "status_id": 12,
            "status": "In progress",
            "category": "in_progress",
            "issues": 2,
            "periods": 3,
            "median_seconds": 36000.0,
            "p90_seconds": 540000.0,
        }
    ],
}
