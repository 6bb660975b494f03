"""/api/v1/issues/: the list and its filters, one issue, create, change (with If-Match)."""

import datetime as dt

import pytest
from django.utils import timezone

from issues import pickers, services
from issues.models import Issue, IssueEvent, Status
from tests.factories import CustomerFactory, LabelFactory

from .conftest import keys

pytestmark = pytest.mark.django_db


# --- list ---------------------------------------------------------------------------


def test_the_list_holds_only_issues_of_my_teams(api_as, eng, ops, alice, mallory):
    services.create_issue(eng, actor=alice, title="Engineering work")
    services.create_issue(ops, actor=mallory, title="Ops work")
    assert keys(api_as(alice).get("/api/v1/issues/")) == ["ENG-1"]
    assert keys(api_as(mallory).get("/api/v1/issues/")) == ["OPS-1"]


def test_the_list_answers_in_a_fixed_number_of_queries(
    api_as, eng, alice, bob, bug_label, django_assert_num_queries
):
    for i in range(12):
        services.create_issue(
            eng,
            actor=alice,
            title=f"issue {i}",
            assignees=[alice, bob],
            labels=[bug_label],
            customers=[CustomerFactory(), CustomerFactory()],
        )
    pickers.forget()  # the creates above read the team's pickers in this process
    client = api_as(alice)
    # token, then the page's issues with their customer links, picked by their ids (one
    # page + 1 to know there is more) in a subquery; the assignees and labels are named
    # from the team's pickers, which the first page after they changed reads (statuses,
    # labels, members: three more).
    with django_assert_num_queries(2 + 3):
        client.get("/api/v1/issues/?page_size=1")
    for size in (2, 10):
        with django_assert_num_queries(2):
            response = client.get(f"/api/v1/issues/?page_size={size}")
        issues = response.json()["results"]
        assert len(issues) == size
        assert all(i["assignees"] == ["alice", "bob"] and i["labels"] == ["bug"] for i in issues)


def test_the_list_names_people_who_left_the_team_and_renamed_labels(
    api_as, eng, alice, bob, sam, bug_label
):
    from accounts import services as team_services
    from accounts.models import Membership
    from issues import workflow

    services.create_issue(eng, actor=alice, title="A", assignees=[sam], labels=[bug_label])
    client = api_as(bob)
    first = client.get("/api/v1/issues/").json()["results"][0]
    assert (first["assignees"], first["labels"]) == (["sam"], ["bug"])
    team_services.remove_member(Membership.objects.get(team=eng, user=sam), actor=alice)
    workflow.update_label(bug_label, name="defect", actor=alice)
    again = client.get("/api/v1/issues/").json()["results"][0]
    assert (again["assignees"], again["labels"]) == (["sam"], ["defect"])


def test_filters_are_the_pages_filters(api_as, eng, alice, bob, sam, status, bug_label):
    customer = CustomerFactory()
    first = services.create_issue(
        eng, actor=alice, title="Crash on save", priority=1, assignees=[bob], labels=[bug_label]
    )
    second = services.create_issue(
        eng, actor=sam, title="How do I export?", kind="question", customer=customer,
        channel="email", priority=2,
    )  # fmt: skip
    services.create_issue(eng, actor=alice, title="Old and done", status=status("Resolved"))
    services.change_status(second, to=status("In progress"), actor=alice)
    client = api_as(bob)

    def found(query):
        return keys(client.get(f"/api/v1/issues/?{query}"))

    assert found("") == [first.key, second.key]  # open ones, urgent first
    assert found("state=all") == [first.key, second.key, "ENG-3"]
    assert found("team=ENG&priority=urgent") == [first.key]
    assert found("priority=urgent,high") == [first.key, second.key]
    assert found("assignee=me") == [first.key]
    assert found("assignee=none") == [second.key]
    assert found("assignee=bob") == [first.key]
    assert found("reporter=sam") == [second.key]
    assert found("kind=question") == [second.key]
    assert found("label=bug") == [first.key]
    assert found(f"customer={customer.pk}") == [second.key]
    assert found("channel=email") == [second.key]
    assert found("status=In progress") == [second.key]
    assert found("category=done") == ["ENG-3"]
    assert found("q=export") == [second.key]
    assert found("stale=true") == []
    today = timezone.now().date()
    assert found(f"created_after={today}&created_before={today}") == [first.key, second.key]
    assert found(f"updated_before={today - dt.timedelta(days=1)}") == []


def test_stale_issues_are_flagged_and_filtered(api_as, eng, alice, status):
    old = timezone.now() - dt.timedelta(days=30)
    issue = services.create_issue(eng, actor=alice, title="Forgotten", now=old)
    fresh = services.create_issue(eng, actor=alice, title="Fresh")
    done = services.create_issue(eng, actor=alice, title="Done long ago", now=old)
    services.change_status(done, to=status("Resolved"), actor=alice, now=old)
    client = api_as(alice)
    assert keys(client.get("/api/v1/issues/?stale=true")) == [issue.key]
    assert client.get(f"/api/v1/issues/{issue.key}/").json()["is_stale"] is True
    # The list's rows say it too (set from the status, as the issue endpoint does).
    rows = client.get("/api/v1/issues/?state=all").json()["results"]
    assert {row["key"]: row["is_stale"] for row in rows} == {
        issue.key: True,
        fresh.key: False,
        done.key: False,
    }


def test_sort_orders(api_as, eng, alice):
    now = timezone.now()
    for i, priority in enumerate([3, 1, 2]):
        services.create_issue(
            eng, actor=alice, title=f"#{i}", priority=priority, now=now + dt.timedelta(minutes=i)
        )
    client = api_as(alice)
    assert keys(client.get("/api/v1/issues/")) == ["ENG-2", "ENG-3", "ENG-1"]
    assert keys(client.get("/api/v1/issues/?sort=created")) == ["ENG-3", "ENG-2", "ENG-1"]
    assert keys(client.get("/api/v1/issues/?sort=age")) == ["ENG-1", "ENG-2", "ENG-3"]
    assert keys(client.get("/api/v1/issues/?sort=updated")) == ["ENG-3", "ENG-2", "ENG-1"]


def test_a_bad_filter_is_a_400_naming_it(api_as, alice, ops):
    response = api_as(alice).get("/api/v1/issues/?priority=soon&team=OPS&customer=1.5&sort=x")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]) == {"priority", "team", "customer", "sort"}


def test_another_team_s_status_name_is_not_a_known_status(api_as, alice, mallory, ops):
    Status.objects.filter(team=ops, name="Triaged").update(name="Ops only")
    response = api_as(alice).get("/api/v1/issues/?status=Ops only")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_cursor_pages_walk_forward_and_back_without_gaps(api_as, eng, alice):
    for i in range(7):
        services.create_issue(eng, actor=alice, title=f"#{i}", priority=1 + i % 2)
    client = api_as(alice)
    everything = keys(client.get("/api/v1/issues/?page_size=50"))
    pages, url = [], "/api/v1/issues/?page_size=3"
    while url:
        page = client.get(url).json()
        pages.append([issue["key"] for issue in page["results"]])
        last, url = page, page["next"]
    assert [key for page in pages for key in page] == everything
    assert [len(page) for page in pages] == [3, 3, 1]
    back = client.get(last["previous"]).json()
    assert [issue["key"] for issue in back["results"]] == pages[1]
    assert keys(client.get(back["previous"])) == pages[0]


def test_a_row_added_while_paging_does_not_shift_the_pages(api_as, eng, alice):
    for i in range(4):
        services.create_issue(eng, actor=alice, title=f"#{i}", priority=3)
    client = api_as(alice)
    first = client.get("/api/v1/issues/?page_size=2").json()
    services.create_issue(eng, actor=alice, title="urgent, new", priority=1)
    second = client.get(first["next"]).json()
    seen = [i["key"] for i in first["results"]] + [i["key"] for i in second["results"]]
    assert len(set(seen)) == 4 and "ENG-5" not in seen


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjogInByaW9yaXR5In0", "e30"])
def test_a_bad_cursor_is_a_400(api_as, alice, cursor):
    response = api_as(alice).get(f"/api/v1/issues/?cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_a_cursor_of_another_sort_is_refused(api_as, eng, alice):
    for i in range(3):
        services.create_issue(eng, actor=alice, title=f"#{i}")
    client = api_as(alice)
    next_url = client.get("/api/v1/issues/?page_size=1").json()["next"]
    assert client.get(next_url + "&sort=created").status_code == 400


@pytest.mark.parametrize("size", ["0", "201", "x"])
def test_page_size_is_bounded(api_as, alice, size):
    response = api_as(alice).get(f"/api/v1/issues/?page_size={size}")
    assert response.status_code == 400 and "page_size" in response.json()["errors"]


# --- one issue ----------------------------------------------------------------------------


def test_an_issue_carries_its_version_as_etag(api_as, alice, bob, issue, bug_label):
    services.update_issue(issue, actor=alice, labels=[bug_label], assignees=[bob])
    response = api_as(bob).get(f"/api/v1/issues/{issue.key}/")
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["key"], body["version"], body["assignees"], body["labels"]) == (
        "ENG-1", 2, ["bob"], ["bug"],
    )  # fmt: skip
    assert body["url"].endswith("/api/v1/issues/ENG-1/")
    assert body["html_url"].endswith("/issues/ENG-1/")


def test_issue_keys_are_case_insensitive(api_as, alice, issue):
    assert api_as(alice).get("/api/v1/issues/eng-1/").status_code == 200


def test_the_issue_page_costs_a_fixed_number_of_queries(
    api_as, alice, bob, issue, django_assert_num_queries
):
    client = api_as(alice)
    with django_assert_num_queries(6):  # token, teams, issue, assignees, labels, links
        client.get(f"/api/v1/issues/{issue.key}/")


@pytest.mark.parametrize("key", ["ENG-999", "NOPE-1", "OPS-1"])
def test_unknown_and_other_teams_issues_are_404(api_as, alice, mallory, ops, key):
    services.create_issue(ops, actor=mallory, title="Ops secret")
    response = api_as(alice).get(f"/api/v1/issues/{key}/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such issue."


# --- create --------------------------------------------------------------------------------


def test_creating_an_issue_writes_the_same_events_as_the_page(api_as, eng, alice, bob, bug_label):
    response = api_as(alice).post(
        "/api/v1/issues/",
        {
            "team": "eng",
            "title": "  Checkout fails  ",
            "description": "Since **today**",
            "priority": "urgent",
            "kind": "bug",
            "assignees": ["bob"],
            "labels": ["BUG"],
            "due_date": "2030-01-31",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"].endswith("/api/v1/issues/ENG-1/")
    assert response["ETag"] == '"1"'
    assert (body["title"], body["priority"], body["channel"], body["status"]) == (
        "Checkout fails", "urgent", "api", "New",
    )  # fmt: skip
    assert body["description_html"] == "<p>Since <strong>today</strong></p>\n"
    issue = Issue.objects.get(team=eng, number=1)
    assert list(issue.events.order_by("id").values_list("kind", flat=True)) == [
        "created", "assigned",
    ]  # fmt: skip
    assert set(issue.watchers.all()) == {alice, bob}


def test_the_created_issue_is_answered_as_its_own_endpoint_gives_it(
    api_as, eng, alice, bob, django_assert_num_queries
):
    """The create answer names the people, labels and customers it was given (not read
    back): in the order and form a later GET gives them, whatever order they were sent."""
    for name in ("zeta", "Alpha", "beta"):
        LabelFactory(team=eng, name=name)
    first, second = CustomerFactory(), CustomerFactory()
    client = api_as(alice)
    body = {
        "team": "ENG",
        "title": "Checkout fails",
        "assignees": ["bob", "alice", "bob"],
        "labels": ["ZETA", "beta", "alpha"],
        "customers": [second.pk, first.pk],
    }
    # token, team, the team's pickers (statuses, labels, members: the first request of
    # the process after they changed), customers; savepoint, number (it locks the team
    # row and reads its pickers version), issue, labels, customers, events, period,
    # assignments, watchers, outbox, release; the customer links read back (the people
    # and labels are the ones given)
    with django_assert_num_queries(18):
        created = client.post("/api/v1/issues/", body)
    assert created.status_code == 201, created.json()
    # Then the names are found among the kept pickers, and checked there by the services.
    with django_assert_num_queries(15):
        assert client.post("/api/v1/issues/", body).status_code == 201
    answer = created.json()
    assert answer["assignees"] == ["alice", "bob"]
    assert answer["labels"] == ["Alpha", "beta", "zeta"]
    assert answer["customers"] == [second.pk, first.pk]
    assert answer["customer_count"] == 2
    assert answer == client.get(created["Location"]).json()


def test_a_created_issue_without_lists_reads_none(api_as, eng, alice, django_assert_num_queries):
    client = api_as(alice)
    # token, team; savepoint, number, the team's statuses (its pickers, first time in
    # this process: statuses, labels, members), issue, event, period, watcher, outbox,
    # release: nothing read back
    with django_assert_num_queries(13):
        created = client.post("/api/v1/issues/", {"team": "ENG", "title": "Plain"})
    assert created.status_code == 201, created.json()
    answer = created.json()
    assert (answer["assignees"], answer["labels"], answer["customers"]) == ([], [], [])
    assert answer == client.get(created["Location"]).json()
    with django_assert_num_queries(10):  # the pickers are kept
        assert client.post("/api/v1/issues/", {"team": "ENG", "title": "Again"}).status_code == 201


def test_create_validation_names_each_field(api_as, alice, eng):
    response = api_as(alice).post(
        "/api/v1/issues/",
        {"team": "ENG", "priority": "soon", "kind": "rant", "due_date": "tomorrow", "extra": 1},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "priority", "kind", "due_date", "extra"}
    assert not Issue.objects.exists()


def test_names_of_another_team_are_refused_and_never_linked(api_as, eng, ops, alice, mallory):
    LabelFactory(team=ops, name="ops-label")
    response = api_as(alice).post(
        "/api/v1/issues/",
        {
            "team": "ENG",
            "title": "Sneaky",
            "labels": ["ops-label"],
            "assignees": ["mallory"],
            "status": "Nope",
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["labels"] == ["ENG has no label 'ops-label'."]
    assert errors["assignees"] == ["mallory is not a member of ENG."]
    assert "status" in errors
    assert not Issue.objects.exists()


def test_a_team_i_am_not_in_is_an_unknown_team(api_as, alice, ops):
    response = api_as(alice).post("/api/v1/issues/", {"team": "OPS", "title": "x"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"team": ["No team 'OPS' that you are a member of."]}


def test_a_viewer_cannot_create_and_support_cannot_assign(api_as, vera, sam, bob, eng):
    viewer = api_as(vera).post("/api/v1/issues/", {"team": "ENG", "priority": "nonsense"})
    assert viewer.status_code == 403  # before its input is even looked at
    support = api_as(sam).post(
        "/api/v1/issues/", {"team": "ENG", "title": "x", "assignees": ["bob"]}
    )
    assert support.status_code == 403
    plain = api_as(sam).post("/api/v1/issues/", {"team": "ENG", "title": "For a customer"})
    assert plain.status_code == 201
    assert Issue.objects.count() == 1


# --- change ----------------------------------------------------------------------------


def test_patch_writes_the_same_events_as_the_page_in_one_version(
    api_as, alice, bob, issue, bug_label
):
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/",
        {
            "status": "in progress",
            "assignees": ["bob", "alice"],
            "labels": ["bug"],
            "priority": "high",
            "title": "Login button does nothing on Safari",
        },
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["status"], body["status_category"], body["assignees"], body["labels"]) == (
        "In progress", "in_progress", ["alice", "bob"], ["bug"],
    )  # fmt: skip
    kinds = sorted(IssueEvent.objects.filter(issue=issue).values_list("kind", flat=True))
    assert kinds == sorted(
        ["created", "title_changed", "priority_changed", "status_changed", "assigned",
         "assigned", "labeled"]
    )  # fmt: skip


def test_patch_with_nothing_new_writes_nothing(api_as, alice, issue):
    client = api_as(alice)
    response = client.patch(f"/api/v1/issues/{issue.key}/", {"title": issue.title})
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert client.patch(f"/api/v1/issues/{issue.key}/", {}).status_code == 200
    assert issue.events.count() == 1


def test_patch_clears_with_null_and_empty_lists(api_as, alice, bob, issue, bug_label):
    customer = CustomerFactory()
    services.update_issue(
        issue, actor=alice, assignees=[bob], labels=[bug_label], customers=[customer],
        due_date=dt.date(2030, 1, 1),
    )  # fmt: skip
    body = (
        api_as(alice)
        .patch(
            f"/api/v1/issues/{issue.key}/",
            {"assignees": [], "labels": [], "customers": [], "due_date": None},
        )
        .json()
    )
    assert (body["assignees"], body["labels"], body["customers"], body["due_date"]) == (
        [], [], [], None,
    )  # fmt: skip
    assert body["customer_count"] == 0


def test_a_stale_if_match_is_412_and_changes_nothing(api_as, alice, bob, issue):
    services.update_issue(issue, actor=bob, priority=2)  # someone else, meanwhile
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/", {"title": "Mine"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert response.json()["type"] == "/api/problems/stale-version"
    issue.refresh_from_db()
    assert (issue.title, issue.version) == ("Login button does nothing", 2)


def test_the_service_rechecks_the_version_under_its_lock(api_as, alice, issue, monkeypatch):
    """The view's early check passes, then the issue changes before the service's lock:
    the service's own check still refuses (412)."""
    from issues.api.views import issues as views

    real = views.expected_version

    def racing(request, current):
        version = real(request, current)
        services.update_issue(issue, actor=alice, priority=1)  # lands between check and lock
        return version

    monkeypatch.setattr(views, "expected_version", racing)
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/", {"title": "Mine"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert response.json()["current_version"] == 2
    issue.refresh_from_db()
    assert issue.title == "Login button does nothing"


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "1", "*"])
def test_a_current_if_match_in_any_usual_form_is_accepted(api_as, alice, issue, header):
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/", {"title": "Renamed"}, HTTP_IF_MATCH=header
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ['"2"', '"x"', '"1"junk'])
def test_a_non_matching_if_match_is_412(api_as, alice, issue, header):
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/", {"title": "Renamed"}, HTTP_IF_MATCH=header
    )
    assert response.status_code == 412


def test_several_etags_in_if_match_are_a_400(api_as, alice, issue):
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/", {"title": "Renamed"}, HTTP_IF_MATCH='"1", "2"'
    )
    assert response.status_code == 400 and "If-Match" in response.json()["errors"]


def test_patch_validation_names_each_field(api_as, alice, issue, ops, mallory):
    other = services.create_issue(ops, actor=mallory, title="Ops")
    response = api_as(alice).patch(
        f"/api/v1/issues/{issue.key}/",
        {"status": "Nope", "labels": ["nope"], "customers": [99999], "duplicate_of": other.key,
         "version": 7},
    )  # fmt: skip
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "status", "labels", "customers", "duplicate_of", "version",
    }  # fmt: skip
    assert issue.events.count() == 1


def test_domain_rules_come_back_as_field_errors(api_as, alice, vera, issue):
    client = api_as(alice)
    title = client.patch(f"/api/v1/issues/{issue.key}/", {"title": "   "})
    assert title.status_code == 400 and list(title.json()["errors"]) == ["title"]
    viewer = client.patch(f"/api/v1/issues/{issue.key}/", {"assignees": ["vera"]})
    assert viewer.status_code == 400
    assert viewer.json()["errors"] == {
        "assignees": ["vera is a viewer in ENG and cannot be assigned."]
    }
    itself = client.patch(f"/api/v1/issues/{issue.key}/", {"duplicate_of": issue.key})
    assert itself.json()["errors"] == {
        "duplicate_of": ["An issue cannot be a duplicate of itself."]
    }


def test_marking_a_duplicate_closes_the_issue(api_as, alice, eng, issue):
    original = services.create_issue(eng, actor=alice, title="The original")
    body = (
        api_as(alice).patch(f"/api/v1/issues/{issue.key}/", {"duplicate_of": original.key}).json()
    )
    assert (body["duplicate_of"], body["status_category"]) == (original.key, "cancelled")


@pytest.mark.parametrize(
    ("persona", "change", "status"),
    [
        ("vera", {"title": "x"}, 403),
        ("sam", {"title": "Support may edit"}, 200),
        ("sam", {"status": "Triaged"}, 200),
        ("sam", {"assignees": ["bob"]}, 403),
        ("sam", {"labels": []}, 403),
        ("bob", {"assignees": ["bob"]}, 200),
        ("mallory", {"title": "x"}, 404),
    ],
)
def test_who_may_change_what(
    request, api_as, issue, bob, sam, vera, mallory, persona, change, status
):
    user = request.getfixturevalue(persona)
    response = api_as(user).patch(f"/api/v1/issues/{issue.key}/", change)
    assert response.status_code == status, response.json()


def test_put_and_delete_are_not_allowed(api_as, alice, issue):
    client = api_as(alice)
    for method in (client.put, client.delete):
        response = method(f"/api/v1/issues/{issue.key}/", {})
        assert response.status_code == 405
        assert response["Allow"] == "GET, PATCH, HEAD, OPTIONS"
    assert Issue.objects.filter(pk=issue.pk).exists()
