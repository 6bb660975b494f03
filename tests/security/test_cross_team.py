"""Ids of another team's objects inside page forms are refused and never linked.

alice is an admin of ENG and also a member of OPS here, so she can see OPS's objects:
the only thing wrong with each request is that it mixes the two teams. (The API's
side of this is in tests/api/test_issues.py: names and keys of another team.)
"""

import pytest
from django.contrib.messages import get_messages

from accounts.models import Membership
from issues import services
from issues.models import Issue, Label, Status
from tests.factories import LabelFactory
from tests.security.test_authorization_matrix import _fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(eng, ops, alice, mallory, issue):
    Membership.objects.create(team=ops, user=alice, role="member")
    ops_issue = services.create_issue(ops, actor=mallory, title="Ops issue")
    return {
        "issue": issue,
        "ops_issue": ops_issue,
        "ops_status": Status.objects.get(team=ops, name="In progress"),
        "ops_label": LabelFactory(team=ops, name="ops-only"),
        "mallory": mallory,
    }


@pytest.mark.parametrize(
    "case", ["status", "label", "assignee"], ids=["status", "label", "assignee"]
)
def test_issue_properties_refuse_another_teams_objects(client_for, alice, mixed, case):
    issue = mixed["issue"]
    data = {
        "status": {"fields": "status", "status": mixed["ops_status"].pk},
        "label": {"fields": "labels", "labels": [mixed["ops_label"].pk]},
        "assignee": {"fields": "assignees", "assignees": [mixed["mallory"].pk]},
    }[case]
    client = client_for(alice)
    before = _fingerprint()
    response = client.post(
        f"/issues/{issue.key}/properties/",
        {**data, "version": issue.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert _fingerprint() == before


def test_board_move_refuses_another_teams_status(client_for, alice, mixed):
    client = client_for(alice)
    before = _fingerprint()
    response = client.post(
        f"/issues/{mixed['issue'].key}/move/", {"status": mixed["ops_status"].pk}
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choose a status of this team."
    ]
    assert _fingerprint() == before


@pytest.mark.parametrize(
    "data",
    [
        {"action": "add_label", "label": "ops-only"},
        {"action": "assign", "assignee": "mallory"},
        {"action": "status", "status": "{ops_status}"},
    ],
    ids=["label", "assignee", "status"],
)
def test_bulk_changes_refuse_another_teams_objects(client_for, alice, mixed, data):
    data = {k: v.format(ops_status=mixed["ops_status"].pk) for k, v in data.items()}
    client = client_for(alice)
    before = _fingerprint()
    response = client.post("/teams/ENG/issues/bulk/", {"issues": ["ENG-1", "OPS-1"], **data})
    assert response.status_code == 302
    assert any("Select a valid choice" in str(m) for m in get_messages(response.wsgi_request))
    assert _fingerprint() == before


def test_bulk_changes_never_touch_another_teams_issue(client_for, alice, mixed):
    client = client_for(alice)
    client.post(
        "/teams/ENG/issues/bulk/",
        {"issues": ["ENG-1", "OPS-1"], "action": "priority", "priority": "urgent"},
    )
    assert Issue.objects.get(pk=mixed["issue"].pk).priority == Issue.Priority.URGENT
    assert Issue.objects.get(pk=mixed["ops_issue"].pk).priority == Issue.Priority.NONE


def test_duplicate_of_another_teams_issue_is_refused(client_for, alice, mixed):
    client = client_for(alice)
    before = _fingerprint()
    client.post(f"/issues/{mixed['issue'].key}/duplicate/", {"of": mixed["ops_issue"].key})
    assert _fingerprint() == before
    assert Issue.objects.get(pk=mixed["issue"].pk).duplicate_of is None


def test_new_issue_refuses_another_teams_labels_and_people(client_for, alice, mixed):
    client = client_for(alice)
    before = _fingerprint()
    response = client.post(
        "/issues/new/",
        {
            "team": "ENG",
            "title": "Mixed",
            "kind": "bug",
            "priority": "5",
            "channel": "web",
            "labels": [mixed["ops_label"].pk],
            "assignees": [mixed["mallory"].pk],
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"labels", "assignees"}
    assert _fingerprint() == before
    assert not Label.objects.filter(team__key="ENG", name="ops-only").exists()
