"""Rules the database itself enforces, whatever code path writes."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Membership, Team
from issues.models import Customer, Issue, Label, Status
from tests.factories import IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


def raises_integrity(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_issue_number_is_unique_per_team(eng, issue):
    raises_integrity(lambda: IssueFactory(team=eng, number=issue.number, status=issue.status))


def test_user_email_is_unique_ignoring_case(db):
    UserFactory(email="Ana@Example.com")
    raises_integrity(lambda: UserFactory(email="ana@example.com"))


def test_one_membership_per_user_and_team(eng, bob):
    raises_integrity(lambda: Membership.objects.create(user=bob, team=eng, role="viewer"))


def test_membership_role_must_be_known(eng):
    raises_integrity(lambda: Membership.objects.create(user=UserFactory(), team=eng, role="god"))


def test_team_key_format_is_checked_by_the_database(db):
    raises_integrity(lambda: Team.objects.create(key="eng", name="lower"))


def test_status_names_are_unique_per_team_ignoring_case(eng):
    raises_integrity(lambda: Status.objects.create(team=eng, name="new", category="triage"))


def test_stale_after_must_be_positive(eng):
    raises_integrity(
        lambda: Status.objects.create(
            team=eng, name="Odd", category="todo", stale_after=dt.timedelta(0)
        )
    )


def test_label_colour_must_be_hex(eng):
    raises_integrity(lambda: Label.objects.create(team=eng, name="x", color="red"))


def test_customer_email_unique_when_given(db):
    Customer.objects.create(name="A", email="a@x.example")
    Customer.objects.create(name="B")
    Customer.objects.create(name="C")  # blank emails do not collide
    raises_integrity(lambda: Customer.objects.create(name="A2", email="A@x.example"))


def test_priority_range_is_checked(issue):
    raises_integrity(lambda: Issue.objects.filter(pk=issue.pk).update(priority=0))


def test_an_issue_is_not_its_own_duplicate(issue):
    raises_integrity(lambda: Issue.objects.filter(pk=issue.pk).update(duplicate_of=issue.pk))


def test_statuses_in_use_cannot_be_deleted(issue):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        issue.status.delete()
