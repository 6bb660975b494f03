"""The team pages as a user meets them: the list and its filters, the board, bulk
triage, the issue page's forms, the new-issue form, saved views and the Markdown
preview. Each test asserts what a person would notice: the status code, the text on
the page, the rows and events in the database. The issue page's own read tests live
in test_views.py."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Membership
from issues import pickers, services, workflow
from issues.models import Comment, Issue, IssueEvent, SavedView
from tests.factories import CustomerFactory, LabelFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = IssueEvent.Kind
Priority = Issue.Priority

HTMX = {"HX-Request": "true"}
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "div#results"}
LIST = "/teams/ENG/issues/"
BOARD = "/teams/ENG/board/"
BULK = "/teams/ENG/issues/bulk/"


# --- helpers ----------------------------------------------------------------------


def text(response) -> str:
    return response.content.decode()


def keys_in(html: str) -> list[str]:
    """Issue keys of the list rows / board cards, in page order."""
    return re.findall(r'data-href="/issues/([A-Z0-9]+-\d+)/"', html)


def keys_on(response) -> list[str]:
    return keys_in(text(response))


def days_ago(n: int, *, hour: int = 12) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=n)).replace(hour=hour, minute=0)


def events(issue, kind=None) -> int:
    qs = IssueEvent.objects.filter(issue=issue)
    return qs.filter(kind=kind).count() if kind else qs.count()


def snapshot(team) -> dict:
    """Everything a refused request must leave alone."""
    return {
        "issues": list(
            Issue.objects.filter(team=team)
            .order_by("number")
            .values_list("number", "version", "status_id", "priority", "title", "duplicate_of")
        ),
        "events": IssueEvent.objects.count(),
        "comments": Comment.objects.count(),
        "assignments": Issue.assignees.through.objects.count(),
        "labels": Issue.labels.through.objects.count(),
        "watchers": Issue.watchers.through.objects.count(),
        "views": SavedView.objects.count(),
    }


def reloaded(issue) -> Issue:
    return Issue.objects.select_related("team", "status").get(pk=issue.pk)


@pytest.fixture
def file_issue(eng, alice):
    """file_issue("title", priority=..., now=...) as alice, through the service."""

    def create(title, **fields):
        return services.create_issue(eng, actor=alice, title=title, **fields)

    return create


@pytest.fixture
def personas(request):
    def get(name):
        return None if name == "anonymous" else request.getfixturevalue(name)

    return get


def _log_in(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _outcome(response) -> int | str:
    """The status code; "login" for a redirect to the sign-in page."""
    if response.status_code == 302 and response.url.startswith("/accounts/login/"):
        return "login"
    return response.status_code


# --- 1. permission matrix ---------------------------------------------------------

PERSONAS = ("alice", "bob", "sam", "vera", "mallory", "anonymous")

# mallory can file issues in OPS only: the new-issue form ignores ?team=ENG and offers
# OPS (see test_new_issue_form_never_offers_a_team_the_user_cannot_see).
GET_MATRIX = {  # url: (alice, bob, sam, vera, mallory, anonymous)
    LIST: (200, 200, 200, 200, 404, "login"),
    BOARD: (200, 200, 200, 200, 404, "login"),
    "/issues/new/?team=ENG": (200, 200, 200, 403, 404, "login"),
    "/issues/similar/?team=ENG&title=x": (200, 200, 200, 200, 404, "login"),
    "/issues/ENG-1/edit/": (200, 200, 200, 403, 404, "login"),
}


def test_get_permission_matrix(client, personas, issue, mallory):
    actual = {
        url: tuple(_outcome(_log_in(client, personas(p)).get(url)) for p in PERSONAS)
        for url in GET_MATRIX
    }
    assert actual == GET_MATRIX


def _post_payloads(status):
    triaged = status("Triaged").pk
    return {
        "bulk": (BULK, {"issues": ["ENG-1", "ENG-2"], "action": "status", "status": triaged}),
        "properties": (
            "/issues/ENG-1/properties/",
            {"version": 1, "fields": "status", "status": triaged},
        ),
        "comment": ("/issues/ENG-1/comments/", {"body": "hello"}),
        "move": ("/issues/ENG-1/move/", {"status": triaged}),
        "watch": ("/issues/ENG-1/watch/", {"watch": "1"}),
        "duplicate": ("/issues/ENG-2/duplicate/", {"of": "ENG-1"}),
        "edit": ("/issues/ENG-1/edit/", {"version": 1, "title": "Renamed"}),
        "save-view": ("/teams/ENG/views/", {"name": "Mine", "query": "priority=urgent"}),
    }


# Viewers read: every write is 403. Watching and saving a personal view are not
# changes to the team's issues, and accounts.permissions lets viewers watch.
POST_MATRIX = {  # endpoint: (vera, mallory, anonymous)
    "bulk": (403, 404, "login"),
    "properties": (403, 404, "login"),
    "comment": (403, 404, "login"),
    "move": (403, 404, "login"),
    "watch": (302, 404, "login"),
    "duplicate": (403, 404, "login"),
    "edit": (403, 404, "login"),
    "save-view": (302, 404, "login"),
}


def test_post_permission_matrix_and_refusals_change_nothing(
    client, personas, eng, file_issue, status, vera, mallory
):
    file_issue("First")
    file_issue("Second")
    payloads = _post_payloads(status)
    actual, changed = {}, set()
    for endpoint, (url, data) in payloads.items():
        codes = []
        for persona in ("vera", "mallory", "anonymous"):
            before = snapshot(eng)
            codes.append(_outcome(_log_in(client, personas(persona)).post(url, data)))
            if snapshot(eng) != before:
                changed.add((endpoint, persona))
        actual[endpoint] = tuple(codes)
    assert actual == POST_MATRIX
    assert changed == {("watch", "vera"), ("save-view", "vera")}


def test_viewer_watching_does_not_touch_the_issue(client_for, issue, vera):
    response = client_for(vera).post(f"/issues/{issue.key}/watch/", {"watch": "1"})
    assert response.status_code == 302
    assert issue.watchers.filter(pk=vera.pk).exists()
    assert reloaded(issue).version == issue.version


def test_new_issue_form_never_offers_a_team_the_user_cannot_see(client_for, eng, mallory):
    assert client_for(mallory).get("/issues/new/?team=ENG").status_code == 404
    body = text(client_for(mallory).get("/issues/new/"))
    assert '<option value="OPS" selected>' in body
    assert "ENG" not in body


def test_posting_a_new_issue_to_a_team_you_cannot_create_in_creates_nothing(
    client_for, eng, mallory
):
    response = client_for(mallory).post("/issues/new/", new_issue_form(title="Typo"))
    assert response.status_code in (403, 404)
    assert not Issue.objects.exists()


# --- 2. list filters --------------------------------------------------------------


@pytest.fixture
def catalog(eng, alice, bob, status, bug_label, file_issue):
    """Six ENG issues, each with one distinguishing fact; returns name -> issue."""
    customer = CustomerFactory()
    issues = {
        "plain": file_issue("Plain report"),
        "urgent": file_issue(
            "Giraffe crash",
            priority=Priority.URGENT,
            assignees=[bob],
            labels=[bug_label],
            status=status("Triaged"),
        ),
        "question": file_issue(
            "How do exports work",
            priority=Priority.HIGH,
            kind=Issue.Kind.QUESTION,
            channel=Issue.Channel.EMAIL,
            assignees=[alice],
            status=status("In progress"),
        ),
        "closed": file_issue("Fixed already"),
        "stale": file_issue("Forgotten report", now=days_ago(30)),
        "revived": file_issue("Old but discussed", now=days_ago(25), status=status("Triaged")),
    }
    services.add_customer(issues["question"], customer=customer, actor=alice)
    services.change_status(issues["closed"], to=status("Resolved"), actor=alice)
    services.add_comment(issues["plain"], body="Seen by a quokka today", actor=bob)
    services.add_comment(issues["revived"], body="Still happening", actor=bob)
    issues["customer"] = customer
    return issues


OPEN = {"plain", "urgent", "question", "stale", "revived"}


def _date(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", OPEN),
        pytest.param("status=Triaged", {"urgent", "revived"}),
        pytest.param("status=Resolved", {"closed"}),
        pytest.param("status=Triaged,In progress", {"urgent", "revived", "question"}),
        ("category=in_progress", {"question"}),
        ("assignee=me", {"urgent"}),
        ("assignee=none", {"plain", "stale", "revived"}),
        ("assignee=alice", {"question"}),
        ("assignee=alice,bob", {"urgent", "question"}),
        ("priority=urgent", {"urgent"}),
        ("priority=urgent,high", {"urgent", "question"}),
        ("priority=urgent&priority=high", {"urgent", "question"}),
        ("kind=question", {"question"}),
        pytest.param("label=bug", {"urgent"}),
        ("channel=email", {"question"}),
        ("customer={customer}", {"question"}),
        ("stale=true", {"stale"}),
        ("created_before={days_20}", {"stale", "revived"}),
        ("created_after={days_20}", {"plain", "urgent", "question"}),
        ("updated_after={days_20}", OPEN - {"stale"}),
        ("state=closed", {"closed"}),
        ("state=all", OPEN | {"closed"}),
        ("q=giraffe", {"urgent"}),
        ("q=quokka", {"plain"}),
        ("q=ENG-2", {"urgent"}),
        ("q=okapi", set()),
    ],
)
def test_list_filter_shows_matching_issues_only(client_for, bob, catalog, query, expected):
    query = query.format(customer=catalog["customer"].pk, days_20=_date(20))
    response = client_for(bob).get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert sorted(keys_on(response)) == sorted(catalog[name].key for name in expected)
    assert "Some filters were ignored" not in text(response)


def test_priority_menu_offers_each_priority_once(client_for, bob, catalog):
    body = text(client_for(bob).get(LIST))
    menu = body[body.index("<summary>Priority") : body.index("<summary>Kind")]
    assert re.findall(r'name="priority" value="(\w+)"', menu) == [
        "urgent",
        "high",
        "medium",
        "low",
        "none",
    ]


def test_each_teams_list_offers_and_accepts_only_its_own_names(client_for, bob, catalog, ops):
    """The filters are copied per request; one team's menus must not leak into the next
    team's list, in either order."""
    Membership.objects.create(user=bob, team=ops, role="member")
    LabelFactory(team=ops, name="ops-only")
    workflow.update_status(ops.statuses.get(name="Triaged"), actor=None, name="Ops queue")
    client = client_for(bob)
    for _ in range(2):
        eng_page = text(client.get(f"{LIST}?label=ops-only"))
        ops_page = text(client.get("/teams/OPS/issues/?label=bug&status=Ops+queue"))
        assert 'name="label" value="ops-only"' not in eng_page
        assert 'name="label" value="bug"' in eng_page
        assert "label: Select a valid choice" in eng_page
        assert 'name="label" value="ops-only"' in ops_page
        assert 'name="label" value="bug"' not in ops_page
        assert "label: Select a valid choice" in ops_page
        assert 'name="status" value="Ops queue" checked' in ops_page


def test_every_text_in_a_list_row_is_escaped(client_for, eng, alice, bob, status, file_issue):
    """The row is built as one string; each person-, team- or customer-supplied text in
    it must arrive escaped, inside elements and inside attributes."""
    bob.display_name = 'Bob "<b>"'
    bob.save()
    label = LabelFactory(team=eng, name="<i>x</i>")  # colours are #rrggbb (a constraint)
    workflow.update_status(status("Triaged"), actor=None, name="Tri<u>aged</u>")
    file_issue(
        "<script>alert('t')</script>",
        assignees=[bob],
        labels=[label],
        status=status("Tri<u>aged</u>"),
    )
    body = text(client_for(alice).get(LIST))
    row = body[body.index("<tr data-row") : body.index("</tr>", body.index("<tr data-row"))]
    for raw in ("<script>", "<i>", "<u>", '"<b>"', "<b>"):
        assert raw not in row
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in row
    assert "&lt;i&gt;x&lt;/i&gt;" in row and "Tri&lt;u&gt;aged&lt;/u&gt;" in row
    assert 'title="Bob &quot;&lt;b&gt;&quot;"' in row


def test_search_without_matches_says_so(client_for, bob, catalog):
    assert "No issues match these filters." in text(client_for(bob).get(f"{LIST}?q=okapi"))


@pytest.fixture
def four_sorted(file_issue, alice):
    """Created in the order b, a, c, d; b has the latest activity (a fresh comment)."""
    b = file_issue("B", priority=Priority.URGENT, now=days_ago(5))
    a = file_issue("A", priority=Priority.HIGH, now=days_ago(3))
    c = file_issue("C", priority=Priority.HIGH, now=days_ago(1))
    d = file_issue("D")
    services.add_comment(b, body="bump", actor=alice)
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", "bcad"),  # priority, then latest activity first
        ("?sort=priority", "bcad"),
        ("?sort=updated", "bdca"),
        ("?sort=created", "dcab"),
        ("?sort=age", "bacd"),
    ],
)
def test_list_sort_orders_rows(client_for, bob, four_sorted, query, order):
    response = client_for(bob).get(LIST + query)
    assert keys_on(response) == [four_sorted[name].key for name in order]


# --- 3. bad filter values ---------------------------------------------------------


@pytest.mark.parametrize("page", [LIST, BOARD])
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("priority=hi", "priority"),
        ("status=Nope", "status"),
        ("created_after=notadate", "created_after"),
        ("customer=abc", "customer"),
        ("sort=evil", "sort"),
        ("label=nolabel", "label"),
        ("assignee=mallory", "assignee"),
    ],
)
def test_bad_filter_value_is_ignored_with_a_message(client_for, bob, catalog, page, query, named):
    response = client_for(bob).get(f"{page}?{query}")
    assert response.status_code == 200
    body = text(response)
    assert "Some filters were ignored" in body
    assert f"{named}:" in body
    assert sorted(keys_on(response)) == sorted(catalog[name].key for name in OPEN)


@pytest.mark.parametrize(
    "query",
    [
        "assignee__password__startswith=x",
        "page=999",
        "page=abc",
        "page=-1",
        "stale=maybe",
        "status=",
        "sort=",
        "state=",
        pytest.param("customer=99999999999999999999999"),
        "created_after=2024-02-30",
        "q=" + "x" * 500,
        "q=%00",
        pytest.param("q=!!!"),
        pytest.param("q=-"),
    ],
)
def test_odd_query_strings_never_break_the_list(client_for, bob, catalog, query):
    for page in (LIST, BOARD):
        response = client_for(bob).get(f"{page}?{query}")
        assert response.status_code == 200, (page, query)


def test_unknown_parameters_are_ignored_silently(client_for, bob, catalog):
    response = client_for(bob).get(f"{LIST}?assignee__password__startswith=x")
    assert "Some filters were ignored" not in text(response)
    assert len(keys_on(response)) == len(OPEN)


def test_bad_value_leaves_the_other_filters_working(client_for, bob, catalog):
    response = client_for(bob).get(f"{LIST}?priority=hi&kind=question")
    assert keys_on(response) == [catalog["question"].key]
    assert "priority:" in text(response)


def test_filter_message_escapes_the_bad_value(client_for, bob, catalog):
    body = text(client_for(bob).get(f"{LIST}?status=<script>alert(1)</script>"))
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body


def test_filter_warning_of_an_htmx_request_does_not_leak_into_the_next_page(
    client_for, bob, catalog
):
    client = client_for(bob)
    client.get(f"{LIST}?priority=hi", headers=HTMX_RESULTS)
    assert "Some filters were ignored" not in text(client.get(LIST))


# --- 4. pagination and htmx -------------------------------------------------------


@pytest.fixture
def fifty_five(eng, alice, file_issue):
    return [file_issue(f"Issue number {n}") for n in range(55)]


def test_list_pages_by_fifty(client_for, bob, fifty_five):
    client = client_for(bob)
    first, second = client.get(LIST), client.get(f"{LIST}?page=2")
    assert len(keys_on(first)) == 50
    assert len(keys_on(second)) == 5
    assert set(keys_on(first)).isdisjoint(keys_on(second))
    assert "55 issues · page 1 of 2" in text(first)
    assert 'rel="next"' in text(first) and 'rel="prev"' in text(second)


def test_page_past_the_end_shows_the_last_page(client_for, bob, fifty_five):
    response = client_for(bob).get(f"{LIST}?page=999")
    assert response.status_code == 200
    assert len(keys_on(response)) == 5


@pytest.mark.parametrize("page", ["1", "2", "999", "x", "0", "-1"])
def test_a_searched_list_pages_and_counts_like_any_other(client_for, bob, fifty_five, page):
    """A ranked search counts its matches from the page's own rows (one query fewer);
    every page, a page past the end and a bad page number still read as on the list."""
    client = client_for(bob)
    searched = client.get(f"{LIST}?q=number&sort=created&page={page}")
    listed = client.get(f"{LIST}?sort=created&page={page}")
    assert searched.status_code == listed.status_code == 200
    assert keys_on(searched) == keys_on(listed)
    summary = re.search(r'<p class="result-count[^>]*>([^<]+)</p>', text(listed)).group(1)
    assert summary.startswith("55 issues")
    assert summary in text(searched)


def test_a_search_without_matches_counts_none(client_for, bob, fifty_five):
    for page in ("1", "3"):
        response = client_for(bob).get(f"{LIST}?q=okapi&page={page}")
        assert "0 issues" in text(response) and keys_on(response) == []


def test_htmx_filter_request_gets_only_the_results(client_for, bob, fifty_five):
    response = client_for(bob).get(f"{LIST}?page=2", headers=HTMX_RESULTS)
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body and 'id="results"' in body
    # Messages ride along out of band, so a warning shows where the filter changed.
    assert body.lstrip().startswith('<div id="messages" aria-live="polite" hx-swap-oob="true">')
    assert len(keys_on(response)) == 5


def test_plain_request_gets_the_whole_page(client_for, bob, fifty_five):
    body = text(client_for(bob).get(LIST))
    assert "<html" in body and 'id="results"' in body and "Save this view as" in body


def test_htmx_request_aimed_elsewhere_gets_the_whole_page(client_for, bob, fifty_five):
    body = text(client_for(bob).get(LIST, headers={**HTMX, "HX-Target": "main"}))
    assert "<html" in body


# --- 5. query budgets -------------------------------------------------------------


@pytest.fixture
def grow(eng, alice, bob, sam, status):
    """grow(n): n more issues, each with two assignees, two labels and a customer."""
    labels = [LabelFactory(team=eng, name=n) for n in ("bug", "ui", "api")]
    statuses = [status("New"), status("Triaged"), status("In progress")]

    def add(n):
        for i in range(n):
            services.create_issue(
                eng,
                actor=alice,
                title=f"Busy issue {i}",
                priority=Priority.HIGH if i % 2 else Priority.LOW,
                status=statuses[i % 3],
                assignees=[bob, sam] if i % 2 else [alice, bob],
                labels=labels[i % 2 : i % 2 + 2],
                customer=CustomerFactory(),
            )

    return add


# Pinned from a run; a change means an N+1 or a new query, so look before updating.
# The list: the user (with the unread count), my teams with my roles (the header's, the
# team's own row among them, with its pickers version); the count; the page of issues
# (with their assignee and label ids); saved views. The session is in the cache.
LIST_QUERIES = 5
# The first team page a process serves after the team's statuses, labels or members
# changed also reads them (issues/pickers.py): three more.
PICKER_QUERIES = 3
# A searched list: the same, its count carried by the page's rows (COUNT(*) OVER ()).
SEARCH_QUERIES = LIST_QUERIES - 1
# The board: the same without saved views, with the column counts and the cards (one
# window query) instead of the count and the page.
BOARD_QUERIES = 4
# The results fragment: the list without the header's saved views (the team still comes
# from my teams).
RESULTS_QUERIES = 4


@pytest.mark.parametrize(
    ("url", "headers", "queries"),
    [
        (LIST, {}, LIST_QUERIES),
        (BOARD, {}, BOARD_QUERIES),
        (LIST, HTMX_RESULTS, RESULTS_QUERIES),
        (f"{LIST}?assignee=bob&priority=high&sort=created", {}, LIST_QUERIES),
        (f"{BOARD}?q=busy", {}, BOARD_QUERIES),
        (f"{LIST}?q=busy", {}, SEARCH_QUERIES),
    ],
    ids=["list", "board", "results", "filtered-list", "searched-board", "searched-list"],
)
def test_list_query_count_is_fixed(
    client_for, bob, grow, django_assert_num_queries, url, headers, queries
):
    client = client_for(bob)
    grow(3)
    pickers.forget()  # the creates read the team's pickers in this process
    with django_assert_num_queries(queries + PICKER_QUERIES):
        assert client.get(url, headers=headers).status_code == 200
    with django_assert_num_queries(queries):
        assert client.get(url, headers=headers).status_code == 200
    grow(27)
    with django_assert_num_queries(queries):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert len(keys_on(response)) >= 10


# --- board ------------------------------------------------------------------------


def _columns(response) -> dict[str, list[str]]:
    """Board column title -> the keys of its cards."""
    columns = {}
    for section in text(response).split('<section class="column"')[1:]:
        name = re.search(r'<span class="pill cat-\w+">([^<]+)</span>', section).group(1)
        columns[name] = keys_in(section)
    return columns


def test_board_shows_each_open_issue_in_its_status_column(client_for, bob, catalog):
    columns = _columns(client_for(bob).get(BOARD))
    key = {name: catalog[name].key for name in OPEN}
    assert columns == {
        "New": [key["plain"], key["stale"]],  # same priority: latest activity first
        "Triaged": [key["urgent"], key["revived"]],
        "In progress": [key["question"]],
        "Waiting on customer": [],
        "Resolved": [],
        "Closed": [],
        "Won&#x27;t fix": [],
    }


def test_board_shows_an_issue_matching_two_filter_values_once(client_for, alice, bob, catalog):
    services.assign(catalog["urgent"], assignee=alice, actor=bob)
    response = client_for(bob).get(f"{BOARD}?assignee=alice,bob")
    assert sorted(keys_on(response)) == sorted([catalog["urgent"].key, catalog["question"].key])


def test_board_counts_and_shows_an_issue_matching_two_labels_and_two_assignees_once(
    client_for, eng, alice, bob, bug_label, catalog
):
    """The board reads the filtered list as it is (no id IN (...) wrapper): the label and
    assignee filters must not repeat an issue in a column or in its count."""
    from tests.factories import LabelFactory

    ui = LabelFactory(team=eng, name="ui")
    services.set_labels(catalog["urgent"], labels=[bug_label, ui], actor=bob, mode="add")
    services.assign(catalog["urgent"], assignee=alice, actor=bob)
    response = client_for(bob).get(f"{BOARD}?label=bug,ui&assignee=alice,bob")
    columns = _columns(response)
    assert columns["Triaged"] == [catalog["urgent"].key]
    assert sum(len(cards) for cards in columns.values()) == 1
    counts = re.findall(
        r'<span class="pill cat-\w+">([^<]+)</span> <span class="muted">(\d+)<', text(response)
    )
    assert dict(counts)["Triaged"] == "1"
    assert {n for name, n in counts if name != "Triaged"} == {"0"}


def test_the_assignee_filter_matches_members_by_id(client_for, bob, catalog):
    """The page knows its members' ids: the filter compares ids, with no join on the
    users (through the username PostgreSQL could not tell how many issues a person has,
    and probed every one they ever had)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client_for(bob).get(f"{LIST}?assignee=alice,me")
    assert set(keys_on(response)) == {catalog["question"].key, catalog["urgent"].key}
    filtered = [q["sql"] for q in queries.captured_queries if "issues_assignment" in q["sql"]]
    assert filtered and not any("username" in sql for sql in filtered)


def test_me_for_someone_no_longer_in_the_team_still_finds_their_issues(client, eng, bob, catalog):
    """A superuser sees every team without being a member. One who left the team with an
    issue still assigned has no member id there: "me" then matches by username and
    still finds it."""
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    Membership.objects.create(user=root, team=eng, role=Membership.Role.MEMBER)
    services.assign(catalog["plain"], assignee=root, actor=bob)
    Membership.objects.filter(user=root).delete()
    client.force_login(root)
    response = client.get(f"{LIST}?assignee=me")
    assert response.status_code == 200
    assert keys_on(response) == [catalog["plain"].key]


def test_list_shows_an_issue_matching_two_labels_and_two_assignees_once(
    client_for, eng, alice, bob, bug_label, catalog
):
    """Label and assignee filters are subqueries: an issue carrying both labels and both
    people is one row, and the count says so."""
    from tests.factories import LabelFactory

    ui, api = LabelFactory(team=eng, name="ui"), LabelFactory(team=eng, name="api")
    services.set_labels(catalog["urgent"], labels=[ui, api], actor=bob, mode="add")
    services.assign(catalog["urgent"], assignee=alice, actor=bob)
    response = client_for(bob).get(f"{LIST}?label=bug,ui&assignee=alice,bob")
    assert keys_on(response) == [catalog["urgent"].key]
    assert "1 issue" in text(response) and "2 issues" not in text(response)
    # The row names exactly its people and labels (ids read with the rows, named from
    # the page's pickers).
    assert re.findall(r'class="avatar" title="[^"]*">([^<]+)<', text(response)) == [
        "alice",
        "bob",
    ]
    assert re.findall(r'class="label"><svg[^>]*>.*?</svg>([^<]+)<', text(response)) == [
        "api",
        "bug",
        "ui",
    ]


def test_an_open_category_lists_open_issues_and_a_closed_one_closed_issues(
    client_for, bob, catalog
):
    started = keys_on(client_for(bob).get(f"{LIST}?category=in_progress"))
    assert started == [catalog["question"].key]
    done = keys_on(client_for(bob).get(f"{LIST}?category=done"))
    assert done == [catalog["closed"].key]


def test_board_move_changes_the_status(client_for, bob, issue, status):
    response = client_for(bob).post(
        f"/issues/{issue.key}/move/", {"status": status("Triaged").pk}, follow=True
    )
    assert f"{issue.key} moved to Triaged." in text(response)
    assert reloaded(issue).status.name == "Triaged"
    assert events(issue, Kind.STATUS_CHANGED) == 1


def test_board_move_by_htmx_asks_for_a_refresh(client_for, bob, issue, status):
    response = client_for(bob).post(
        f"/issues/{issue.key}/move/", {"status": status("Triaged").pk}, headers=HTMX
    )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_board_move_to_another_teams_status_is_refused(client_for, bob, issue, ops):
    other = ops.statuses.get(name="Triaged")
    response = client_for(bob).post(f"/issues/{issue.key}/move/", {"status": other.pk}, follow=True)
    assert "Choose a status of this team." in text(response)
    assert events(issue) == 1


# --- 6. bulk triage ---------------------------------------------------------------


@pytest.fixture
def three(file_issue):
    return [file_issue(t) for t in ("One", "Two", "Three")]


def _bulk(client, issues, action, **values):
    data = {"issues": [i.key if isinstance(i, Issue) else i for i in issues], "action": action}
    return client.post(BULK, {**data, **values}, follow=True)


def test_bulk_status_moves_each_issue_once(client_for, bob, three, status):
    response = _bulk(client_for(bob), three, "status", status=status("Triaged").pk)
    assert response.redirect_chain[-1][0] == LIST
    assert "3 issues moved to Triaged." in text(response)
    for issue in three:
        assert reloaded(issue).status.name == "Triaged"
        assert events(issue, Kind.STATUS_CHANGED) == 1


def test_bulk_status_does_not_count_issues_already_there(client_for, bob, three, status):
    services.change_status(three[0], to=status("Triaged"), actor=bob)
    version = reloaded(three[0]).version
    response = _bulk(client_for(bob), three, "status", status=status("Triaged").pk)
    assert "2 issues moved to Triaged (1 already were)." in text(response)
    assert events(three[0], Kind.STATUS_CHANGED) == 1
    assert reloaded(three[0]).version == version


def test_bulk_when_nothing_changes_says_so(client_for, bob, three, status):
    _bulk(client_for(bob), three, "status", status=status("Triaged").pk)
    response = _bulk(client_for(bob), three, "status", status=status("Triaged").pk)
    assert "No issue changed: all 3 already were moved to Triaged." in text(response)


def test_bulk_returns_to_the_filtered_list(client_for, bob, three, status):
    response = client_for(bob).post(
        BULK,
        {
            "issues": [three[0].key],
            "action": "status",
            "status": status("Triaged").pk,
            "back": "priority=urgent&kind=bug",
        },
    )
    assert response.url == f"{LIST}?priority=urgent&kind=bug"


def test_bulk_back_cannot_leave_the_site(client_for, bob, three, status):
    response = client_for(bob).post(
        BULK,
        {
            "issues": [three[0].key],
            "action": "status",
            "status": status("Triaged").pk,
            "back": "//evil.example/x",
        },
    )
    assert response.url.startswith(f"{LIST}?")


def test_bulk_assign_and_unassign(client_for, bob, alice, three):
    client = client_for(bob)
    response = _bulk(client, three[:2], "assign", assignee="alice")
    assert "2 issues assigned to Alice." in text(response)
    assert [events(i, Kind.ASSIGNED) for i in three] == [1, 1, 0]
    response = _bulk(client, three, "unassign", assignee="alice")
    assert "2 issues unassigned from Alice (1 already were)." in text(response)
    assert not Issue.assignees.through.objects.exists()
    assert [events(i, Kind.UNASSIGNED) for i in three] == [1, 1, 0]


def test_bulk_add_and_remove_label(client_for, bob, three, bug_label):
    client = client_for(bob)
    assert "3 issues labelled bug." in text(_bulk(client, three, "add_label", label="bug"))
    assert all(reloaded(i).labels.filter(pk=bug_label.pk).exists() for i in three)
    response = _bulk(client, three[:1], "remove_label", label="bug")
    assert "1 issue unlabelled bug." in text(response)
    assert [reloaded(i).labels.count() for i in three] == [0, 1, 1]
    assert events(three[0], Kind.UNLABELED) == 1


def test_bulk_priority_by_name(client_for, bob, three):
    response = _bulk(client_for(bob), three, "priority", priority="urgent")
    assert "3 issues set to priority Urgent." in text(response)
    assert {reloaded(i).priority for i in three} == {Priority.URGENT}
    assert all(events(i, Kind.PRIORITY_CHANGED) == 1 for i in three)


def test_support_may_bulk_move_status(client_for, sam, three, status):
    response = _bulk(client_for(sam), three, "status", status=status("Triaged").pk)
    assert "3 issues moved to Triaged." in text(response)


@pytest.mark.parametrize(
    ("action", "values"),
    [("assign", {"assignee": "bob"}), ("add_label", {"label": "bug"})],
)
def test_support_bulk_triage_is_forbidden_and_changes_nothing(
    client_for, sam, bob, eng, three, bug_label, action, values
):
    before = snapshot(eng)
    response = client_for(sam).post(
        BULK, {"issues": [i.key for i in three], "action": action, **values}
    )
    assert response.status_code == 403
    assert snapshot(eng) == before


def test_bulk_is_all_or_nothing(client_for, bob, eng, three, status, monkeypatch):
    """A refusal on the third issue undoes the first two."""
    real = services.change_status

    def refuse_third(issue, **kwargs):
        if issue.number == 3:
            raise services.DomainError("Three is locked.")
        return real(issue, **kwargs)

    monkeypatch.setattr(services, "change_status", refuse_third)
    before = snapshot(eng)
    response = _bulk(client_for(bob), three, "status", status=status("Triaged").pk)
    assert "Nothing was changed: Three is locked." in text(response)
    assert snapshot(eng) == before


def test_bulk_ignores_keys_of_another_team(client_for, alice, eng, ops, mallory, three, status):
    other = services.create_issue(ops, actor=mallory, title="Ops thing")
    before = snapshot(eng)
    _bulk(client_for(alice), [other.key], "status", status=status("Triaged").pk)
    assert snapshot(eng) == before
    assert reloaded(other).status.name == "New"


def test_bulk_with_unknown_keys_says_none_were_found(client_for, bob, three, status):
    response = _bulk(client_for(bob), ["ENG-404"], "status", status=status("Triaged").pk)
    assert "all 0 already were" not in text(response)


def test_bulk_assign_of_a_deactivated_member_changes_nothing(client_for, bob, eng, three):
    gone = UserFactory(username="gone", display_name="Gone", is_active=False)
    Membership.objects.create(user=gone, team=eng, role=Membership.Role.MEMBER)
    before = snapshot(eng)
    response = _bulk(client_for(bob), three, "assign", assignee="gone")
    assert "assignee: Select a valid choice." in text(response)
    assert snapshot(eng) == before


def test_bulk_bar_does_not_offer_deactivated_members(client_for, bob, eng, three):
    gone = UserFactory(username="gone", is_active=False)
    Membership.objects.create(user=gone, team=eng, role=Membership.Role.MEMBER)
    assert '<option value="gone">' not in text(client_for(bob).get(LIST))


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("status", "status"),
        ("assign", "assignee"),
        ("unassign", "assignee"),
        ("priority", "priority"),
        ("add_label", "label"),
        ("remove_label", "label"),
    ],
)
def test_bulk_without_a_value_changes_nothing(client_for, bob, eng, three, action, field):
    before = snapshot(eng)
    response = _bulk(client_for(bob), three, action)
    assert f"{field}: Choose a value." in text(response)
    assert snapshot(eng) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "status"}, "issues: Select at least one issue."),
        ({"issues": ["nonsense"], "action": "status"}, "issues: Select at least one issue."),
        (
            {"issues": ["ENG-x1"], "action": "status"},
            "issues: &#x27;ENG-x1&#x27; is not an issue key.",
        ),
        ({"issues": ["ENG-1"], "action": "explode"}, "action: Select a valid choice."),
        (
            {"issues": ["ENG-1"], "action": "assign", "assignee": "vera"},
            "assignee: Select a valid choice.",
        ),
        (
            {"issues": ["ENG-1"], "action": "assign", "assignee": "mallory"},
            "assignee: Select a valid choice.",
        ),
    ],
)
def test_bulk_rejects_malformed_input(client_for, bob, eng, mallory, vera, three, data, message):
    before = snapshot(eng)
    response = client_for(bob).post(BULK, {"status": "", **data}, follow=True)
    assert message in text(response)
    assert snapshot(eng) == before


# --- 7. issue page properties -----------------------------------------------------


def _props(issue, field, value, *, version=None):
    return {"version": version or issue.version, "fields": field, field: value}


def test_status_change_by_htmx_returns_the_properties_fragment(client_for, bob, issue, status):
    response = client_for(bob).post(
        f"/issues/{issue.key}/properties/",
        _props(issue, "status", status("In progress").pk),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "issue-changed"
    body = text(response)
    assert body.lstrip().startswith('<div id="properties"') and "<html" not in body
    assert re.search(r'<option value="\d+" selected>In progress</option>', body)
    assert reloaded(issue).status.name == "In progress"
    assert reloaded(issue).version == issue.version + 1
    assert events(issue, Kind.STATUS_CHANGED) == 1


def test_stale_version_is_a_409_and_changes_nothing(client_for, alice, bob, issue, status):
    services.update_issue(issue, actor=alice, priority=Priority.HIGH)
    before = (reloaded(issue).version, events(issue))
    response = client_for(bob).post(
        f"/issues/{issue.key}/properties/",
        _props(issue, "status", status("In progress").pk, version=1),
        headers=HTMX,
    )
    assert response.status_code == 409
    assert f"{issue.key} was changed by Alice while you were looking" in text(response)
    assert reloaded(issue).status.name == "New"
    assert (reloaded(issue).version, events(issue)) == before


def test_plain_property_post_redirects_to_the_issue(client_for, bob, issue):
    response = client_for(bob).post(
        f"/issues/{issue.key}/properties/", _props(issue, "priority", Priority.URGENT)
    )
    assert response.status_code == 302 and response.url == f"/issues/{issue.key}/"
    assert reloaded(issue).priority == Priority.URGENT


def test_a_property_form_posts_without_javascript(bob, issue, status):
    # Without JavaScript nothing adds the X-CSRFToken header htmx sends: each property
    # form carries the token itself, so its Save button works.
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(bob)
    page = text(browser.get(f"/issues/{issue.key}/"))
    form = re.search(r'<form[^>]*data-property="status">(.*?)</form>', page, re.S).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert set(fields) == {"csrfmiddlewaretoken", "version", "fields"}
    response = browser.post(
        f"/issues/{issue.key}/properties/", {**fields, "status": status("Triaged").pk}
    )
    assert response.status_code == 302
    assert reloaded(issue).status.name == "Triaged"


def test_assignees_take_several_values(client_for, bob, alice, sam, issue):
    response = client_for(bob).post(
        f"/issues/{issue.key}/properties/",
        _props(issue, "assignees", [alice.pk, sam.pk]),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert set(reloaded(issue).assignees.values_list("username", flat=True)) == {"alice", "sam"}
    assert events(issue, Kind.ASSIGNED) == 2


def test_labels_take_several_values_and_replace_the_old_ones(client_for, bob, issue, eng):
    ui, api, old = (LabelFactory(team=eng, name=n) for n in ("ui", "api", "old"))
    services.set_labels(issue, labels=[old], actor=bob)
    current = reloaded(issue)
    client_for(bob).post(
        f"/issues/{issue.key}/properties/", _props(current, "labels", [ui.pk, api.pk]), headers=HTMX
    )
    assert set(reloaded(issue).labels.values_list("name", flat=True)) == {"ui", "api"}
    assert (events(issue, Kind.LABELED), events(issue, Kind.UNLABELED)) == (3, 1)


def test_customer_is_added_by_email_on_the_issue_page(client_for, sam, issue):
    customer = CustomerFactory(name="Pat Doe", email="pat@client.example")
    response = client_for(sam).post(
        f"/issues/{issue.key}/customers/", {"email": " PAT@client.example "}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Pat Doe is now affected by" in text(response)
    assert list(reloaded(issue).customers.all()) == [customer]
    assert reloaded(issue).customer_count == 1
    assert events(issue, Kind.CUSTOMER_LINKED) == 1


def test_unknown_customer_email_is_a_400_naming_the_problem(client_for, sam, issue):
    response = client_for(sam).post(
        f"/issues/{issue.key}/customers/", {"email": "nobody@nowhere.example"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "No customer has that email address." in text(response)
    assert reloaded(issue).version == issue.version


@pytest.mark.parametrize("fields", ["title", "status,secret", ""])
def test_unknown_property_is_a_400(client_for, bob, issue, fields):
    response = client_for(bob).post(
        f"/issues/{issue.key}/properties/",
        {"version": issue.version, "fields": fields, "title": "Hijacked"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "fields:" in text(response)
    assert reloaded(issue).title == issue.title


def test_support_cannot_set_assignees(client_for, sam, bob, issue):
    response = client_for(sam).post(
        f"/issues/{issue.key}/properties/", _props(issue, "assignees", [bob.pk]), headers=HTMX
    )
    assert response.status_code == 403
    assert not reloaded(issue).assignees.exists()


# --- 8. edit title and description ------------------------------------------------


def test_edit_page_shows_the_current_text(client_for, bob, issue):
    response = client_for(bob).get(f"/issues/{issue.key}/edit/")
    assert response.status_code == 200
    assert 'value="Login button does nothing"' in text(response)
    assert f'name="version" value="{issue.version}"' in text(response)


def test_edit_saves_with_the_current_version(client_for, bob, issue):
    response = client_for(bob).post(
        f"/issues/{issue.key}/edit/",
        {"version": issue.version, "title": "Login button is dead", "description": "Steps"},
    )
    assert response.status_code == 302 and response.url == f"/issues/{issue.key}/"
    assert reloaded(issue).title == "Login button is dead"
    assert events(issue, Kind.TITLE_CHANGED) == 1
    assert events(issue, Kind.DESCRIPTION_CHANGED) == 1


def test_edit_with_an_old_version_keeps_both_texts(client_for, alice, bob, issue):
    services.update_issue(issue, actor=alice, title="Alice's title")
    response = client_for(bob).post(
        f"/issues/{issue.key}/edit/",
        {"version": 1, "title": "Bob's title", "description": "Bob's notes"},
    )
    assert response.status_code == 409
    body = text(response)
    assert "was changed by Alice while you were looking" in body
    assert "<strong>Alice&#x27;s title</strong>" in body
    assert 'value="Bob&#x27;s title"' in body and "Bob&#x27;s notes</textarea>" in body
    assert f'name="version" value="{reloaded(issue).version}"' in body
    assert reloaded(issue).title == "Alice's title"
    assert events(issue, Kind.TITLE_CHANGED) == 1


@pytest.mark.parametrize("title", ["", "   "])
def test_edit_with_an_empty_title_is_a_400(client_for, bob, issue, title):
    response = client_for(bob).post(
        f"/issues/{issue.key}/edit/", {"version": issue.version, "title": title}
    )
    assert response.status_code == 400
    assert 'class="error" id="id_title-error">This field is required.' in text(response)
    assert reloaded(issue).title == issue.title


# --- 9. comments, watching, duplicates --------------------------------------------


def test_comment_is_internal_by_default(client_for, bob, issue):
    response = client_for(bob).post(
        f"/issues/{issue.key}/comments/", {"body": "Looking into it"}, follow=True
    )
    assert "Comment added." in text(response)
    comment = Comment.objects.get(issue=issue)
    assert (comment.body, comment.is_public, comment.author) == ("Looking into it", False, bob)
    assert 'class="comment internal"' in text(response)


def test_comment_can_be_public(client_for, sam, issue):
    client_for(sam).post(f"/issues/{issue.key}/comments/", {"body": "Hi!", "public": "on"})
    assert Comment.objects.get(issue=issue).is_public
    assert IssueEvent.objects.get(issue=issue, kind=Kind.COMMENTED).data["public"] is True


def test_comment_mentions_are_recorded(client_for, alice, bob, issue, mallory):
    client_for(alice).post(
        f"/issues/{issue.key}/comments/", {"body": "@bob please look; cc @mallory @nobody"}
    )
    event = IssueEvent.objects.get(issue=issue, kind=Kind.COMMENTED)
    assert event.data["mentions"] == [bob.pk]


@pytest.mark.parametrize("body", ["", "   \n "])
def test_empty_comment_is_refused(client_for, bob, issue, body):
    response = client_for(bob).post(f"/issues/{issue.key}/comments/", {"body": body}, follow=True)
    assert "The comment is empty." in text(response)
    assert not Comment.objects.exists()
    assert events(issue) == 1


def test_watch_and_unwatch(client_for, bob, issue):
    client = client_for(bob)
    response = client.post(f"/issues/{issue.key}/watch/", {"watch": "1"}, follow=True)
    assert f"You are watching {issue.key}." in text(response)
    assert issue.watchers.filter(pk=bob.pk).exists()
    assert ">Unwatch</button>" in text(response)
    response = client.post(f"/issues/{issue.key}/watch/", {"watch": "0"}, follow=True)
    assert f"You stopped watching {issue.key}." in text(response)
    assert not issue.watchers.filter(pk=bob.pk).exists()
    assert reloaded(issue).version == issue.version


def test_after_a_change_htmx_reloads_only_the_timeline(client_for, alice, bob, issue, status):
    services.add_comment(issue, body="Seen on **staging**", actor=bob)
    services.change_status(issue, to=status("In progress"), actor=alice)
    response = client_for(bob).get(f"/issues/{issue.key}/?part=timeline", headers=HTMX)
    body = text(response)
    assert body.lstrip().startswith('<div id="timeline"') and "<html" not in body
    assert "<p>Seen on <strong>staging</strong></p>" in body
    assert re.search(r"Alice</b> changed the status from <b>New</b> to <b>In progress</b>", body)
    assert "Status history" in body and 'id="comment-form"' not in body


def test_the_page_counts_watchers_and_knows_whether_the_viewer_is_one(
    client_for, alice, bob, sam, issue
):
    for user in (alice, bob):
        issue.watchers.add(user)
    for viewer, button in ((bob, ">Unwatch</button>"), (sam, ">Watch</button>")):
        page = text(client_for(viewer).get(f"/issues/{issue.key}/"))
        assert "<dt>Watchers</dt><dd>2</dd>" in page
        assert button in page


def test_marking_a_duplicate_closes_it(client_for, bob, issue, file_issue):
    copy = file_issue("Login button broken")
    response = client_for(bob).post(
        f"/issues/{copy.key}/duplicate/", {"of": issue.key.lower()}, follow=True
    )
    assert f"{copy.key} is now a duplicate of {issue.key} and closed." in text(response)
    page = text(client_for(bob).get(f"/issues/{copy.key}/"))
    assert f'<dt>Duplicate of</dt><dd><a href="/issues/{issue.key}/">{issue.key}</a>' in page
    copy = reloaded(copy)
    assert copy.duplicate_of == issue
    assert copy.status.name == "Won't fix" and copy.is_resolved
    assert events(copy, Kind.MARKED_DUPLICATE) == 1


@pytest.mark.parametrize("target", ["ENG-99", "OPS-1", "nonsense"])
def test_duplicate_of_an_unknown_issue_changes_nothing(
    client_for, bob, eng, ops, mallory, issue, file_issue, target
):
    services.create_issue(ops, actor=mallory, title="Ops thing")
    file_issue("Copy")
    before = snapshot(eng)
    response = client_for(bob).post("/issues/ENG-2/duplicate/", {"of": target}, follow=True)
    assert f"No issue {target} that you can see." in text(response)
    assert snapshot(eng) == before


def test_duplicate_in_another_team_changes_nothing(
    client_for, eng, ops, mallory, issue, file_issue
):
    both = UserFactory(username="otto")
    Membership.objects.create(user=both, team=eng, role=Membership.Role.MEMBER)
    Membership.objects.create(user=both, team=ops, role=Membership.Role.MEMBER)
    services.create_issue(ops, actor=mallory, title="Ops thing")
    before = snapshot(eng)
    response = client_for(both).post(
        f"/issues/{issue.key}/duplicate/", {"of": "OPS-1"}, follow=True
    )
    assert "Duplicates must be in the same team." in text(response)
    assert snapshot(eng) == before


def test_duplicate_of_itself_is_refused(client_for, bob, eng, issue):
    before = snapshot(eng)
    response = client_for(bob).post(
        f"/issues/{issue.key}/duplicate/", {"of": issue.key}, follow=True
    )
    assert "An issue cannot be a duplicate of itself." in text(response)
    assert snapshot(eng) == before


# --- 10. new issue ----------------------------------------------------------------


def new_issue_form(**fields) -> dict:
    """What the new-issue form posts with its defaults left alone."""
    return {"team": "ENG", "kind": "bug", "priority": 5, "channel": "web", **fields}


def test_new_issue_is_created_and_opened(client_for, bob, issue):
    client = client_for(bob)
    response = client.post("/issues/new/", new_issue_form(title="Export hangs", priority=2))
    created = Issue.objects.get(team__key="ENG", number=2)
    assert response.status_code == 302 and response.url == "/issues/ENG-2/"
    assert (created.title, created.priority, created.reporter) == ("Export hangs", 2, bob)
    assert "Created ENG-2." in text(client.get(response.url))


def test_member_sets_assignees_and_labels_when_creating(client_for, bob, alice, bug_label):
    form = new_issue_form(title="Crash", assignees=[alice.pk], labels=[bug_label.pk])
    client_for(bob).post("/issues/new/", form)
    created = Issue.objects.get()
    assert list(created.assignees.all()) == [alice]
    assert list(created.labels.all()) == [bug_label]
    assert events(created, Kind.ASSIGNED) == 1


def test_support_assignees_and_labels_are_ignored(client_for, sam, alice, bug_label):
    form = new_issue_form(
        title="Customer cannot log in",
        channel="phone",
        assignees=[alice.pk],
        labels=[bug_label.pk],
    )
    response = client_for(sam).post("/issues/new/", form)
    created = Issue.objects.get()
    assert response.status_code == 302
    assert not created.assignees.exists() and not created.labels.exists()
    assert (created.channel, created.reporter) == ("phone", sam)


def test_support_form_hides_assignees_and_labels(client_for, sam, bob):
    body = text(client_for(sam).get("/issues/new/?team=ENG"))
    assert 'name="title"' in body
    assert 'name="assignees"' not in body and 'name="labels"' not in body
    assert 'name="assignees"' in text(client_for(bob).get("/issues/new/?team=ENG"))


def test_new_issue_links_a_customer_by_email(client_for, sam):
    customer = CustomerFactory(email="pat@client.example")
    form = new_issue_form(title="Billing", kind="question", customer="pat@client.example")
    client_for(sam).post("/issues/new/", form)
    assert list(Issue.objects.get().customers.all()) == [customer]


@pytest.mark.parametrize("title", ["", "   "])
def test_new_issue_without_a_title_is_a_400(client_for, bob, title):
    response = client_for(bob).post("/issues/new/", new_issue_form(title=title))
    assert response.status_code == 400
    assert 'id="id_title-error">This field is required.' in text(response)
    assert not Issue.objects.exists()


def test_new_issue_form_keeps_the_typed_title(client_for, bob):
    body = text(client_for(bob).get("/issues/new/?team=eng&title=Export+is+slow"))
    assert 'value="Export is slow"' in body


@pytest.fixture
def login_issues(file_issue, alice, status):
    safari = file_issue("Login fails on Safari")
    button = file_issue("Login button missing")
    csv = file_issue("Export to CSV is slow")
    closed = file_issue("Safari login crash")
    services.change_status(closed, to=status("Closed"), actor=alice)
    return {"safari": safari, "button": button, "csv": csv, "closed": closed}


def test_similar_lists_the_best_match_first(client_for, sam, login_issues):
    response = client_for(sam).get("/issues/similar/?team=ENG&title=login safari")
    found = re.findall(r'<span class="key">(ENG-\d+)</span>', text(response))
    assert found[0] == login_issues["safari"].key
    assert login_issues["button"].key in found
    assert login_issues["csv"].key not in found
    assert login_issues["closed"].key not in found
    assert "<html" not in text(response)


def test_similar_with_a_short_title_suggests_nothing(client_for, sam, login_issues):
    body = text(client_for(sam).get("/issues/similar/?team=ENG&title=on"))
    assert "Type a title to see open issues like it." in body


# --- 11. saved views --------------------------------------------------------------


def test_saved_view_stores_the_query_without_the_page(client_for, bob, eng):
    response = client_for(bob).post(
        "/teams/ENG/views/", {"name": "Ops urgent", "query": "priority=urgent&kind=bug&page=3"}
    )
    view = SavedView.objects.get()
    assert (view.owner, view.team, view.query) == (bob, eng, "priority=urgent&kind=bug")
    assert response.url == f"{LIST}?priority=urgent&kind=bug"


def test_saved_view_appears_for_its_owner_only(client_for, bob, alice):
    client_for(bob).post("/teams/ENG/views/", {"name": "Ops urgent", "query": "priority=urgent"})
    assert f'href="{LIST}?priority=urgent">Ops urgent</a>' in text(client_for(bob).get(LIST))
    assert "Ops urgent" not in text(client_for(alice).get(LIST))


def test_saving_a_view_under_the_same_name_replaces_it(client_for, bob):
    client = client_for(bob)
    client.post("/teams/ENG/views/", {"name": "Mine", "query": "priority=urgent"})
    client.post("/teams/ENG/views/", {"name": "MINE", "query": "priority=high"})
    assert list(SavedView.objects.values_list("name", "query")) == [("MINE", "priority=high")]


def test_saved_view_needs_a_name(client_for, bob):
    response = client_for(bob).post("/teams/ENG/views/", {"name": "", "query": "x=1"}, follow=True)
    assert "A saved view needs a name" in text(response)
    assert not SavedView.objects.exists()


def test_owner_deletes_a_saved_view(client_for, bob, eng):
    view = SavedView.objects.create(team=eng, owner=bob, name="Mine", query="priority=urgent")
    response = client_for(bob).post(f"/teams/ENG/views/{view.pk}/delete/", follow=True)
    assert "Deleted the view “Mine”." in text(response)
    assert not SavedView.objects.exists()


def test_deleting_another_users_view_is_a_404(client_for, bob, alice, eng):
    view = SavedView.objects.create(team=eng, owner=alice, name="Alice's", query="")
    assert client_for(bob).post(f"/teams/ENG/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


# --- 12. markdown preview ---------------------------------------------------------


def test_preview_renders_sanitized_markdown(client_for, bob):
    response = client_for(bob).post(
        "/markdown/preview/",
        {"body": "<script>alert(1)</script> **b** [x](javascript:alert(1)) <img src=x onerror=y>"},
    )
    body = text(response)
    assert response.status_code == 200
    assert "<strong>b</strong>" in body
    assert "<script" not in body and "<img" not in body and 'href="javascript' not in body


def test_preview_of_nothing_says_so(client_for, bob):
    assert "Nothing to preview." in text(client_for(bob).post("/markdown/preview/", {"body": ""}))


def test_preview_needs_sign_in(client):
    response = client.post("/markdown/preview/", {"body": "**b**"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
