import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    """The key each process keeps a team's pickers under (issues/pickers.py)."""

    # After the issues app's latest: rolling the issues app back (its migration tests do)
    # takes this column with it, so the older Team models they write with stay valid.
    dependencies = [
        ("accounts", "0004_email_intake"),
        ("issues", "0024_fewer_fk_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="pickers_version",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
    ]
