"""issuetracker.prepared: a query compiled once, run with new ids, must give what the
ordinary query gives (rows, related objects, annotations, order), send the same SQL,
and refuse a query it cannot run that way instead of running the wrong one."""

import threading

import pytest
from django.db import connection
from django.db.models import Count, F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from accounts.models import Team
from issues import services
from issues.models import Issue, IssueEvent
from issuetracker.prepared import Prepared

from .factories import TeamFactory

pytestmark = pytest.mark.django_db


def _events(issue_id):
    return (
        IssueEvent.objects.filter(issue_id=issue_id)
        .select_related("actor", "comment")
        .annotate(actor_name=Concat(F("actor__username"), Value("!")))
        .order_by("created_at", "id")
    )


@pytest.fixture
def issues(alice, bob):
    team = alice.memberships.get().team
    first = services.create_issue(team, actor=alice, title="First", assignees=[bob])
    services.add_comment(first, actor=bob, body="On the first")
    second = services.create_issue(team, actor=bob, title="Second")
    return first, second


def _seen(events):
    return [(e.pk, e.kind, e.actor.username, e.actor_name, e.comment_id) for e in events]


def test_each_run_returns_what_the_ordinary_query_returns(issues):
    prepared = Prepared(_events)
    first, second = issues

    for issue in (first, second, first):  # compiled on the first run, reused after
        rows = prepared(issue.pk)
        assert _seen(rows) == _seen(_events(issue.pk))
        assert {row.issue_id for row in rows} == {issue.pk}
    comments = [row.comment for row in prepared(first.pk) if row.comment_id]
    assert [c.body for c in comments] == ["On the first"]
    assert prepared(second.pk + 1000) == []


def test_it_sends_the_same_sql_with_the_new_values(issues):
    prepared = Prepared(_events)
    first, second = issues
    prepared(first.pk)

    with CaptureQueriesContext(connection) as ordinary:
        list(_events(second.pk))
    with CaptureQueriesContext(connection) as kept:
        prepared(second.pk)

    assert [q["sql"] for q in kept] == [q["sql"] for q in ordinary]


def test_several_values_each_go_to_their_own_place(alice, bob):
    eng, ops = alice.memberships.get().team, TeamFactory(key="OPS")
    services.create_issue(eng, actor=alice, title="In ENG")
    by_number = Prepared(
        lambda team_id, number: Issue.objects.filter(team_id=team_id, number=number)[:1]
    )

    assert [i.title for i in by_number(eng.pk, 1)] == ["In ENG"]
    assert by_number(ops.pk, 1) == []
    assert by_number(eng.pk, 2) == []


def test_strings_are_values_too(alice):
    eng = alice.memberships.get().team
    TeamFactory(key="OPS")
    by_key = Prepared(lambda key: Team.objects.filter(key=key)[:1])

    assert [t.pk for t in by_key(eng.key)] == [eng.pk]
    assert [t.key for t in by_key("OPS")] == ["OPS"]
    assert by_key("ops") == []  # exact, as the ordinary query
    assert by_key("x' OR '1'='1") == []  # a parameter, never SQL


def test_a_value_that_is_not_an_id_runs_the_ordinary_query(issues):
    prepared = Prepared(lambda user_id: Issue.objects.filter(reporter_id=user_id))
    first, _ = issues

    assert {i.title for i in prepared(first.reporter_id)} == {"First"}
    assert prepared(None) == []  # `IS NULL`, not `= NULL`: the SQL differs
    Issue.objects.filter(pk=first.pk).update(reporter=None)
    assert [i.title for i in prepared(None)] == ["First"]


def test_annotations_and_aggregates_come_back_converted(alice):
    team = alice.memberships.get().team
    services.create_issue(team, actor=alice, title="One")
    services.create_issue(team, actor=alice, title="Two")
    counted = Prepared(
        lambda team_id: Team.objects.filter(pk=team_id).annotate(open=Count("issues"))
    )

    (found,) = counted(team.pk)
    assert (found.key, found.open) == (team.key, 2)
    assert found.created_at == Team.objects.get(pk=team.pk).created_at  # an aware datetime


def test_a_value_changed_before_use_is_refused():
    doubled = Prepared(lambda team_id: Team.objects.filter(pk=team_id * 2))
    unused = Prepared(lambda team_id: Team.objects.all())
    inlined = Prepared(lambda team_id: Team.objects.all()[:team_id])

    for prepared in (doubled, unused, inlined):
        with pytest.raises(TypeError):
            prepared(1)


def test_threads_running_it_at_once_each_get_their_own_rows(issues, transactional_db):
    prepared = Prepared(_events)
    first, second = issues
    expected = {first.pk: _seen(_events(first.pk)), second.pk: _seen(_events(second.pk))}
    results, errors = [], []

    def run(issue_id):
        try:
            for _ in range(20):
                results.append((issue_id, _seen(prepared(issue_id))))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in (first.pk, second.pk) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == 80
    assert all(rows == expected[issue_id] for issue_id, rows in results)


def test_the_people_and_issue_lookups_of_every_page_are_prepared(
    client, alice, issues, monkeypatch
):
    """The signed-in user, their teams and the issue by key run from kept SQL: a second
    request compiles nothing. (Measured in bench.profile: compiling them was about 40%
    of the issue page's CPU.)"""
    from accounts import backends, permissions
    from issues import selectors

    client.force_login(alice)
    client.get(issues[0].get_absolute_url())
    kept = [
        backends._user_with_unread,
        permissions._member_teams,
        selectors._issue_with_facts,
        selectors._timeline,
        selectors._status_periods,
    ]
    assert all(prepared._compiled for prepared in kept)

    compiled = []
    original = Prepared._compile

    def spy(self, kinds):
        compiled.append(self)
        return original(self, kinds)

    monkeypatch.setattr(Prepared, "_compile", spy)
    response = client.get(issues[1].get_absolute_url())
    assert response.status_code == 200
    assert b"Second" in response.content
    assert compiled == []


def test_the_user_lookup_still_refuses_an_inactive_user(client, alice):
    client.force_login(alice)
    assert client.get("/").status_code == 200
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)

    response = client.get("/")

    assert response.status_code == 302


def test_a_subquery_value_is_compiled_each_run_and_put_in_its_place(alice, bob):
    team = alice.memberships.get().team
    for title in ("alpha", "beta", "gamma"):
        services.create_issue(team, actor=alice, title=title)
    of_ids = Prepared(
        lambda reporter_id, ids: (
            Issue.objects.filter(reporter_id=reporter_id, pk__in=ids)
            .annotate(shout=Concat(F("title"), Value("%!")))
            .order_by("-title")
        )
    )
    picked = Issue.objects.filter(title__in=["alpha", "gamma", "%"]).values("pk")

    for _ in range(2):
        rows = of_ids(alice.pk, picked)
        assert [(i.title, i.shout) for i in rows] == [("gamma", "gamma%!"), ("alpha", "alpha%!")]
    assert of_ids(bob.pk, picked) == []
    assert [i.title for i in of_ids(alice.pk, Issue.objects.filter(title="beta"))] == ["beta"]
    assert of_ids(alice.pk, Issue.objects.filter(pk__in=[])) == []  # matches nothing
    sliced = Issue.objects.order_by("title").values("pk")[:2]
    assert [i.title for i in of_ids(alice.pk, sliced)] == ["beta", "alpha"]
