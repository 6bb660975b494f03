"""The Django admin has a page for every model, and it writes issues through services."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from issues.models import Issue, IssueEvent, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "issues", "notifications"}


@pytest.fixture
def root_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_every_model_is_registered():
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    # Assignment and IssueCustomer rows are shown inline on the issue.
    unregistered = {m.__name__ for m in ours if m not in admin.site._registry}
    assert unregistered == {"Assignment", "IssueCustomer"}


def test_every_changelist_and_add_page_renders(root_client, issue):
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        assert root_client.get(reverse(name)).status_code == 200
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    assert root_client.get(url).status_code == 200


def test_admin_edit_goes_through_the_service_and_writes_the_timeline(root_client, issue, eng):
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    triaged = Status.objects.get(team=eng, name="Triaged")
    response = root_client.post(
        url,
        {
            "title": "Renamed in admin",
            "description": "",
            "kind": "bug",
            "priority": 2,
            "status": triaged.pk,
            "channel": "web",
            "assignments-TOTAL_FORMS": 0,
            "assignments-INITIAL_FORMS": 0,
            "customer_links-TOTAL_FORMS": 0,
            "customer_links-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 1,
            "events-INITIAL_FORMS": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    issue.refresh_from_db()
    assert (issue.title, issue.status, issue.priority, issue.version) == (
        "Renamed in admin", triaged, 2, 2,
    )  # fmt: skip
    assert set(IssueEvent.objects.filter(issue=issue).values_list("kind", flat=True)) == {
        "created", "title_changed", "priority_changed", "status_changed",
    }  # fmt: skip


def test_issue_added_in_admin_gets_a_key_and_created_event(root_client, eng):
    response = root_client.post(
        reverse("admin:issues_issue_add"),
        {
            "team": eng.pk,
            "title": "From the admin",
            "description": "",
            "kind": "task",
            "priority": 5,
            "status": Status.objects.get(team=eng, name="New").pk,
            "channel": "web",
            "assignments-TOTAL_FORMS": 0,
            "assignments-INITIAL_FORMS": 0,
            "customer_links-TOTAL_FORMS": 0,
            "customer_links-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    issue = Issue.objects.get(title="From the admin")
    assert issue.number == 1
    assert list(issue.events.values_list("kind", flat=True)) == ["created"]


def test_the_timeline_cannot_be_edited_or_deleted_in_admin(root_client, issue):
    event = issue.events.get()
    assert (
        root_client.post(reverse("admin:issues_issueevent_delete", args=[event.pk])).status_code
        == 403
    )
