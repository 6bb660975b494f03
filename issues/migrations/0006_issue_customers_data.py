"""Copy each issue's single customer into the IssueCustomer rows and set customer_count."""

from django.db import migrations


def forwards(apps, schema_editor):
    Issue = apps.get_model("issues", "Issue")
    IssueCustomer = apps.get_model("issues", "IssueCustomer")
    linked = Issue.objects.filter(customer__isnull=False)
    rows = (
        IssueCustomer(
            issue_id=pk, customer_id=customer_id, added_by_id=reporter_id, added_at=created_at
        )
        for pk, customer_id, reporter_id, created_at in linked.values_list(
            "pk", "customer_id", "reporter_id", "created_at"
        ).iterator(chunk_size=5000)
    )
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 5000:
            IssueCustomer.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    IssueCustomer.objects.bulk_create(batch, ignore_conflicts=True)
    linked.update(customer_count=1)


def backwards(apps, schema_editor):
    # Keep one customer per issue (the first linked), as the old column could.
    Issue = apps.get_model("issues", "Issue")
    IssueCustomer = apps.get_model("issues", "IssueCustomer")
    first = {}
    for issue_id, customer_id in IssueCustomer.objects.order_by("added_at", "pk").values_list(
        "issue_id", "customer_id"
    ):
        first.setdefault(issue_id, customer_id)
    for issue_id, customer_id in first.items():
        Issue.objects.filter(pk=issue_id).update(customer_id=customer_id)


class Migration(migrations.Migration):
    dependencies = [("issues", "0005_issue_customers")]

    operations = [migrations.RunPython(forwards, backwards)]
