"""issues/services.py: the rows and events each change writes, the no-ops, the refusals."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import NotATeamMember
from issues import services
from issues.models import Assignment, Comment, Issue, IssueEvent, Status
from tests.factories import CustomerFactory, LabelFactory, StatusFactory

Kind = IssueEvent.Kind
pytestmark = pytest.mark.django_db


def kinds(issue):
    return list(
        IssueEvent.objects.filter(issue=issue)
        .order_by("created_at", "id")
        .values_list("kind", flat=True)
    )


def fresh(issue):
    return Issue.objects.select_related("status", "team").get(pk=issue.pk)


# --- teams ------------------------------------------------------------------------


def test_new_team_gets_the_default_workflow(eng):
    names = list(
        Status.objects.filter(team=eng).order_by("position").values_list("name", flat=True)
    )
    assert names == [
        "New", "Triaged", "In progress", "Waiting on customer", "Resolved", "Closed", "Won't fix",
    ]  # fmt: skip
    assert Status.objects.get(team=eng, name="New").category == Status.Category.TRIAGE
    assert Status.objects.get(team=eng, name="Resolved").stale_after is None
    assert Status.objects.get(team=eng, name="In progress").stale_after == dt.timedelta(days=7)


@pytest.mark.parametrize("key", ["eng", "E", "1ENG", "ENG-X", "TOOLONGKEY1"])
def test_team_key_must_be_short_uppercase(db, key):
    if key == "eng":  # lower case is normalised, not refused
        assert services.create_team(key=key, name="x", actor=None).key == "ENG"
        return
    with pytest.raises(services.DomainError) as error:
        services.create_team(key=key, name="Engineering", actor=None)
    assert error.value.field == "key"


def test_duplicate_team_key_is_refused(eng):
    with pytest.raises(services.DomainError, match="already exists"):
        services.create_team(key="ENG", name="Again", actor=None)


# --- create_issue -----------------------------------------------------------------


def test_create_issue_writes_created_event_and_starts_in_triage(eng, bob):
    issue = services.create_issue(
        eng, actor=bob, title="  Crash   on save ", description="**boom**"
    )
    assert (issue.key, issue.title) == ("ENG-1", "Crash on save")
    assert issue.status.name == "New"
    assert issue.reporter == bob
    assert issue.version == 1
    assert "<strong>boom</strong>" in issue.description_html
    assert kinds(issue) == [Kind.CREATED]
    created = issue.events.get()
    assert created.actor == bob and created.to_status == issue.status
    assert list(issue.watchers.all()) == [bob]


def test_issue_numbers_are_per_team_and_consecutive(eng, ops, bob, mallory):
    keys = [services.create_issue(eng, actor=bob, title=f"e{i}").key for i in range(3)]
    keys.append(services.create_issue(ops, actor=mallory, title="o").key)
    assert keys == ["ENG-1", "ENG-2", "ENG-3", "OPS-1"]
    eng.refresh_from_db()
    assert eng.next_number == 4


def test_create_with_assignees_records_assigned_events_and_watchers(eng, alice, bob, sam):
    issue = services.create_issue(eng, actor=alice, title="t", assignees=[bob, sam])
    assert kinds(issue) == [Kind.CREATED, Kind.ASSIGNED, Kind.ASSIGNED]
    assert set(issue.assignees.all()) == {bob, sam}
    assert Assignment.objects.get(issue=issue, user=bob).assigned_by == alice
    assert set(issue.watchers.all()) == {alice, bob, sam}


def test_create_in_a_done_status_sets_resolved_at(eng, bob, status):
    now = timezone.now()
    issue = services.create_issue(eng, actor=bob, title="t", status=status("Resolved"), now=now)
    assert issue.resolved_at == now


def test_create_refuses_a_status_of_another_team(eng, ops, bob):
    other = Status.objects.filter(team=ops).first()
    with pytest.raises(services.DomainError) as error:
        services.create_issue(eng, actor=bob, title="t", status=other)
    assert error.value.field == "status"
    assert not Issue.objects.exists()


def test_create_refuses_a_label_of_another_team_and_saves_nothing(eng, ops, bob):
    foreign = LabelFactory(team=ops)
    with pytest.raises(services.DomainError) as error:
        services.create_issue(eng, actor=bob, title="t", labels=[foreign])
    assert error.value.field == "labels"
    assert not Issue.objects.exists()
    eng.refresh_from_db()
    assert eng.next_number == 1  # the number was not consumed


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("title", {"title": "   "}),
        ("title", {"title": "x" * 301}),
        ("kind", {"title": "t", "kind": "rant"}),
        ("priority", {"title": "t", "priority": 9}),
        ("channel", {"title": "t", "channel": "fax"}),
        ("description", {"title": "t", "description": "x" * 100_001}),
    ],
)
def test_create_validates_input_naming_the_field(eng, bob, field, kwargs):
    with pytest.raises(services.DomainError) as error:
        services.create_issue(eng, actor=bob, **kwargs)
    assert error.value.field == field


def test_viewer_and_outsider_cannot_create(eng, vera, mallory):
    with pytest.raises(PermissionDenied):
        services.create_issue(eng, actor=vera, title="t")
    with pytest.raises(NotATeamMember):
        services.create_issue(eng, actor=mallory, title="t")
    assert not Issue.objects.exists()


def test_support_creates_for_a_customer_but_cannot_assign(eng, sam, bob):
    customer = CustomerFactory()
    issue = services.create_issue(
        eng, actor=sam, title="Invoice wrong", customer=customer, channel="phone", kind="complaint"
    )
    assert (list(issue.customers.all()), issue.customer_count) == ([customer], 1)
    assert (issue.channel, issue.kind) == ("phone", "complaint")
    with pytest.raises(PermissionDenied):
        services.create_issue(eng, actor=sam, title="t", assignees=[bob])


def test_viewers_and_outsiders_cannot_be_assigned(eng, alice, vera, mallory):
    for person in (vera, mallory):
        with pytest.raises(services.DomainError) as error:
            services.create_issue(eng, actor=alice, title="t", assignees=[person])
        assert error.value.field == "assignees"


def test_assignees_are_checked_against_the_team_as_committed_not_as_the_caller_read_it(
    eng, alice, bob
):
    """The check uses the team's kept pickers at the version the number's UPDATE reads
    under its lock, not at the version of the caller's (older) team row."""
    from accounts import services as team_services
    from accounts.models import Team
    from issues import pickers

    stale = Team.objects.get(pk=eng.pk)
    number = stale.next_number
    assert bob in pickers.team_pickers(stale)["members"]  # kept: bob may be assigned
    team_services.remove_member(Membership.objects.get(team=eng, user=bob), actor=alice)
    with pytest.raises(services.DomainError) as error:
        services.create_issue(stale, actor=alice, title="t", assignees=[bob])
    assert (error.value.field, str(error.value)) == ("assignees", "bob is not a member of ENG.")
    assert not Issue.objects.filter(title="t").exists()
    assert services.create_issue(stale, actor=alice, title="t").number == number  # given back


def test_description_mentions_resolve_to_team_members_only(eng, alice, bob, mallory):
    issue = services.create_issue(
        eng, actor=alice, title="t", description="ping @bob and @mallory and @nobody"
    )
    assert issue.events.get().data["mentions"] == [bob.pk]


# --- change_status ----------------------------------------------------------------


def test_change_status_records_from_and_to(issue, bob, status):
    event = services.change_status(issue, to=status("In progress"), actor=bob)
    assert (event.kind, event.from_status.name, event.to_status.name) == (
        Kind.STATUS_CHANGED, "New", "In progress",
    )  # fmt: skip
    assert event.data == {"from": "New", "to": "In progress"}
    assert fresh(issue).status.name == "In progress"
    assert issue.version == 2  # the caller's instance is refreshed


def test_change_status_to_the_same_status_writes_nothing(issue, bob, status):
    assert services.change_status(issue, to=status("New"), actor=bob) is None
    assert kinds(issue) == [Kind.CREATED]
    assert fresh(issue).version == 1


def test_resolved_at_is_set_on_done_kept_between_done_statuses_and_cleared_on_reopen(
    issue, bob, status
):
    t0 = timezone.now()
    services.change_status(issue, to=status("Resolved"), actor=bob, now=t0)
    assert fresh(issue).resolved_at == t0
    services.change_status(issue, to=status("Closed"), actor=bob, now=t0 + dt.timedelta(hours=1))
    assert fresh(issue).resolved_at == t0
    reopen = services.change_status(
        issue, to=status("Triaged"), actor=bob, now=t0 + dt.timedelta(2)
    )
    assert reopen.data["reopened"] is True
    assert fresh(issue).resolved_at is None
    services.change_status(issue, to=status("Won't fix"), actor=bob, now=t0 + dt.timedelta(3))
    assert fresh(issue).resolved_at == t0 + dt.timedelta(3)


def test_change_status_refuses_another_teams_status(issue, bob, ops):
    with pytest.raises(services.DomainError) as error:
        services.change_status(issue, to=Status.objects.filter(team=ops).first(), actor=bob)
    assert error.value.field == "status"
    assert kinds(issue) == [Kind.CREATED]


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("alice", True), ("bob", True), ("sam", True), ("vera", False), ("mallory", False)],
)
def test_who_may_change_status(request, issue, status, persona, allowed):
    actor = request.getfixturevalue(persona)
    if allowed:
        assert services.change_status(issue, to=status("Triaged"), actor=actor)
    else:
        with pytest.raises(PermissionDenied):
            services.change_status(issue, to=status("Triaged"), actor=actor)
        assert fresh(issue).status.name == "New"


def test_stale_expected_version_is_refused(issue, bob, status):
    services.change_status(issue, to=status("Triaged"), actor=bob)
    with pytest.raises(services.StaleVersion) as error:
        services.change_status(issue, to=status("In progress"), actor=bob, expected_version=1)
    assert error.value.current_version == 2
    assert fresh(issue).status.name == "Triaged"


def test_version_and_activity_advance_with_each_change(issue, bob, status):
    later = issue.last_activity_at + dt.timedelta(minutes=5)
    services.change_status(issue, to=status("Triaged"), actor=bob, now=later)
    row = fresh(issue)
    assert (row.version, row.last_activity_at) == (2, later)


# --- assignments ------------------------------------------------------------------


def test_assign_twice_records_one_event(issue, alice, bob):
    assert services.assign(issue, assignee=bob, actor=alice).kind == Kind.ASSIGNED
    assert services.assign(issue, assignee=bob, actor=alice) is None
    assert kinds(issue) == [Kind.CREATED, Kind.ASSIGNED]
    assert bob in issue.watchers.all()


def test_unassign_records_an_event_once(issue, alice, bob):
    services.assign(issue, assignee=bob, actor=alice)
    event = services.unassign(issue, assignee=bob, actor=alice)
    assert (event.kind, event.subject_user) == (Kind.UNASSIGNED, bob)
    assert services.unassign(issue, assignee=bob, actor=alice) is None
    assert not issue.assignees.exists()


def test_set_assignees_writes_one_event_per_person_changed(issue, alice, bob, sam):
    services.assign(issue, assignee=alice, actor=alice)
    events = services.set_assignees(issue, assignees=[bob, sam], actor=alice)
    assert sorted((e.kind, e.subject_user.username) for e in events) == [
        (Kind.ASSIGNED, "bob"), (Kind.ASSIGNED, "sam"), (Kind.UNASSIGNED, "alice"),
    ]  # fmt: skip
    assert services.set_assignees(issue, assignees=[sam, bob], actor=alice) == []


@pytest.mark.parametrize("persona", ["sam", "vera", "mallory"])
def test_support_viewers_and_outsiders_cannot_assign(request, issue, bob, persona):
    with pytest.raises(PermissionDenied):
        services.assign(issue, assignee=bob, actor=request.getfixturevalue(persona))
    assert not issue.assignees.exists()


# --- labels -----------------------------------------------------------------------


def test_set_labels_adds_and_removes_with_one_event_each(issue, alice, eng):
    a, b, c = (LabelFactory(team=eng, name=n) for n in "abc")
    services.set_labels(issue, labels=[a, b], actor=alice)
    events = services.set_labels(issue, labels=[b, c], actor=alice)
    assert sorted((e.kind, e.data["label"]) for e in events) == [
        (Kind.LABELED, "c"), (Kind.UNLABELED, "a"),
    ]  # fmt: skip
    assert set(issue.labels.values_list("name", flat=True)) == {"b", "c"}
    assert services.set_labels(issue, labels=[c, b], actor=alice) == []


def test_add_and_remove_label_modes_touch_only_the_given_labels(issue, alice, eng):
    a, b = LabelFactory(team=eng, name="a"), LabelFactory(team=eng, name="b")
    services.set_labels(issue, labels=[a], actor=alice)
    services.set_labels(issue, labels=[b], actor=alice, mode="add")
    assert set(issue.labels.values_list("name", flat=True)) == {"a", "b"}
    services.set_labels(issue, labels=[a], actor=alice, mode="remove")
    assert set(issue.labels.values_list("name", flat=True)) == {"b"}


def test_a_label_of_team_a_cannot_be_put_on_an_issue_of_team_b(issue, alice, ops):
    foreign = LabelFactory(team=ops, name="ops-only")
    with pytest.raises(services.DomainError) as error:
        services.set_labels(issue, labels=[foreign], actor=alice)
    assert error.value.field == "labels"
    assert not issue.labels.exists()
    assert kinds(issue) == [Kind.CREATED]


# --- customers, duplicates, fields ------------------------------------------------


def test_link_and_unlink_customer(issue, sam):
    customer = CustomerFactory(name="Dana")
    assert services.add_customer(issue, customer=customer, actor=sam).data["name"] == "Dana"
    assert services.add_customer(issue, customer=customer, actor=sam) is None
    assert services.remove_customer(issue, customer=customer, actor=sam).kind == (
        Kind.CUSTOMER_UNLINKED
    )
    assert kinds(issue)[1:] == [Kind.CUSTOMER_LINKED, Kind.CUSTOMER_UNLINKED]


def test_mark_duplicate_points_at_the_original_and_closes(eng, bob, issue):
    second = services.create_issue(eng, actor=bob, title="same again")
    third = services.create_issue(eng, actor=bob, title="and again")
    services.mark_duplicate(second, of=issue, actor=bob)
    events = services.mark_duplicate(third, of=second, actor=bob)
    assert [e.kind for e in events] == [Kind.MARKED_DUPLICATE, Kind.STATUS_CHANGED]
    third = fresh(third)
    assert third.duplicate_of == issue  # followed the chain to the original
    assert third.status.category == Status.Category.CANCELLED
    assert third.resolved_at is not None


def test_duplicate_cycles_and_self_references_are_refused(eng, bob, issue):
    other = services.create_issue(eng, actor=bob, title="other")
    services.mark_duplicate(other, of=issue, actor=bob)
    with pytest.raises(services.DomainError) as error:
        services.mark_duplicate(issue, of=other, actor=bob)
    assert error.value.field == "duplicate_of"
    with pytest.raises(services.DomainError):
        services.mark_duplicate(issue, of=issue, actor=bob)


def test_duplicate_of_another_team_is_refused(issue, bob, mallory, ops):
    foreign = services.create_issue(ops, actor=mallory, title="ops thing")
    with pytest.raises(services.DomainError):
        services.mark_duplicate(issue, of=foreign, actor=bob)
    assert fresh(issue).duplicate_of is None


def test_update_issue_writes_one_event_per_changed_field_and_one_version_bump(
    issue, alice, bob, status, eng
):
    label = LabelFactory(team=eng, name="ui")
    events = services.update_issue(
        issue,
        actor=alice,
        expected_version=1,
        title="Login button does nothing",  # unchanged
        priority=Issue.Priority.URGENT,
        kind="bug",  # unchanged
        due_date=dt.date(2030, 1, 31),
        status=status("In progress"),
        assignees=[bob],
        labels=[label],
    )
    assert sorted(e.kind for e in events) == sorted(
        [
            Kind.PRIORITY_CHANGED,
            Kind.DUE_DATE_CHANGED,
            Kind.STATUS_CHANGED,
            Kind.ASSIGNED,
            Kind.LABELED,
        ]
    )
    priority = next(e for e in events if e.kind == Kind.PRIORITY_CHANGED)
    assert priority.data == {"from": Issue.Priority.NONE, "to": Issue.Priority.URGENT}
    assert fresh(issue).version == 2
    assert services.update_issue(issue, actor=alice, priority=1, title=issue.title) == []


def test_update_issue_checks_every_right_it_needs(issue, sam, bob):
    with pytest.raises(PermissionDenied):
        services.update_issue(issue, actor=sam, title="new title", assignees=[bob])
    assert fresh(issue).title == "Login button does nothing"  # nothing half-saved


def test_update_issue_rejects_unknown_fields(issue, alice):
    with pytest.raises(services.DomainError) as error:
        services.update_issue(issue, actor=alice, version=99)
    assert error.value.field == "version"


def test_update_with_stale_version_changes_nothing(issue, alice, bob):
    services.update_issue(issue, actor=alice, title="Edited by Alice")
    with pytest.raises(services.StaleVersion):
        services.update_issue(issue, actor=bob, expected_version=1, title="Edited by Bob")
    assert fresh(issue).title == "Edited by Alice"


def test_editing_the_description_rerenders_and_records_new_mentions_only(issue, alice, bob, sam):
    services.update_issue(issue, actor=alice, description="cc @bob")
    event = services.update_issue(issue, actor=alice, description="cc @bob and @sam <b>x</b>")[0]
    assert event.data["mentions"] == [sam.pk]
    row = fresh(issue)
    assert "<b>" not in row.description_html and "&lt;b&gt;" in row.description_html


# --- comments and watching --------------------------------------------------------


def test_add_comment_is_internal_by_default_and_records_mentions(issue, sam, bob):
    comment = services.add_comment(
        issue, body="Customer called again, @bob can you look?", actor=sam
    )
    assert comment.is_public is False
    event = IssueEvent.objects.get(kind=Kind.COMMENTED)
    assert (event.comment, event.data) == (comment, {"public": False, "mentions": [bob.pk]})
    assert sam in issue.watchers.all()
    assert fresh(issue).version == 2


def test_public_comment_and_sanitized_html(issue, sam):
    comment = services.add_comment(
        issue, body="<script>alert(1)</script>[x](javascript:alert(1))", public=True, actor=sam
    )
    assert comment.is_public
    assert "<script" not in comment.body_html
    assert "href" not in comment.body_html  # the javascript: link stays plain text


def test_empty_comment_is_refused(issue, bob):
    with pytest.raises(services.DomainError) as error:
        services.add_comment(issue, body="   ", actor=bob)
    assert error.value.field == "body"
    assert not Comment.objects.exists()


def test_viewer_cannot_comment(issue, vera):
    with pytest.raises(PermissionDenied):
        services.add_comment(issue, body="hi", actor=vera)


def test_only_the_author_or_an_admin_edits_a_comment(issue, bob, sam, alice):
    comment = services.add_comment(issue, body="first", actor=bob)
    with pytest.raises(PermissionDenied):
        services.edit_comment(comment, body="hijacked", actor=sam)
    assert services.edit_comment(comment, body="second", actor=bob).kind == Kind.COMMENT_EDITED
    assert services.edit_comment(comment, body="second", actor=bob) is None
    services.edit_comment(comment, body="moderated", actor=alice)
    comment.refresh_from_db()
    assert comment.body == "moderated" and comment.edited_at is not None


def test_watch_and_unwatch_write_no_timeline(issue, vera, alice):
    assert services.watch(issue, user=vera, actor=vera) is True
    assert services.watch(issue, user=vera, actor=vera) is False
    assert services.unwatch(issue, user=vera, actor=vera) is True
    assert kinds(issue) == [Kind.CREATED]


def test_outsider_cannot_watch(issue, mallory):
    with pytest.raises(PermissionDenied):
        services.watch(issue, user=mallory, actor=mallory)


def test_superuser_may_act_in_any_team(issue, status):
    from tests.factories import UserFactory

    root = UserFactory(is_superuser=True, is_staff=True)
    assert services.change_status(issue, to=status("Triaged"), actor=root)


def test_system_actor_is_allowed_and_recorded_as_none(issue, status):
    event = services.change_status(issue, to=status("Triaged"), actor=None)
    assert event.actor is None


def test_after_commit_the_events_are_handed_to_notifications(
    django_capture_on_commit_callbacks, eng, alice, bob
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.create_issue(eng, actor=alice, title="t", assignees=[bob])
    assert len(callbacks) == 1


def test_events_unpublished_queues_nothing(django_capture_on_commit_callbacks, eng, alice, bob):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        services.events_unpublished(),
    ):
        services.create_issue(eng, actor=alice, title="t", assignees=[bob])
    assert callbacks == []


def test_membership_removal_takes_effect_immediately(issue, bob, status):
    Membership.objects.filter(user=bob).delete()
    bob = type(bob).objects.get(pk=bob.pk)
    with pytest.raises(NotATeamMember):
        services.change_status(issue, to=status("Triaged"), actor=bob)


def test_status_factory_of_other_team_is_refused_on_update(issue, alice):
    foreign = StatusFactory()
    with pytest.raises(services.DomainError):
        services.update_issue(issue, actor=alice, status=foreign)


@pytest.mark.skipif("not __import__('django.db').db.connection.vendor == 'postgresql'")
def test_search_finds_the_new_title_after_an_edit(issue, alice):
    from issues import search

    services.update_issue(issue, actor=alice, title="Checkout page crashes")
    found = search.search(Issue.objects.all(), "checkout")
    assert list(found) == [issue]
    assert not search.search(Issue.objects.all(), "login").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search document is PostgreSQL's")
def test_a_new_issue_is_searchable_with_the_document_a_reindex_builds(eng, alice):
    from issues import search

    issue = services.create_issue(
        eng, actor=alice, title="Checkout times out", description="After **payment**, a 504."
    )
    written = Issue.objects.values_list("search_vector", flat=True).get(pk=issue.pk)
    search.reindex([issue.pk])
    assert written == Issue.objects.values_list("search_vector", flat=True).get(pk=issue.pk)
    assert "'checkout':1A" in written and re.search(r"'payment':\d+B", written)
    assert list(search.search(Issue.objects.all(), "payment")) == [issue]
