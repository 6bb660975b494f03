# ruff: noqa: E501 (one row per line reads as a table)
"""Who may do what, as one table: every page route and every API operation, for every
persona, with the status code each must get.

alice admin, bob member, sam support, vera viewer (all ENG); mallory is in OPS only;
anon is signed out. Objects of ENG are 404 to mallory everywhere (never 403: an outsider
learns nothing). Each cell runs in a savepoint that is rolled back, so every cell
starts from the same data; a refused cell (4xx, or anon sent to sign in) must leave
the database exactly as it was.

Two coverage checks keep the table honest: every named URL pattern of the project
(except the admin site, listed exclusions) and every operation of the OpenAPI schema
must have a row, so a new page or endpoint cannot ship without deciding who may use it.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken, Membership
from issues import customer_links, services
from issues.models import Issue, Label, SavedView, Status
from notifications import webhooks
from notifications.models import Notification
from tests.factories import CustomerFactory, NotificationFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("alice", "bob", "sam", "vera", "mallory", "anon")
LOGIN = 302  # signed-out visitors of pages are sent to sign in
OK = 200
GONE = 302  # a page write that succeeded: post/redirect/get


@dataclass(frozen=True)
class Row:
    """One route or operation: how to call it and what each persona gets."""

    route: str  # URL name for pages ("issues:detail"), "METHOD /path/{param}/" for the API
    method: str
    url: str  # with {placeholders} filled from the fixtures' objects
    expect: tuple[int, int, int, int, int, int]  # alice, bob, sam, vera, mallory, anon
    data: dict[str, Any] | None = field(default=None)
    writes: bool = True  # an accepted non-GET call must change the data


def P(route, method, url, expect, data=None, writes=True):
    return Row(route, method, url, tuple(expect), data, writes)


def A(operation, url, expect, data=None, writes=True):
    method, _ = operation.split(" ", 1)
    return Row(operation, method.lower(), url, tuple(expect), data, writes)


ALL_OK = [OK] * 5
ENG_READ = [OK, OK, OK, OK, 404, LOGIN]
PREFERENCES = {kind: "digest" for kind in Notification.Kind.values}


def UPLOAD():
    return SimpleUploadedFile("notes.txt", b"steps to reproduce", content_type="text/plain")


QUICK_LOG = {
    "team": "ENG",
    "customer": "{customer}",
    "channel": "phone",
    "kind": "bug",
    "title": "Caller cannot sign in",
    "description": "",
    "priority": "3",
    "note": "",
}

# fmt: off
PAGES = [
    P("home", "get", "/", [*ALL_OK, LOGIN]),
    P("healthz", "get", "/healthz", [OK] * 6),
    P("accounts:login", "get", "/accounts/login/", [302] * 5 + [OK]),
    P("accounts:logout", "post", "/accounts/logout/", [302] * 6, writes=False),
    P("accounts:tokens", "get", "/accounts/tokens/", [*ALL_OK, LOGIN]),
    P("accounts:tokens", "post", "/accounts/tokens/", [*ALL_OK, LOGIN], {"name": "CI", "expires": "30"}),
    P("accounts:token-revoke", "post", "/accounts/tokens/{bobs_token}/revoke/", [404, GONE, 404, 404, 404, LOGIN]),
    P("accounts:password_change", "get", "/accounts/password/change/", [*ALL_OK, LOGIN]),
    P("accounts:password_change_done", "get", "/accounts/password/change/done/", [*ALL_OK, LOGIN]),
    P("accounts:password_reset", "get", "/accounts/password/reset/", [OK] * 6),
    P("accounts:password_reset_done", "get", "/accounts/password/reset/sent/", [OK] * 6),
    P("accounts:password_reset_confirm", "get", "/accounts/password/reset/MQ/bad-token/", [OK] * 6),
    P("accounts:password_reset_complete", "get", "/accounts/password/reset/complete/", [OK] * 6),
    P("api:schema", "get", "/api/schema/", [OK] * 6),
    P("api:docs", "get", "/api/docs/", [OK] * 6),
    P("api:problem", "get", "/api/problems/not-found", [OK] * 6),
    # team settings: admins only; members get 403, outsiders 404
    P("team_settings:index", "get", "/teams/ENG/settings/", [302, 403, 403, 403, 404, LOGIN]),
    P("team_settings:members", "get", "/teams/ENG/settings/members/", [OK, 403, 403, 403, 404, LOGIN]),
    P("team_settings:members", "post", "/teams/ENG/settings/members/", [GONE, 403, 403, 403, 404, LOGIN], {"new-user": "carol", "new-role": "viewer"}),
    P("team_settings:member-role", "post", "/teams/ENG/settings/members/{bobs_membership}/role/", [GONE, 403, 403, 403, 404, LOGIN], {"member-{bobs_membership}-role": "viewer"}),
    P("team_settings:member-remove", "post", "/teams/ENG/settings/members/{bobs_membership}/remove/", [GONE, 403, 403, 403, 404, LOGIN], {"confirm": "1"}),
    P("team_settings:statuses", "get", "/teams/ENG/settings/statuses/", [OK, 403, 403, 403, 404, LOGIN]),
    P("team_settings:statuses", "post", "/teams/ENG/settings/statuses/", [GONE, 403, 403, 403, 404, LOGIN], {"new-name": "Parked", "new-category": "waiting", "new-stale_unit": "days"}),
    P("team_settings:status-update", "post", "/teams/ENG/settings/statuses/{triaged}/", [GONE, 403, 403, 403, 404, LOGIN], {"status-{triaged}-name": "Sorted", "status-{triaged}-category": "todo", "status-{triaged}-stale_unit": "days"}),
    P("team_settings:status-move", "post", "/teams/ENG/settings/statuses/{triaged}/move/", [GONE, 403, 403, 403, 404, LOGIN], {"direction": "down"}),
    P("team_settings:status-delete", "post", "/teams/ENG/settings/statuses/{unused_status}/delete/", [GONE, 403, 403, 403, 404, LOGIN], {"confirm": "1"}),
    P("team_settings:labels", "get", "/teams/ENG/settings/labels/", [OK, 403, 403, 403, 404, LOGIN]),
    P("team_settings:labels", "post", "/teams/ENG/settings/labels/", [GONE, 403, 403, 403, 404, LOGIN], {"new-name": "security", "new-color": "#d73a4a"}),
    P("team_settings:label-update", "post", "/teams/ENG/settings/labels/{label}/", [GONE, 403, 403, 403, 404, LOGIN], {"label-{label}-name": "defect", "label-{label}-color": "#000000"}),
    P("team_settings:label-delete", "post", "/teams/ENG/settings/labels/{label}/delete/", [GONE, 403, 403, 403, 404, LOGIN], {"confirm": "1"}),
    P("team_settings:audit", "get", "/teams/ENG/settings/audit/", [OK, 403, 403, 403, 404, LOGIN]),
    P("team_settings:webhooks", "get", "/teams/ENG/settings/webhooks/", [OK, 403, 403, 403, 404, LOGIN]),
    P("team_settings:webhooks", "post", "/teams/ENG/settings/webhooks/", [GONE, 403, 403, 403, 404, LOGIN], {"new-url": "https://hooks.example.com/new", "new-is_active": "on"}),
    P("team_settings:webhook-update", "post", "/teams/ENG/settings/webhooks/{hook}/", [GONE, 403, 403, 403, 404, LOGIN], {"webhook-{hook}-url": "https://hooks.example.com/changed"}),
    P("team_settings:webhook-delete", "post", "/teams/ENG/settings/webhooks/{hook}/delete/", [GONE, 403, 403, 403, 404, LOGIN]),
    P("team_settings:webhook-rotate-secret", "post", "/teams/ENG/settings/webhooks/{hook}/secret/", [GONE, 403, 403, 403, 404, LOGIN]),
    P("team_settings:webhook-enable", "post", "/teams/ENG/settings/webhooks/{paused_hook}/enable/", [GONE, 403, 403, 403, 404, LOGIN]),
    P("team_settings:webhook-ping", "post", "/teams/ENG/settings/webhooks/{hook}/ping/", [GONE, 403, 403, 403, 404, LOGIN]),
    P("team_settings:webhook-deliveries", "get", "/teams/ENG/settings/webhooks/{hook}/deliveries/", [OK, 403, 403, 403, 404, LOGIN]),
    # inbox
    P("notifications:inbox", "get", "/inbox/", [*ALL_OK, LOGIN]),
    P("notifications:read", "post", "/inbox/{bobs_note}/read/", [404, GONE, 404, 404, 404, LOGIN]),
    P("notifications:read-all", "post", "/inbox/read-all/", [GONE] * 5 + [LOGIN], writes=False),
    P("notifications:preferences", "get", "/inbox/preferences/", [*ALL_OK, LOGIN]),
    P("notifications:preferences", "post", "/inbox/preferences/", [GONE] * 5 + [LOGIN], PREFERENCES),
    # team pages
    P("issues:list", "get", "/teams/ENG/issues/", ENG_READ),
    P("issues:board", "get", "/teams/ENG/board/", ENG_READ),
    P("issues:reports", "get", "/teams/ENG/reports/", ENG_READ),
    P("issues:reports", "get", "/teams/ENG/reports/?format=csv&report=aging", [OK, OK, OK, OK, 404, LOGIN]),
    P("issues:bulk", "post", "/teams/ENG/issues/bulk/", [GONE, GONE, GONE, 403, 404, LOGIN], {"issues": "ENG-1", "action": "priority", "priority": "high"}),
    P("issues:bulk", "post", "/teams/ENG/issues/bulk/", [GONE, GONE, 403, 403, 404, LOGIN], {"issues": "ENG-1", "action": "assign", "assignee": "bob"}),
    P("issues:save-view", "post", "/teams/ENG/views/", [GONE, GONE, GONE, GONE, 404, LOGIN], {"name": "Mine", "query": "assignee=me"}),
    P("issues:delete-view", "post", "/teams/ENG/views/{bobs_view}/delete/", [404, GONE, 404, 404, 404, LOGIN]),
    # issues
    P("issues:new", "get", "/issues/new/?team=ENG", [OK, OK, OK, 403, 404, LOGIN]),
    P("issues:new", "post", "/issues/new/", [GONE, GONE, GONE, 403, 404, LOGIN], {"team": "ENG", "title": "Printer on fire", "kind": "bug", "priority": "5", "channel": "web"}),
    P("issues:similar", "get", "/issues/similar/?team=ENG&title=Login+button", ENG_READ),
    P("issues:preview", "post", "/markdown/preview/", [*ALL_OK, LOGIN], {"body": "**hi**"}, writes=False),
    P("issues:detail", "get", "/issues/ENG-1/", ENG_READ),
    P("issues:edit", "get", "/issues/ENG-1/edit/", [OK, OK, OK, 403, 404, LOGIN]),
    P("issues:edit", "post", "/issues/ENG-1/edit/", [GONE, GONE, GONE, 403, 404, LOGIN], {"title": "Renamed", "description": "", "version": "{version}"}),
    P("issues:properties", "post", "/issues/ENG-1/properties/", [GONE, GONE, GONE, 403, 404, LOGIN], {"fields": "priority", "priority": "1", "version": "{version}"}),
    P("issues:comment", "post", "/issues/ENG-1/comments/", [GONE, GONE, GONE, 403, 404, LOGIN], {"body": "Seen it too"}),
    P("issues:watch", "post", "/issues/ENG-3/watch/", [GONE, GONE, GONE, GONE, 404, LOGIN], {"watch": "1"}),
    P("issues:duplicate", "post", "/issues/ENG-2/duplicate/", [GONE, GONE, GONE, 403, 404, LOGIN], {"of": "ENG-1"}),
    P("issues:move", "post", "/issues/ENG-1/move/", [GONE, GONE, GONE, 403, 404, LOGIN], {"status": "{in_progress}"}),
    # customers on an issue, and the customer status link
    P("issues:add-customer", "post", "/issues/ENG-1/customers/", [GONE, GONE, GONE, 403, 404, LOGIN], {"customer": "{customer}"}),
    P("issues:remove-customer", "post", "/issues/ENG-1/customers/{linked_customer}/remove/", [GONE, GONE, GONE, 403, 404, LOGIN]),
    P("issues:status-link", "post", "/issues/ENG-1/status-link/", [GONE, GONE, GONE, 403, 404, LOGIN], {"action": "create"}),
    P("issues:status-link", "post", "/issues/ENG-2/status-link/", [GONE, GONE, GONE, 403, 404, LOGIN], {"action": "revoke"}),
    P("customer-status", "get", "/status/{status_token}/", [OK] * 6),
    P("issues:issue-customer-search", "get", "/issues/ENG-1/customers/search/?q=Cust", ENG_READ),
    # quick log (support's form), customers and organizations (customers belong to no team)
    P("issues:quick-log", "get", "/quick-log/", [OK, OK, OK, 403, OK, LOGIN]),
    P("issues:quick-log", "post", "/quick-log/", [GONE, GONE, GONE, 403, 400, LOGIN], QUICK_LOG),
    P("issues:quick-log-add-to", "post", "/quick-log/add-to/ENG-1/", [GONE, GONE, GONE, 403, 404, LOGIN], QUICK_LOG),
    P("issues:quick-log-similar", "get", "/quick-log/similar/?team=ENG&title=Login", ENG_READ),
    P("issues:quick-log-customer", "get", "/quick-log/customer/?q=Cust", [OK, OK, OK, 403, OK, LOGIN]),
    P("issues:customers", "get", "/customers/?q=Cust", [*ALL_OK, LOGIN]),
    P("issues:customer", "get", "/customers/{customer}/", [*ALL_OK, LOGIN]),
    P("issues:customer", "post", "/customers/{customer}/", [GONE, GONE, GONE, 403, GONE, LOGIN], {"name": "Dana Renamed", "email": "dana@client.example", "organization": "Acme", "phone": ""}),
    P("issues:organization", "get", "/organizations/{organization}/", [*ALL_OK, LOGIN]),
    P("issues:customer-emails", "post", "/issues/ENG-1/customers/{linked_customer}/emails/", [GONE, GONE, GONE, 403, 404, LOGIN], {"enabled": "0"}),
    # attachments: members download; who may comment uploads; uploader or admin removes
    P("issues:attach", "post", "/issues/ENG-1/attachments/", [GONE, GONE, GONE, 403, 404, LOGIN], {"files": UPLOAD}),
    P("issues:attachment", "get", "/issues/ENG-1/attachments/{bobs_attachment}/", ENG_READ),
    P("issues:remove-attachment", "post", "/issues/ENG-1/attachments/{bobs_attachment}/remove/", [GONE, GONE, 403, 403, 404, LOGIN]),
    P("team_settings:support", "get", "/teams/ENG/settings/support/", [OK, 403, 403, 403, 404, LOGIN]),
    P("team_settings:support", "post", "/teams/ENG/settings/support/", [GONE, 403, 403, 403, 404, LOGIN], {"intake_email": "eng@intake.example", "is_emailing_customers": "on"}),
]

API_READ = [OK, OK, OK, OK, 404, 401]
API_ADMIN = [OK, 403, 403, 403, 404, 401]

API = [
    A("GET /api/v1/me/", "/api/v1/me/", [*ALL_OK, 401]),
    A("GET /api/v1/teams/", "/api/v1/teams/", [*ALL_OK, 401]),
    A("GET /api/v1/teams/{key}/", "/api/v1/teams/ENG/", API_READ),
    A("GET /api/v1/teams/{key}/webhooks/", "/api/v1/teams/ENG/webhooks/", API_ADMIN),
    A("POST /api/v1/teams/{key}/webhooks/", "/api/v1/teams/ENG/webhooks/", [201, 403, 403, 403, 404, 401], {"url": "https://hooks.example.com/x"}),
    A("GET /api/v1/teams/{key}/webhooks/{id}/", "/api/v1/teams/ENG/webhooks/{hook}/", API_ADMIN),
    A("PATCH /api/v1/teams/{key}/webhooks/{id}/", "/api/v1/teams/ENG/webhooks/{hook}/", API_ADMIN, {"is_active": False}),
    A("DELETE /api/v1/teams/{key}/webhooks/{id}/", "/api/v1/teams/ENG/webhooks/{hook}/", [204, 403, 403, 403, 404, 401]),
    A("GET /api/v1/issues/", "/api/v1/issues/", [*ALL_OK, 401]),
    A("POST /api/v1/issues/", "/api/v1/issues/", [201, 201, 201, 403, 400, 401], {"team": "ENG", "title": "New"}),
    A("GET /api/v1/issues/{key}/", "/api/v1/issues/ENG-1/", API_READ),
    A("PATCH /api/v1/issues/{key}/", "/api/v1/issues/ENG-1/", [OK, OK, OK, 403, 404, 401], {"priority": "high"}),
    A("PATCH /api/v1/issues/{key}/", "/api/v1/issues/ENG-1/", [OK, OK, 403, 403, 404, 401], {"labels": []}),
    A("GET /api/v1/issues/{key}/comments/", "/api/v1/issues/ENG-1/comments/", API_READ),
    A("POST /api/v1/issues/{key}/comments/", "/api/v1/issues/ENG-1/comments/", [201, 201, 201, 403, 404, 401], {"body": "Hi"}),
    A("GET /api/v1/issues/{key}/timeline/", "/api/v1/issues/ENG-1/timeline/", API_READ),
    A("GET /api/v1/issues/{key}/attachments/", "/api/v1/issues/ENG-1/attachments/", API_READ),
    A("POST /api/v1/issues/{key}/attachments/", "/api/v1/issues/ENG-1/attachments/", [201, 201, 201, 403, 404, 401], {"file": UPLOAD}),
    A("GET /api/v1/issues/{key}/attachments/{id}/", "/api/v1/issues/ENG-1/attachments/{bobs_attachment}/", API_READ),
    A("GET /api/v1/issues/{key}/attachments/{id}/content/", "/api/v1/issues/ENG-1/attachments/{bobs_attachment}/content/", API_READ),
    A("DELETE /api/v1/issues/{key}/attachments/{id}/", "/api/v1/issues/ENG-1/attachments/{bobs_attachment}/", [204, 204, 403, 403, 404, 401]),
    A("GET /api/v1/issues/{key}/status-periods/", "/api/v1/issues/ENG-1/status-periods/", API_READ),
    A("GET /api/v1/teams/{key}/reports/{name}/", "/api/v1/teams/ENG/reports/time-in-status/", API_READ),
    A("GET /api/v1/customers/", "/api/v1/customers/", [*ALL_OK, 401]),
    A("POST /api/v1/customers/", "/api/v1/customers/", [201, 201, 201, 403, 201, 401], {"name": "Dana"}),
    A("GET /api/v1/customers/{id}/", "/api/v1/customers/{customer}/", [*ALL_OK, 401]),
    A("GET /api/v1/organizations/", "/api/v1/organizations/", [*ALL_OK, 401]),
    A("GET /api/v1/organizations/{id}/", "/api/v1/organizations/{organization}/", [*ALL_OK, 401]),
    A("POST /api/v1/issues/{key}/status-link/", "/api/v1/issues/ENG-1/status-link/", [201, 201, 201, 403, 404, 401]),
    A("DELETE /api/v1/issues/{key}/status-link/", "/api/v1/issues/ENG-2/status-link/", [204, 204, 204, 403, 404, 401]),
    A("GET /api/v1/notifications/", "/api/v1/notifications/", [*ALL_OK, 401]),
    A("POST /api/v1/notifications/read-all/", "/api/v1/notifications/read-all/", [*ALL_OK, 401], writes=False),
    A("POST /api/v1/notifications/{id}/read/", "/api/v1/notifications/{bobs_note}/read/", [404, OK, 404, 404, 404, 401]),
]
# fmt: on

# Routes without a row, and why.
NOT_IN_TABLE = {
    "api:None": "the API's URL root (DRF's format-suffix include), not an endpoint",
}


# --- the data every cell starts from ---------------------------------------------


@pytest.fixture
def world(eng, ops, alice, bob, sam, vera, mallory, issue, bug_label):
    services.create_issue(eng, actor=alice, title="Login page is blank")  # ENG-2
    services.create_issue(eng, actor=None, title="Nobody watches this")  # ENG-3
    services.create_issue(ops, actor=mallory, title="Disk full")  # OPS-1
    unused = Status.objects.create(team=eng, name="Unused", category="todo", position=99)
    from tests.factories import UserFactory

    UserFactory(username="carol")
    note = NotificationFactory(recipient=bob, event=issue.events.get(), issue=issue)
    hook = webhooks.create_webhook(eng, url="https://hooks.example.com/a", actor=None)
    paused = webhooks.create_webhook(
        eng, url="https://hooks.example.com/b", is_active=False, actor=None
    )
    services.set_labels(issue, labels=[bug_label], actor=None)
    linked = CustomerFactory()
    services.add_customer(issue, customer=linked, actor=None)
    eng_2 = Issue.objects.get(team=eng, number=2)
    services.add_customer(eng_2, customer=linked, actor=None)
    services.create_status_link(eng_2, actor=None)
    bobs_attachment = services.add_attachment(issue, file=UPLOAD(), actor=bob)
    bobs_token, _ = tokens.create_token(bob, name="bob's", actor=None)
    bobs_view = SavedView.objects.create(team=eng, owner=bob, name="Bob's", query="priority=high")
    return {
        "people": {"alice": alice, "bob": bob, "sam": sam, "vera": vera, "mallory": mallory},
        "ids": {
            "bobs_note": note.pk,
            "hook": hook.pk,
            "paused_hook": paused.pk,
            "bobs_token": bobs_token.pk,
            "bobs_view": bobs_view.pk,
            "bobs_membership": Membership.objects.get(team=eng, user=bob).pk,
            "triaged": Status.objects.get(team=eng, name="Triaged").pk,
            "in_progress": Status.objects.get(team=eng, name="In progress").pk,
            "unused_status": unused.pk,
            "label": bug_label.pk,
            "customer": (customer := CustomerFactory()).pk,
            "organization": customer.organization_id,
            "version": Issue.objects.get(pk=issue.pk).version,
            "linked_customer": linked.pk,
            "bobs_attachment": bobs_attachment.pk,
            "status_token": customer_links.token(Issue.objects.get(pk=eng_2.pk)),
        },
    }


def _fill(value, ids):
    if callable(value):  # a fresh upload per call
        return value()
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {_fill(k, ids): _fill(v, ids) for k, v in value.items()}
    return value


def _fingerprint() -> str:
    """Every row of every table of ours, hashed: equal fingerprints, equal data."""
    digest = hashlib.sha256()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in {"accounts", "issues", "notifications"}:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.name != "last_used_at"]
        rows = model._default_manager.order_by("pk").values_list(*names)
        digest.update(repr((model.__name__, list(rows))).encode())
    return digest.hexdigest()


def _script_src(csp: str) -> str:
    directives = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives.get("script-src") or directives.get("default-src", "")


def _page_client(persona, people):
    client = Client()
    if persona != "anon":
        client.force_login(people[persona])
    return client


def _api_client(persona, people):
    client = APIClient()
    if persona != "anon":
        _, raw = tokens.create_token(people[persona], name="matrix", actor=None)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _run(rows, world, make_client):
    ids, people = world["ids"], world["people"]
    clients = {persona: make_client(persona, people) for persona in PERSONAS}
    ApiToken.objects.update(last_used_at=None)
    expected, actual, leaks, no_effect, get_writes, no_csp = [], [], [], [], [], []
    for row in rows:
        url = _fill(row.url, ids)
        for persona, status in zip(PERSONAS, row.expect, strict=True):
            data = _fill(row.data, ids)
            cache.clear()  # rate limits and sign-in throttles start from zero
            cookies = copy.deepcopy(clients[persona].cookies)  # signing out is undone too
            with transaction.atomic():
                before = _fingerprint()
                kwargs = (
                    {"format": "multipart"}
                    if isinstance(clients[persona], APIClient)
                    and any(callable(v) for v in (row.data or {}).values())
                    else {}
                )
                response = getattr(clients[persona], row.method)(url, data or {}, **kwargs)
                refused = response.status_code >= 400 or (
                    persona == "anon" and response.status_code in {301, 302, 401}
                )
                changed = _fingerprint() != before
                if refused and changed:
                    leaks.append((row.method, url, persona, response.status_code))
                if row.method != "get" and row.writes and not refused and not changed:
                    no_effect.append((row.method, url, persona, response.status_code))
                if row.method == "get" and changed:
                    get_writes.append((url, persona))
                if response.get("Content-Type", "").startswith("text/html"):
                    script_src = _script_src(response.get("Content-Security-Policy", ""))
                    if not script_src or "'unsafe-inline'" in script_src:
                        no_csp.append((url, persona, response.status_code))
                transaction.set_rollback(True)
            clients[persona].cookies = cookies
            expected.append((row.method, url, persona, status))
            actual.append((row.method, url, persona, response.status_code))
    assert get_writes == [], "GET changed data"
    assert no_csp == [], "HTML without a strict Content-Security-Policy"
    return expected, actual, leaks, no_effect


def test_pages(world, settings):
    settings.LOGIN_FAILURE_LIMIT = 0
    expected, actual, leaks, no_effect = _run(PAGES, world, _page_client)
    mismatches = [(e, a[3]) for e, a in zip(expected, actual, strict=True) if e != a]
    assert mismatches == [], "\n".join(map(str, mismatches))
    assert leaks == []
    assert no_effect == [], "\n".join(map(str, no_effect))


def test_api(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute"},
    }
    expected, actual, leaks, no_effect = _run(API, world, _api_client)
    mismatches = [(e, a[3]) for e, a in zip(expected, actual, strict=True) if e != a]
    assert mismatches == [], "\n".join(map(str, mismatches))
    assert leaks == []
    assert no_effect == [], "\n".join(map(str, no_effect))


# --- coverage: no route or operation without a row --------------------------------


def _named_routes(patterns=None, namespace=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = pattern.namespace or namespace
            if namespace and pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}"
            yield from _named_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else str(pattern.name)


API_PAGES = {"api:schema", "api:docs", "api:problem"}


def test_every_page_route_has_a_row():
    # The API's own routes are checked against the OpenAPI schema below.
    routes = {
        name
        for name in set(_named_routes()) - set(NOT_IN_TABLE)
        if not name.startswith("api:") or name in API_PAGES
    }
    covered = {row.route for row in PAGES}
    assert sorted(routes - covered) == []
    assert sorted(covered - routes) == []  # rows of routes that no longer exist


def test_every_schema_operation_has_a_row():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    covered = {row.route for row in API}
    assert sorted(operations - covered) == []
    assert sorted(covered - operations) == []


def test_cells_start_from_the_same_data(world):
    """The savepoint per cell really isolates: a delete in one cell is gone in the next."""
    client = _page_client("alice", world["people"])
    before = _fingerprint()
    with transaction.atomic():
        client.post(f"/teams/ENG/settings/labels/{world['ids']['label']}/delete/", {"confirm": "1"})
        assert not Label.objects.filter(pk=world["ids"]["label"]).exists()
        transaction.set_rollback(True)
    assert _fingerprint() == before


# --- CSRF: every state-changing page and session-authenticated API write -----------


def test_page_writes_without_the_csrf_token_are_refused(world):
    rows = [row for row in PAGES if row.method != "get"]
    refused = []
    for row in rows:
        client = Client(enforce_csrf_checks=True)
        client.force_login(
            world["people"]["alice"] if "bobs" not in row.url else world["people"]["bob"]
        )
        before = _fingerprint()
        response = getattr(client, row.method)(
            _fill(row.url, world["ids"]), _fill(row.data, world["ids"]) or {}
        )
        refused.append((row.route, response.status_code, _fingerprint() == before))
    assert refused == [(row.route, 403, True) for row in rows]


def test_session_api_writes_without_the_csrf_token_are_refused(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute"},
    }
    rows = [row for row in API if row.method != "get"]
    refused = []
    for row in rows:
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(
            world["people"]["alice"] if "bobs" not in row.url else world["people"]["bob"]
        )
        before = _fingerprint()
        response = getattr(client, row.method)(
            _fill(row.url, world["ids"]), _fill(row.data, world["ids"]), format="json"
        )
        refused.append((row.route, response.status_code, _fingerprint() == before))
    assert refused == [(row.route, 403, True) for row in rows]
