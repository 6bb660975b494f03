"""The audit log: what is recorded, who can read it, and that nobody can change it."""

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from accounts import audit, tokens
from accounts import services as member_services
from accounts.models import AuditEntry, Membership
from issues import workflow
from issues.models import Status
from issues.services import DomainError
from notifications import webhooks
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def _actions(**filters):
    entries = AuditEntry.objects.filter(**filters).order_by("pk")
    return list(entries.values_list("action", flat=True))


def test_membership_changes_are_recorded_with_actor_team_and_subject(eng, alice, bob):
    carol = UserFactory(username="carol")
    membership = member_services.add_member(eng, user=carol, role="viewer", actor=alice)
    member_services.change_role(membership, role="member", actor=alice)
    member_services.change_role(membership, role="member", actor=alice)  # no-op: no entry
    member_services.remove_member(membership, actor=alice)

    entries = list(AuditEntry.objects.filter(team=eng).order_by("pk"))
    assert [e.action for e in entries] == [
        Action.MEMBER_ADDED,
        Action.ROLE_CHANGED,
        Action.MEMBER_REMOVED,
    ]
    assert {(e.actor_name, e.subject_name) for e in entries} == {("alice", "carol")}
    assert entries[1].data == {"from": "viewer", "to": "member"}


def test_refused_changes_leave_no_entry(eng, alice, bob):
    membership = Membership.objects.get(team=eng, user=alice)
    with pytest.raises(DomainError):  # the last admin cannot be demoted
        member_services.change_role(membership, role="member", actor=alice)
    with pytest.raises(PermissionDenied):
        workflow.add_status(eng, name="Parked", category="waiting", actor=bob)
    assert not AuditEntry.objects.exists()


def test_workflow_label_and_webhook_changes_are_recorded(eng, alice):
    status = workflow.add_status(eng, name="Parked", category="waiting", actor=alice)
    workflow.update_status(status, name="On hold", actor=alice)
    workflow.move_status(status, direction="up", actor=alice)
    workflow.delete_status(status, actor=alice)
    label = workflow.add_label(eng, name="security", color="#d73a4a", actor=alice)
    workflow.update_label(label, color="#000000", actor=alice)
    workflow.delete_label(label, actor=alice)
    hook = webhooks.create_webhook(eng, url="https://example.com/hook", actor=alice)
    webhooks.update_webhook(hook, is_active=False, actor=alice)
    webhooks.rotate_secret(hook, actor=alice)
    webhooks.delete_webhook(hook, actor=alice)

    assert _actions(team=eng) == [
        Action.STATUS_ADDED,
        Action.STATUS_CHANGED,
        Action.STATUS_MOVED,
        Action.STATUS_DELETED,
        Action.LABEL_ADDED,
        Action.LABEL_CHANGED,
        Action.LABEL_DELETED,
        Action.WEBHOOK_ADDED,
        Action.WEBHOOK_CHANGED,
        Action.WEBHOOK_SECRET_ROTATED,
        Action.WEBHOOK_DELETED,
    ]
    changed = AuditEntry.objects.get(action=Action.STATUS_CHANGED)
    assert (changed.target, changed.data["changed"]) == ("On hold", ["name"])


def test_token_entries_name_the_token_but_never_hold_its_value(eng, bob):
    token, raw = tokens.create_token(bob, name="CI", actor=bob)
    tokens.revoke(token, actor=bob)
    tokens.revoke(token, actor=bob)  # already revoked: nothing more

    entries = list(AuditEntry.objects.order_by("pk"))
    assert [e.action for e in entries] == [Action.TOKEN_CREATED, Action.TOKEN_REVOKED]
    assert all(e.subject == bob and e.team is None for e in entries)
    assert "CI" in entries[0].target
    assert all(raw not in repr(e.__dict__) for e in entries)


def test_sign_ins_are_recorded_with_the_client_address(client, bob):
    client.post(reverse("accounts:login"), {"username": "bob", "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": "nobody@example.com", "password": "x"})
    client.post(reverse("accounts:login"), {"username": "bob", "password": "pw-for-tests-only"})

    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.subject_name, e.subject_id) for e in entries] == [
        (Action.LOGIN_FAILED, "bob", bob.pk),
        (Action.LOGIN_FAILED, "nobody@example.com", None),
        (Action.LOGIN_SUCCEEDED, "bob", bob.pk),
    ]
    assert {e.ip for e in entries} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # no trusted proxy: the header is ignored
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # forged first entry is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "", "10.0.0.1"),
        (1, "not-an-address", None),
    ],
)
def test_client_address_trusts_only_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert audit.client_ip(request) == expected


def test_team_admins_read_their_team_and_their_members_account_entries(
    client, eng, ops, alice, bob, mallory
):
    workflow.add_label(eng, name="eng-only", color="#111111", actor=alice)
    workflow.add_label(ops, name="ops-only", color="#222222", actor=None)
    tokens.create_token(bob, name="bob's CI", actor=bob)
    tokens.create_token(mallory, name="mallory's laptop", actor=mallory)

    client.force_login(alice)
    page = client.get(reverse("team_settings:audit", args=["ENG"])).content.decode()
    assert "eng-only" in page and "bob&#x27;s CI" in page
    assert "ops-only" not in page and "mallory" not in page


def test_audit_page_pages_back_with_a_fixed_number_of_queries(
    client, eng, alice, django_assert_num_queries
):
    for n in range(5):
        workflow.add_label(eng, name=f"label {n}", color="#111111", actor=alice)
    client.force_login(alice)
    url = reverse("team_settings:audit", args=["ENG"])
    # user (with the unread count), my teams (the team among them), the page of entries
    with django_assert_num_queries(3):
        first = client.get(url)
    newest = AuditEntry.objects.filter(team=eng).order_by("-pk")
    assert first.content.decode().index("label 4") < first.content.decode().index("label 0")
    older = client.get(url, {"before": newest[1].pk}).content.decode()
    assert "label 4" not in older and "label 3" not in older and "label 2" in older
    assert client.get(url, {"before": "9" * 40}).status_code == 200


def test_the_admin_site_cannot_add_change_or_delete_entries(rf, eng, alice):
    workflow.add_label(eng, name="x", color="#111111", actor=alice)
    model_admin = site._registry[AuditEntry]
    request = rf.get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    entry = AuditEntry.objects.get()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_status_category_values_are_recorded(eng, alice):
    workflow.add_status(eng, name="Blocked", category=Status.Category.WAITING, actor=alice)
    assert AuditEntry.objects.get().data == {"category": "waiting"}
