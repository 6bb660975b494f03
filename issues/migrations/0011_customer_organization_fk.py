from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("issues", "0010_organizations_data")]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="issues_customer_org_idx"),
        migrations.RemoveField(model_name="customer", name="organization"),
        migrations.RenameField(
            model_name="customer", old_name="organization_ref", new_name="organization"
        ),
        migrations.AlterField(
            model_name="customer",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="customers",
                to="issues.organization",
            ),
        ),
    ]
