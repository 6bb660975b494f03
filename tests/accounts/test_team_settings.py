"""Team settings: members and roles, statuses, labels (services, pages, permissions)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import permissions
from accounts import services as member_services
from accounts.models import Membership
from issues import services, workflow
from issues.models import Issue, Label, Status
from issues.services import DomainError
from tests.factories import LabelFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
Category = Status.Category


# Who may open and post to each settings URL: tests/security/test_authorization_matrix.py.


def test_superuser_may_open_settings_of_any_team(client, eng):
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("team_settings:members", args=["ENG"])).status_code == 200


def test_index_redirects_to_members(client, alice):
    client.force_login(alice)
    response = client.get(reverse("team_settings:index", args=["ENG"]))
    assert response.url == reverse("team_settings:members", args=["ENG"])


# --- query budgets -----------------------------------------------------------------

# The user (with the unread count), my teams with my roles (the header's, the team among
# them), the list. The session is in the cache.
PAGE_QUERIES = 3


def _grow(eng, page, n):
    if page == "members":
        for _ in range(n):
            MembershipFactory(team=eng, role=Role.VIEWER)
    elif page == "statuses":
        start = Status.objects.filter(team=eng).count()
        for i in range(start, start + n):
            workflow.add_status(eng, name=f"Extra {i}", category=Category.TODO, actor=None)
    else:
        for _ in range(n):
            LabelFactory(team=eng)


@pytest.mark.parametrize("page", ["members", "statuses", "labels", "support"])
def test_settings_pages_run_a_fixed_number_of_queries(
    client, eng, alice, bob, page, django_assert_num_queries
):
    services.create_issue(eng, actor=alice, title="One", labels=[LabelFactory(team=eng)])
    client.force_login(alice)
    url = reverse(f"team_settings:{page}", args=["ENG"])
    for size in (1, 12):
        _grow(eng, page, size)
        # The Support tab is one form and no list: one query fewer.
        with django_assert_num_queries(PAGE_QUERIES - (page == "support")):
            response = client.get(url)
        assert response.status_code == 200


# --- members: services --------------------------------------------------------------


def test_add_member_gives_the_role_and_refreshes_cached_roles(eng, alice):
    carol = UserFactory(username="carol")
    assert not permissions.can(carol, "view", eng)  # caches "no role"
    membership = member_services.add_member(eng, user=carol, role="support", actor=alice)
    assert (membership.team, membership.user, membership.role) == (eng, carol, Role.SUPPORT)
    assert permissions.can(carol, "create", eng)


@pytest.mark.parametrize(
    ("who", "role", "field"),
    [("bob", "member", "user"), ("carol", "owner", "role"), ("inactive", "member", "user")],
)
def test_add_member_refusals(eng, alice, bob, who, role, field):
    user = {"bob": bob}.get(who) or UserFactory(username=who, is_active=who != "inactive")
    with pytest.raises(DomainError) as error:
        member_services.add_member(eng, user=user, role=role, actor=alice)
    assert error.value.field == field


def test_only_admins_manage_members(eng, bob, mallory):
    carol = UserFactory(username="carol")
    for actor in (bob, mallory):
        with pytest.raises(PermissionDenied):
            member_services.add_member(eng, user=carol, role="member", actor=actor)
    membership = Membership.objects.get(team=eng, user=bob)
    with pytest.raises(PermissionDenied):
        member_services.change_role(membership, role="admin", actor=bob)
    with pytest.raises(PermissionDenied):
        member_services.remove_member(membership, actor=bob)
    assert Membership.objects.get(pk=membership.pk).role == Role.MEMBER


def test_change_role(eng, alice, bob):
    membership = Membership.objects.get(team=eng, user=bob)
    assert permissions.can(bob, "triage", eng)
    changed = member_services.change_role(membership, role="viewer", actor=alice)
    assert changed.role == Role.VIEWER
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
    assert member_services.change_role(membership, role="viewer", actor=alice) is None
    with pytest.raises(DomainError) as error:
        member_services.change_role(membership, role="boss", actor=alice)
    assert error.value.field == "role"


def test_the_last_admin_cannot_be_demoted_or_removed(eng, alice, bob):
    own = Membership.objects.get(team=eng, user=alice)
    with pytest.raises(DomainError) as error:
        member_services.change_role(own, role="member", actor=alice)
    assert error.value.field == "role" and "last admin" in error.value.message
    with pytest.raises(DomainError) as error:
        member_services.remove_member(own, actor=alice)
    assert error.value.field == "user"
    assert Membership.objects.get(pk=own.pk).role == Role.ADMIN

    # With a second admin, alice may step down.
    member_services.change_role(Membership.objects.get(user=bob), role="admin", actor=alice)
    member_services.change_role(own, role="member", actor=alice)
    assert not permissions.can(alice, "admin", eng)


def test_remove_member(eng, alice, vera):
    membership = Membership.objects.get(team=eng, user=vera)
    member_services.remove_member(membership, actor=alice)
    assert not Membership.objects.filter(team=eng, user=vera).exists()


# --- members: pages -----------------------------------------------------------------


def test_members_page_lists_members_with_roles(client, alice, bob, vera):
    client.force_login(alice)
    response = client.get(reverse("team_settings:members", args=["ENG"]))
    assert response.templates[0].name == "accounts/team_settings_members.html"
    assert response.context["current_team"].key == "ENG"
    body = response.content.decode()
    for person in ("alice", "bob", "vera"):
        assert f"@{person}" in body
    rows = {
        row["object"].user.username: row["form"].initial["role"] for row in response.context["rows"]
    }
    assert rows == {"alice": "admin", "bob": "member", "vera": "viewer"}
    assert 'aria-current="page">Members</a>' in body


@pytest.mark.parametrize("identifier", ["carol", "CAROL@example.com"])
def test_add_member_by_username_or_email(client, eng, alice, identifier):
    carol = UserFactory(username="carol")
    client.force_login(alice)
    url = reverse("team_settings:members", args=["ENG"])
    response = client.post(url, {"new-user": identifier, "new-role": "support"})
    assert response.status_code == 302 and response.url == url
    assert Membership.objects.get(team=eng, user=carol).role == Role.SUPPORT
    assert "Added carol as support." in client.get(url).content.decode()


def test_adding_an_unknown_user_shows_the_error_on_the_field(client, eng, alice):
    client.force_login(alice)
    response = client.post(
        reverse("team_settings:members", args=["ENG"]), {"new-user": "ghost", "new-role": "member"}
    )
    assert response.status_code == 400
    assert response.context["add_form"].errors["user"] == [
        "No active user has that username or email."
    ]
    assert 'id="id_new-user_error"' in response.content.decode()


def test_adding_an_existing_member_shows_the_service_error_on_the_field(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        reverse("team_settings:members", args=["ENG"]), {"new-user": "bob", "new-role": "member"}
    )
    assert response.status_code == 400
    assert "already a member" in response.context["add_form"].errors["user"][0]


def test_demoting_the_last_admin_in_the_page_shows_the_error_in_its_row(client, eng, alice):
    client.force_login(alice)
    own = Membership.objects.get(team=eng, user=alice)
    response = client.post(
        reverse("team_settings:member-role", args=["ENG", own.pk]),
        {f"member-{own.pk}-role": "viewer"},
    )
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r["object"].pk == own.pk)
    assert "last admin" in row["form"].errors["role"][0]
    assert Membership.objects.get(pk=own.pk).role == Role.ADMIN


def test_removing_the_last_admin_in_the_page_shows_the_error_in_its_row(client, eng, alice):
    client.force_login(alice)
    own = Membership.objects.get(team=eng, user=alice)
    response = client.post(reverse("team_settings:member-remove", args=["ENG", own.pk]))
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r["object"].pk == own.pk)
    assert "last admin" in row["errors"][0]
    assert 'role="alert"' in response.content.decode()


def test_change_role_and_remove_in_the_page(client, eng, alice, bob, vera):
    client.force_login(alice)
    membership = Membership.objects.get(team=eng, user=bob)
    url = reverse("team_settings:member-role", args=["ENG", membership.pk])
    response = client.post(url, {f"member-{membership.pk}-role": "support"})
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.SUPPORT

    vera_membership = Membership.objects.get(team=eng, user=vera)
    response = client.post(reverse("team_settings:member-remove", args=["ENG", vera_membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=vera_membership.pk).exists()


def test_an_admin_who_steps_down_is_sent_home(client, eng, alice, bob):
    Membership.objects.filter(team=eng, user=bob).update(role=Role.ADMIN)
    own = Membership.objects.get(team=eng, user=alice)
    client.force_login(alice)
    response = client.post(
        reverse("team_settings:member-role", args=["ENG", own.pk]),
        {f"member-{own.pk}-role": "member"},
    )
    assert response.status_code == 302 and response.url == reverse("home")


def test_a_membership_of_another_team_is_404(client, alice, mallory, ops):
    client.force_login(alice)
    other = Membership.objects.get(team=ops, user=mallory)
    response = client.post(reverse("team_settings:member-remove", args=["ENG", other.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()


# --- statuses: services -------------------------------------------------------------


def _names(team):
    return list(
        Status.objects.filter(team=team).order_by("position", "pk").values_list("name", flat=True)
    )


def test_add_status_goes_last(eng, alice):
    status = workflow.add_status(
        eng,
        name="  QA  review ",
        category="in_progress",
        stale_after=dt.timedelta(hours=12),
        actor=alice,
    )
    assert (status.name, status.category, status.stale_after) == (
        "QA review",
        Category.IN_PROGRESS,
        dt.timedelta(hours=12),
    )
    assert _names(eng)[-1] == "QA review"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "in PROGRESS"}, "name"),
        ({"name": "  "}, "name"),
        ({"category": "someday"}, "category"),
        ({"stale_after": dt.timedelta(0)}, "stale_after"),
        ({"stale_after": dt.timedelta(hours=-1)}, "stale_after"),
    ],
)
def test_add_status_refusals(eng, alice, changes, field):
    data = {"name": "QA", "category": "todo", **changes}
    with pytest.raises(DomainError) as error:
        workflow.add_status(eng, actor=alice, **data)
    assert error.value.field == field
    assert "QA" not in _names(eng)


def test_only_admins_change_the_workflow(eng, bob, bug_label, status):
    new = status("New")
    calls = [
        lambda: workflow.add_status(eng, name="QA", category="todo", actor=bob),
        lambda: workflow.update_status(new, name="Fresh", actor=bob),
        lambda: workflow.move_status(new, direction="down", actor=bob),
        lambda: workflow.delete_status(new, actor=bob),
        lambda: workflow.add_label(eng, name="ux", color="#000000", actor=bob),
        lambda: workflow.update_label(bug_label, name="defect", actor=bob),
        lambda: workflow.delete_label(bug_label, actor=bob),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert _names(eng)[0] == "New"
    assert Label.objects.get(pk=bug_label.pk).name == "bug"


def test_update_status_renames_and_sets_the_stale_clock(eng, alice, status):
    triaged = status("Triaged")
    changed = workflow.update_status(
        triaged, name="Ready", stale_after=dt.timedelta(days=3), actor=alice
    )
    assert changed.name == "Ready" and triaged.name == "Ready"
    triaged.refresh_from_db()
    assert triaged.stale_after == dt.timedelta(days=3)
    assert workflow.update_status(triaged, name="Ready", actor=alice) is None
    workflow.update_status(triaged, stale_after=None, actor=alice)
    triaged.refresh_from_db()
    assert triaged.stale_after is None
    with pytest.raises(DomainError) as error:
        workflow.update_status(triaged, name="NEW", actor=alice)
    assert error.value.field == "name"


def test_a_status_may_change_case_of_its_own_name(eng, alice, status):
    assert workflow.update_status(status("New"), name="NEW", actor=alice).name == "NEW"


def test_the_workflow_keeps_an_open_and_a_closed_status(eng, alice, status):
    for name in ("Resolved", "Closed"):
        workflow.update_status(status(name), category="todo", actor=alice)
    with pytest.raises(DomainError) as error:
        workflow.update_status(status("Won't fix"), category="in_progress", actor=alice)
    assert error.value.field == "category" and "closed" in error.value.message
    for name in ("Triaged", "In progress", "Waiting on customer", "Resolved", "Closed"):
        workflow.update_status(status(name), category="done", actor=alice)
    with pytest.raises(DomainError) as error:
        workflow.update_status(status("New"), category="cancelled", actor=alice)
    assert "open" in error.value.message
    assert status("New").category == Category.TRIAGE


def test_category_flip_updates_resolved_at_of_the_issues_in_that_status(eng, alice, status):
    in_progress, resolved = status("In progress"), status("Resolved")
    working = [
        services.create_issue(eng, actor=alice, title=f"Work {i}", status=in_progress)
        for i in range(3)
    ]
    earlier = timezone.now() - dt.timedelta(days=3)
    done = services.create_issue(eng, actor=alice, title="Done", status=resolved, now=earlier)
    elsewhere = services.create_issue(eng, actor=alice, title="Elsewhere")
    versions = {i.pk: i.version for i in Issue.objects.all()}
    now = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        workflow.update_status(in_progress, category="done", actor=alice, now=now)
    issue_updates = [q for q in queries if q["sql"].startswith('UPDATE "issues_issue"')]
    # Set-based: one UPDATE for the resolution dates, and (the status leaves the
    # in-progress category) one for where the issues' cycle times start.
    assert [q["sql"].split(" = ")[0].split('SET "')[1] for q in issue_updates] == [
        'resolved_at"',
        'started_at"',
    ]
    for issue in working:
        issue.refresh_from_db()
        assert issue.resolved_at == now and issue.version == versions[issue.pk] + 1
        assert issue.started_at is None  # no longer ever in progress
    assert Issue.objects.get(pk=done.pk).resolved_at == earlier
    assert Issue.objects.get(pk=elsewhere.pk).resolved_at is None
    assert Issue.objects.open().filter(status=in_progress).count() == 0

    # Closed to closed keeps the dates; back to open clears them.
    workflow.update_status(in_progress, category="cancelled", actor=alice)
    assert set(Issue.objects.filter(status=in_progress).values_list("resolved_at", flat=True)) == {
        now
    }
    workflow.update_status(resolved, category="waiting", actor=alice)
    assert Issue.objects.get(pk=done.pk).resolved_at is None
    assert Issue.objects.get(pk=working[0].pk).resolved_at == now


def test_move_status_swaps_with_its_neighbour(eng, alice, status):
    original = _names(eng)
    workflow.move_status(status("In progress"), direction="up", actor=alice)
    expected = original.copy()
    expected[1], expected[2] = expected[2], expected[1]
    assert _names(eng) == expected
    workflow.move_status(status("In progress"), direction="down", actor=alice)
    assert _names(eng) == original
    assert workflow.move_status(status("New"), direction="up", actor=alice) is None
    assert workflow.move_status(status("Won't fix"), direction="down", actor=alice) is None
    positions = (
        Status.objects.filter(team=eng).order_by("position").values_list("position", flat=True)
    )
    assert list(positions) == list(range(len(original)))


def test_delete_status_in_use_says_how_many_issues_use_it(eng, alice, status):
    for i in range(2):
        services.create_issue(eng, actor=alice, title=f"Issue {i}", status=status("Triaged"))
    with pytest.raises(DomainError) as error:
        workflow.delete_status(status("Triaged"), actor=alice)
    assert "2 issues are in 'Triaged'" in error.value.message
    assert "Triaged" in _names(eng)


def test_delete_status_with_history_is_refused(eng, alice, status):
    issue = services.create_issue(eng, actor=alice, title="Moved on", status=status("Triaged"))
    services.change_status(issue, to=status("In progress"), actor=alice)
    with pytest.raises(DomainError) as error:
        workflow.delete_status(status("Triaged"), actor=alice)
    assert "rename it instead" in error.value.message


def test_delete_unused_status_but_keep_a_closed_one(eng, alice, status):
    workflow.delete_status(status("Won't fix"), actor=alice)
    workflow.delete_status(status("Closed"), actor=alice)
    assert "Won't fix" not in _names(eng) and "Closed" not in _names(eng)
    with pytest.raises(DomainError) as error:
        workflow.delete_status(status("Resolved"), actor=alice)
    assert "closed status" in error.value.message
    assert "Resolved" in _names(eng)


# --- statuses: pages ----------------------------------------------------------------


def test_statuses_page_lists_the_workflow_in_order(client, eng, alice, status):
    workflow.update_status(status("Triaged"), stale_after=dt.timedelta(hours=36), actor=alice)
    client.force_login(alice)
    response = client.get(reverse("team_settings:statuses", args=["ENG"]))
    rows = response.context["rows"]
    assert [r["object"].name for r in rows] == _names(eng)
    stale = {r["object"].name: r["stale"] for r in rows}
    assert stale["New"] == "Stale after 2 days"
    assert stale["Triaged"] == "Stale after 36 hours"
    assert stale["Resolved"] == "Never stale"
    body = response.content.decode()
    assert "Move up" in body and "Move down" in body and "To do" in body


def test_add_edit_move_and_delete_a_status_in_the_page(client, eng, alice):
    client.force_login(alice)
    url = reverse("team_settings:statuses", args=["ENG"])
    response = client.post(
        url,
        {
            "new-name": "QA",
            "new-category": "in_progress",
            "new-stale_after": "3",
            "new-stale_unit": "days",
        },
    )
    assert response.status_code == 302 and response.url == url
    qa = Status.objects.get(team=eng, name="QA")
    assert qa.stale_after == dt.timedelta(days=3)

    prefix = f"status-{qa.pk}"
    response = client.post(
        reverse("team_settings:status-update", args=["ENG", qa.pk]),
        {
            f"{prefix}-name": "Quality",
            f"{prefix}-category": "in_progress",
            f"{prefix}-stale_after": "",
            f"{prefix}-stale_unit": "days",
        },
    )
    assert response.status_code == 302
    qa.refresh_from_db()
    assert (qa.name, qa.stale_after) == ("Quality", None)

    client.post(reverse("team_settings:status-move", args=["ENG", qa.pk]), {"direction": "up"})
    assert _names(eng)[-2] == "Quality"

    response = client.post(reverse("team_settings:status-delete", args=["ENG", qa.pk]))
    assert response.status_code == 302
    assert "Quality" not in _names(eng)
    assert "Deleted the status Quality." in client.get(url).content.decode()


def test_saving_a_status_unchanged_keeps_a_stale_clock_in_minutes(client, eng, alice, status):
    new = status("New")
    Status.objects.filter(pk=new.pk).update(stale_after=dt.timedelta(minutes=90))
    client.force_login(alice)
    page = client.get(reverse("team_settings:statuses", args=["ENG"]))
    form = next(r["form"] for r in page.context["rows"] if r["object"].pk == new.pk)
    data = {f"status-{new.pk}-{k}": "" if v is None else v for k, v in form.initial.items()}
    assert data[f"status-{new.pk}-stale_after"] == 2  # shown rounded up to hours
    response = client.post(reverse("team_settings:status-update", args=["ENG", new.pk]), data)
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.stale_after == dt.timedelta(minutes=90)


def test_status_form_errors_are_shown_next_to_the_field(client, eng, alice, status):
    client.force_login(alice)
    url = reverse("team_settings:statuses", args=["ENG"])
    response = client.post(
        url,
        {
            "new-name": "new",
            "new-category": "todo",
            "new-stale_after": "0",
            "new-stale_unit": "days",
        },
    )
    assert response.status_code == 400
    errors = response.context["add_form"].errors
    assert set(errors) == {"stale_after"}
    response = client.post(
        url, {"new-name": "new", "new-category": "todo", "new-stale_unit": "days"}
    )
    assert response.status_code == 400
    assert "already a status named 'New'" in response.context["add_form"].errors["name"][0]
    assert 'id="id_new-name_error"' in response.content.decode()


def test_deleting_a_status_in_use_shows_the_count_in_its_row(client, eng, alice, status):
    triaged = status("Triaged")
    services.create_issue(eng, actor=alice, title="Waiting", status=triaged)
    client.force_login(alice)
    response = client.post(reverse("team_settings:status-delete", args=["ENG", triaged.pk]))
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r["object"].pk == triaged.pk)
    assert "1 issue is in 'Triaged'" in row["errors"][0]
    assert "1 issue is in" in response.content.decode()


def test_category_change_in_the_page_to_the_last_open_is_refused(client, eng, alice, status):
    for name in ("Triaged", "In progress", "Waiting on customer"):
        workflow.update_status(status(name), category="done", actor=alice)
    new = status("New")
    client.force_login(alice)
    prefix = f"status-{new.pk}"
    response = client.post(
        reverse("team_settings:status-update", args=["ENG", new.pk]),
        {
            f"{prefix}-name": "New",
            f"{prefix}-category": "done",
            f"{prefix}-stale_after": "2",
            f"{prefix}-stale_unit": "days",
        },
    )
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r["object"].pk == new.pk)
    assert "open status" in row["form"].errors["category"][0]
    assert "<details open>" in response.content.decode()


# --- labels ---------------------------------------------------------------------------


def test_add_label_normalizes_and_refuses_duplicates_and_bad_colours(eng, alice, bug_label):
    label = workflow.add_label(eng, name=" ux ", color="#00FF7F", description="Looks", actor=alice)
    assert (label.name, label.color, label.description) == ("ux", "#00ff7f", "Looks")
    for name, color, field in [
        ("BUG", "#000000", "name"),
        ("perf", "red", "color"),
        ("perf", "#12345", "color"),
        ("", "#000000", "name"),
    ]:
        with pytest.raises(DomainError) as error:
            workflow.add_label(eng, name=name, color=color, actor=alice)
        assert error.value.field == field
    assert Label.objects.filter(team=eng).count() == 2


def test_label_names_are_unique_per_team_only(eng, ops, alice, mallory, bug_label):
    Membership.objects.filter(team=ops, user=mallory).update(role=Role.ADMIN)
    assert workflow.add_label(ops, name="Bug", color="#000000", actor=mallory).team == ops


def test_update_label(eng, alice, bug_label):
    LabelFactory(team=eng, name="perf")
    changed = workflow.update_label(bug_label, name="Defect", color="#ABCDEF", actor=alice)
    assert (changed.name, changed.color) == ("Defect", "#abcdef")
    assert workflow.update_label(bug_label, name="Defect", actor=alice) is None
    with pytest.raises(DomainError) as error:
        workflow.update_label(bug_label, name="PERF", actor=alice)
    assert error.value.field == "name"
    with pytest.raises(DomainError) as error:
        workflow.update_label(bug_label, color="#GGGGGG", actor=alice)
    assert error.value.field == "color"


def test_delete_label_removes_it_from_issues(eng, alice, bug_label, issue):
    services.set_labels(issue, labels=[bug_label], actor=alice)
    assert workflow.delete_label(bug_label, actor=alice) == 1
    assert not Label.objects.filter(pk=bug_label.pk).exists()
    assert list(issue.labels.all()) == []


def test_labels_page_shows_swatches_without_inline_styles(client, eng, alice, bug_label):
    client.force_login(alice)
    response = client.get(reverse("team_settings:labels", args=["ENG"]))
    body = response.content.decode()
    assert '<rect width="16" height="16" rx="4" fill="#d73a4a"/>' in body
    assert "style=" not in body and "<script>" not in body
    assert f'<label for="id_label-{bug_label.pk}-color">' in body


def test_add_edit_and_delete_a_label_in_the_page(client, eng, alice, issue):
    client.force_login(alice)
    url = reverse("team_settings:labels", args=["ENG"])
    response = client.post(url, {"new-name": "ux", "new-color": "#00ff00", "new-description": ""})
    assert response.status_code == 302
    label = Label.objects.get(team=eng, name="ux")
    services.set_labels(issue, labels=[label], actor=alice)

    prefix = f"label-{label.pk}"
    response = client.post(
        reverse("team_settings:label-update", args=["ENG", label.pk]),
        {
            f"{prefix}-name": "design",
            f"{prefix}-color": "#0000ff",
            f"{prefix}-description": "Looks",
        },
    )
    assert response.status_code == 302
    label.refresh_from_db()
    assert (label.name, label.color, label.description) == ("design", "#0000ff", "Looks")

    response = client.post(reverse("team_settings:label-delete", args=["ENG", label.pk]))
    assert response.status_code == 302
    assert "It was removed from 1 issue." in client.get(url).content.decode()


def test_label_form_errors_are_shown_next_to_the_field(client, eng, alice, bug_label):
    client.force_login(alice)
    url = reverse("team_settings:labels", args=["ENG"])
    response = client.post(url, {"new-name": "x", "new-color": "red"})
    assert response.status_code == 400
    assert "color" in response.context["add_form"].errors
    response = client.post(url, {"new-name": "Bug", "new-color": "#000000"})
    assert response.status_code == 400
    assert "already a label named 'bug'" in response.context["add_form"].errors["name"][0]
    assert 'id="id_new-name_error"' in response.content.decode()


def test_pages_have_labels_for_every_field_and_no_inline_styles(client, eng, alice, bug_label):
    client.force_login(alice)
    for page in ("members", "statuses", "labels"):
        response = client.get(reverse(f"team_settings:{page}", args=["ENG"]))
        body = response.content.decode()
        assert "style=" not in body, page
        for form in [response.context["add_form"], *(r["form"] for r in response.context["rows"])]:
            for field in form:
                assert f'<label for="{field.id_for_label}">' in body, (page, field.html_name)
