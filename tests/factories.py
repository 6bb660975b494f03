"""One factory per model, each building the minimum valid row with no side effects.

For "the state after an operation" (an issue with a timeline), call the services.
"""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Membership, Team
from issues.models import Comment, Customer, Issue, IssueEvent, Label, Organization, Status
from notifications.models import Notification


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    password = factory.django.Password("pw-for-tests-only")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    key = factory.Sequence(lambda n: f"T{n}")
    name = factory.LazyAttribute(lambda t: f"Team {t.key}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class StatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Status

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Status {n}")
    category = Status.Category.TODO
    position = factory.Sequence(lambda n: n)


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"label-{n}")
    color = "#d73a4a"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@client.example")
    organization = "Acme Corp"

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # organization="Acme" names one (found or created), as support types it.
        if isinstance(kwargs.get("organization"), str):
            name = kwargs["organization"]
            kwargs["organization"] = (
                (
                    Organization.objects.filter(name__iexact=name).first()
                    or Organization.objects.create(name=name)
                )
                if name
                else None
            )
        return kwargs


class IssueFactory(factory.django.DjangoModelFactory):
    """A bare row without events: only for tests about reads. Use services for history."""

    class Meta:
        model = Issue

    team = factory.SubFactory(TeamFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Issue {n}")
    status = factory.LazyAttribute(lambda i: StatusFactory(team=i.team))


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    issue = factory.SubFactory(IssueFactory)
    body = "A comment"


class IssueEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueEvent

    issue = factory.SubFactory(IssueFactory)
    kind = IssueEvent.Kind.CREATED


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    event = factory.SubFactory(IssueEventFactory)
    issue = factory.SelfAttribute("event.issue")
    recipient = factory.SubFactory(UserFactory)
    kind = Notification.Kind.ASSIGNED
