"""The notifications' part of issues 0024: the event and recipient indexes go (the
unique (event, recipient) and notif_recipient_idx lead with them); as there, only the
indexes change, not the foreign keys."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0024_fewer_fk_indexes"),
        ("notifications", "0005_unsent_email_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="event",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="issues.issueevent",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "notifications_notification" ("{column}")',
                )
                for column, name in [
                    ("event_id", "notifications_notification_event_id_28551f97"),
                    ("recipient_id", "notifications_notification_recipient_id_d055f3f0"),
                ]
            ],
        ),
    ]
