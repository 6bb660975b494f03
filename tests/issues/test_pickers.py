"""The team's pickers (statuses, labels, assignable members) are kept by each process
(issues/pickers.py). Whatever changes them, through a service, the admin or a bulk
write, the very next page shows the change; a sign-in changes nothing and keeps them."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import services as team_services
from accounts.models import Membership, Team
from issues import pickers, workflow
from issues.models import Label
from tests.factories import LabelFactory, UserFactory
from tests.issues.test_pages import (
    BOARD,
    LIST,
    LIST_QUERIES,
    PICKER_QUERIES,
    _columns,
    text,
)

pytestmark = pytest.mark.django_db


def menu(response, name: str) -> list[str]:
    """The texts of the list's filter menu `name`, in order."""
    return re.findall(rf'name="{name}" value="[^"]*"> ([^<]+)</label>', text(response))


def columns(response) -> list[str]:
    """The board's column titles, in order."""
    return list(_columns(response))


@pytest.fixture
def root_client():
    client = Client()  # its own: `warm` is bob's
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def warm(client_for, bob, issue, django_assert_num_queries):
    """Bob's client, with the list served once, so the process keeps ENG's pickers; then
    `warm.cached()` asserts that the next list is served from them."""
    client = client_for(bob)
    assert client.get(LIST).status_code == 200

    def cached():
        with django_assert_num_queries(LIST_QUERIES):
            return client.get(LIST)

    client.cached = cached
    return client


def test_a_second_page_reads_no_pickers_and_shows_the_same(warm, eng):
    eng_labels = sorted(Label.objects.filter(team=eng).values_list("name", flat=True))
    response = warm.cached()
    assert menu(response, "label") == eng_labels
    assert "Bob" in menu(response, "assignee")


def test_a_renamed_label_shows_on_the_next_page(warm, eng, alice, django_assert_num_queries):
    label = LabelFactory(team=eng, name="flaky")
    assert "flaky" in menu(warm.get(LIST), "label")
    workflow.update_label(label, name="intermittent", actor=alice)
    with django_assert_num_queries(LIST_QUERIES + PICKER_QUERIES):
        response = warm.get(LIST)
    assert "intermittent" in menu(response, "label")
    assert "flaky" not in menu(response, "label")
    assert "intermittent" in menu(warm.cached(), "label")


def test_a_status_moved_in_bulk_reorders_the_board(warm, alice, status):
    # move_status rewrites positions with bulk_update, which sends no signal.
    before = columns(warm.get(BOARD))
    assert before.index("Triaged") < before.index("In progress")
    workflow.move_status(status("In progress"), direction="up", actor=alice)
    after = columns(warm.get(BOARD))
    assert after.index("In progress") < after.index("Triaged")


def test_a_label_edited_in_the_admin_shows_on_the_next_page(warm, eng, root_client):
    label = LabelFactory(team=eng, name="flaky")
    assert "flaky" in menu(warm.get(LIST), "label")
    response = root_client.post(
        reverse("admin:issues_label_change", args=[label.pk]),
        {"team": eng.pk, "name": "from-admin", "color": label.color, "description": ""},
    )
    assert response.status_code == 302
    assert "from-admin" in menu(warm.get(LIST), "label")


def test_a_member_renamed_removed_or_deactivated_leaves_the_menu(warm, eng, alice, sam):
    sam.display_name = "Samantha Support"
    sam.save()
    assert "Samantha Support" in menu(warm.get(LIST), "assignee")

    team_services.remove_member(Membership.objects.get(team=eng, user=sam), actor=alice)
    assert "Samantha Support" not in menu(warm.get(LIST), "assignee")

    newcomer = UserFactory(display_name="Nora Newcomer")
    team_services.add_member(eng, user=newcomer, role="member", actor=alice)
    assert "Nora Newcomer" in menu(warm.get(LIST), "assignee")
    newcomer.is_active = False
    newcomer.save(update_fields=["is_active"])
    assert "Nora Newcomer" not in menu(warm.get(LIST), "assignee")


def test_signing_in_or_a_new_password_keeps_the_pickers(warm, eng, client, bob):
    version = Team.objects.get(pk=eng.pk).pickers_version
    bob.set_password("new-password-1")
    bob.save(update_fields=["password"])
    client.logout()
    client.force_login(bob)  # stamps last_login, as a sign-in does
    bob.refresh_from_db()
    assert bob.last_login is not None
    assert Team.objects.get(pk=eng.pk).pickers_version == version
    warm.cached()


def test_another_teams_change_leaves_this_teams_pickers(warm, ops, mallory):
    LabelFactory(team=ops, name="elsewhere")
    warm.cached()


def test_the_process_keeps_a_bounded_number_of_teams(eng, monkeypatch):
    monkeypatch.setattr(pickers, "MAX_ENTRIES", 2)
    pickers.forget()
    for _ in range(4):
        pickers.changed([eng.pk])
        eng.refresh_from_db()
        pickers.team_pickers(eng)
    assert len(pickers._kept) == 2
    assert (eng.pk, eng.pickers_version) in pickers._kept
