"""Foreign keys that a composite index already leads with lose their own index, and
those empty on most rows keep one over the rows where they are set (see the models).

Only the indexes change: the fields are altered in the migration state alone, so the
foreign-key constraints are not dropped and validated again over every row (which
would lock writes on a large table), and SQLite does not rebuild its tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column, index): single-column foreign-key indexes that go.
DROPPED = [
    ("issues_assignment", "issue_id", "issues_assignment_issue_id_9b4921b2"),
    ("issues_assignment", "user_id", "issues_assignment_user_id_25ef058d"),
    ("issues_issue", "duplicate_of_id", "issues_issue_duplicate_of_id_739d637c"),
    ("issues_issue", "reporter_id", "issues_issue_reporter_id_0b69a16d"),
    ("issues_issue", "resume_status_id", "issues_issue_resume_status_id_53f69f05"),
    ("issues_issue", "status_id", "issues_issue_status_id_64473cf1"),
    ("issues_issue", "team_id", "issues_issue_team_id_d711d03f"),
    ("issues_issue", "waiting_set_by_id", "issues_issue_waiting_set_by_id_27276e6e"),
    ("issues_issueevent", "comment_id", "issues_issueevent_comment_id_f9b95e94"),
    ("issues_issueevent", "from_status_id", "issues_issueevent_from_status_id_4e000edd"),
    ("issues_issueevent", "issue_id", "issues_issueevent_issue_id_898f8eb2"),
    ("issues_issueevent", "subject_user_id", "issues_issueevent_subject_user_id_e8f76b1b"),
    ("issues_issueevent", "to_status_id", "issues_issueevent_to_status_id_5a8e3f17"),
]
# (model, field, index): links empty on most rows, indexed where set.
WHERE_SET = [
    ("issue", "duplicate_of", "issues_duplicate_of_idx"),
    ("issue", "waiting_set_by", "issues_waiting_set_by_idx"),
    ("issue", "resume_status", "issues_resume_status_idx"),
    ("issueevent", "from_status", "issues_event_from_status_idx"),
    ("issueevent", "to_status", "issues_event_to_status_idx"),
    ("issueevent", "subject_user", "issues_event_subject_user_idx"),
    ("issueevent", "comment", "issues_event_comment_idx"),
]


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
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in DROPPED
            ],
        ),
        *(
            migrations.AddIndex(
                model_name=model,
                index=models.Index(
                    condition=models.Q((f"{field}__isnull", False)), fields=[field], name=name
                ),
            )
            for model, field, name in WHERE_SET
        ),
    ]
