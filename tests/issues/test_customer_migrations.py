"""The data migrations: one customer per issue becomes a link row; organization names
become Organization rows (one per name, whatever its case)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("issues", "0004_stale_sweep_memory")]


def migrate(targets=None):
    """Migrate to `targets` (default: the latest of every app) and return those apps."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_customers_and_organizations_are_carried_over():
    old = migrate(BEFORE)
    Team = old.get_model("accounts", "Team")
    Status = old.get_model("issues", "Status")
    Customer = old.get_model("issues", "Customer")
    Issue = old.get_model("issues", "Issue")
    now = timezone.now()
    team = Team.objects.create(key="ENG", name="Engineering", next_number=3)
    status = Status.objects.create(team=team, name="New", category="triage", position=0)
    dana = Customer.objects.create(name="Dana", organization="Acme Corp", created_at=now)
    lee = Customer.objects.create(name="Lee", organization=" ACME  corp ", created_at=now)
    Customer.objects.create(name="Kim", organization="", created_at=now)
    linked = Issue.objects.create(team=team, number=1, title="A", status=status, customer=dana)
    Issue.objects.create(team=team, number=2, title="B", status=status)

    new = migrate()
    Issue = new.get_model("issues", "Issue")
    IssueCustomer = new.get_model("issues", "IssueCustomer")
    Customer = new.get_model("issues", "Customer")
    Organization = new.get_model("issues", "Organization")
    assert list(IssueCustomer.objects.values_list("issue_id", "customer_id")) == [
        (linked.pk, dana.pk)
    ]
    assert dict(Issue.objects.values_list("number", "customer_count")) == {1: 1, 2: 0}
    assert list(Organization.objects.values_list("name", flat=True)) == ["Acme Corp"]
    orgs = dict(Customer.objects.values_list("name", "organization__name"))
    assert orgs == {"Dana": "Acme Corp", "Lee": "Acme Corp", "Kim": None}
    assert lee.pk in Customer.objects.filter(organization__isnull=False).values_list(
        "pk", flat=True
    )
