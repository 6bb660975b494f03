"""One Organization per distinct organization name (case and spacing ignored; the first
spelling seen wins), and each customer pointed at theirs."""

from django.db import migrations


def forwards(apps, schema_editor):
    Customer = apps.get_model("issues", "Customer")
    Organization = apps.get_model("issues", "Organization")
    by_name = {}
    rows = Customer.objects.exclude(organization="").order_by("created_at", "pk")
    for pk, raw, created_at in rows.values_list("pk", "organization", "created_at"):
        name = " ".join(raw.split())
        if not name:
            continue
        org = by_name.get(name.lower())
        if org is None:
            org = by_name[name.lower()] = Organization.objects.create(
                name=name, created_at=created_at
            )
        Customer.objects.filter(pk=pk).update(organization_ref=org)


def backwards(apps, schema_editor):
    Customer = apps.get_model("issues", "Customer")
    for customer in Customer.objects.filter(organization_ref__isnull=False).select_related(
        "organization_ref"
    ):
        Customer.objects.filter(pk=customer.pk).update(organization=customer.organization_ref.name)


class Migration(migrations.Migration):
    dependencies = [("issues", "0009_organizations")]

    operations = [migrations.RunPython(forwards, backwards)]
