"""Foreign keys that a composite index already leads with lose their own index, and
those empty on most rows keep one over the rows where they are set (see the models).

Only the indexes change: the fields are altered in the migration state alone, so the
foreign-key constraints are not dropped and validated again over every row (which
would lock writes on a large table), and SQLite does not rebuild its tables."""

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
                    'DROP INDEX IF EXISTS "notifications_notification_event_id_28551f97"',
                    'CREATE INDEX "notifications_notification_event_id_28551f97" ON "notifications_notification" ("event_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "notifications_notification_recipient_id_d055f3f0"',
                    'CREATE INDEX "notifications_notification_recipient_id_d055f3f0" ON "notifications_notification" ("recipient_id")',
                ),
            ],
        ),
    ]
