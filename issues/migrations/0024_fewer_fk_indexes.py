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
        ("accounts", "0004_email_intake"),
        ("issues", "0023_period_status_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="assignment",
                    name="issue",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="duplicate_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="duplicates",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="reporter",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reported_issues",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="resume_status",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="issues.status",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="status",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="issues",
                        to="issues.status",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="team",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="issues",
                        to="accounts.team",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="waiting_set_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="issueevent",
                    name="comment",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="events",
                        to="issues.comment",
                    ),
                ),
                migrations.AlterField(
                    model_name="issueevent",
                    name="from_status",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="issues.status",
                    ),
                ),
                migrations.AlterField(
                    model_name="issueevent",
                    name="issue",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="issueevent",
                    name="subject_user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The assignee of an assigned/unassigned event.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="issueevent",
                    name="to_status",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="issues.status",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_assignment_issue_id_9b4921b2"',
                    'CREATE INDEX "issues_assignment_issue_id_9b4921b2" ON "issues_assignment" ("issue_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_assignment_user_id_25ef058d"',
                    'CREATE INDEX "issues_assignment_user_id_25ef058d" ON "issues_assignment" ("user_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issue_duplicate_of_id_739d637c"',
                    'CREATE INDEX "issues_issue_duplicate_of_id_739d637c" ON "issues_issue" ("duplicate_of_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issue_reporter_id_0b69a16d"',
                    'CREATE INDEX "issues_issue_reporter_id_0b69a16d" ON "issues_issue" ("reporter_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issue_resume_status_id_53f69f05"',
                    'CREATE INDEX "issues_issue_resume_status_id_53f69f05" ON "issues_issue" ("resume_status_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issue_status_id_64473cf1"',
                    'CREATE INDEX "issues_issue_status_id_64473cf1" ON "issues_issue" ("status_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issue_team_id_d711d03f"',
                    'CREATE INDEX "issues_issue_team_id_d711d03f" ON "issues_issue" ("team_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issue_waiting_set_by_id_27276e6e"',
                    'CREATE INDEX "issues_issue_waiting_set_by_id_27276e6e" ON "issues_issue" ("waiting_set_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issueevent_comment_id_f9b95e94"',
                    'CREATE INDEX "issues_issueevent_comment_id_f9b95e94" ON "issues_issueevent" ("comment_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issueevent_from_status_id_4e000edd"',
                    'CREATE INDEX "issues_issueevent_from_status_id_4e000edd" ON "issues_issueevent" ("from_status_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issueevent_issue_id_898f8eb2"',
                    'CREATE INDEX "issues_issueevent_issue_id_898f8eb2" ON "issues_issueevent" ("issue_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issueevent_subject_user_id_e8f76b1b"',
                    'CREATE INDEX "issues_issueevent_subject_user_id_e8f76b1b" ON "issues_issueevent" ("subject_user_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "issues_issueevent_to_status_id_5a8e3f17"',
                    'CREATE INDEX "issues_issueevent_to_status_id_5a8e3f17" ON "issues_issueevent" ("to_status_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                condition=models.Q(("duplicate_of__isnull", False)),
                fields=["duplicate_of"],
                name="issues_duplicate_of_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                condition=models.Q(("waiting_set_by__isnull", False)),
                fields=["waiting_set_by"],
                name="issues_waiting_set_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                condition=models.Q(("resume_status__isnull", False)),
                fields=["resume_status"],
                name="issues_resume_status_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="issueevent",
            index=models.Index(
                condition=models.Q(("from_status__isnull", False)),
                fields=["from_status"],
                name="issues_event_from_status_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="issueevent",
            index=models.Index(
                condition=models.Q(("to_status__isnull", False)),
                fields=["to_status"],
                name="issues_event_to_status_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="issueevent",
            index=models.Index(
                condition=models.Q(("subject_user__isnull", False)),
                fields=["subject_user"],
                name="issues_event_subject_user_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="issueevent",
            index=models.Index(
                condition=models.Q(("comment__isnull", False)),
                fields=["comment"],
                name="issues_event_comment_idx",
            ),
        ),
    ]
