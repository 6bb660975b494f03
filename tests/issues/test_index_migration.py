"""Migration 0024 (and notifications 0006) drop the foreign-key indexes a composite
index already covers and make those of mostly empty links partial, touching only the
indexes: the fields change in the migration state alone."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

DROPPED = {
    "issues_assignment": {
        "issues_assignment_issue_id_9b4921b2",
        "issues_assignment_user_id_25ef058d",
    },
    "issues_issue": {
        "issues_issue_duplicate_of_id_739d637c",
        "issues_issue_reporter_id_0b69a16d",
        "issues_issue_resume_status_id_53f69f05",
        "issues_issue_status_id_64473cf1",
        "issues_issue_team_id_d711d03f",
        "issues_issue_waiting_set_by_id_27276e6e",
    },
    "issues_issueevent": {
        "issues_issueevent_comment_id_f9b95e94",
        "issues_issueevent_from_status_id_4e000edd",
        "issues_issueevent_issue_id_898f8eb2",
        "issues_issueevent_subject_user_id_e8f76b1b",
        "issues_issueevent_to_status_id_5a8e3f17",
    },
    "notifications_notification": {
        "notifications_notification_event_id_28551f97",
        "notifications_notification_recipient_id_d055f3f0",
    },
}
PARTIAL = {
    "issues_issue": {
        "issues_duplicate_of_idx",
        "issues_waiting_set_by_idx",
        "issues_resume_status_idx",
    },
    "issues_issueevent": {
        "issues_event_from_status_idx",
        "issues_event_to_status_idx",
        "issues_event_subject_user_idx",
        "issues_event_comment_idx",
    },
}
BEFORE = [("issues", "0023_period_status_index"), ("notifications", "0005_unsent_email_index")]


def indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name for name, info in found.items() if info["index"]}


def migrate(targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def test_the_covered_indexes_are_gone_and_the_partial_ones_there():
    for table, names in DROPPED.items():
        assert not names & indexes(table), table
    for table, names in PARTIAL.items():
        assert names <= indexes(table), table


def test_the_migration_reverses():
    """Back to 0023 the old indexes return; forward again they go."""
    migrate(BEFORE)
    for table, names in DROPPED.items():
        assert names <= indexes(table), table
    assert not PARTIAL["issues_issue"] & indexes("issues_issue")
    migrate()
    test_the_covered_indexes_are_gone_and_the_partial_ones_there()


def test_every_model_change_has_its_migration():
    """The migration state (where 0024's fields changed) is what the models say."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
