"""Status periods for the issues that existed before them, from their timelines.

A frozen copy of services.REBUILD_PERIODS_SQL (migrations must not change when the
services do): one period per created/status_changed event, in event-id order.
"""

from django.db import migrations

BACKFILL = """
INSERT INTO issues_statusperiod
    (issue_id, team_id, status_id, entered_at, left_at, entered_by_id, entered_event_id)
SELECT issue_id, team_id, to_status_id, entered_at,
       LEAD(entered_at) OVER (PARTITION BY issue_id ORDER BY id), actor_id, id
FROM (
    SELECT e.id, e.issue_id, i.team_id, e.to_status_id, e.actor_id,
           MAX(e.created_at) OVER (
               PARTITION BY e.issue_id ORDER BY e.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS entered_at
    FROM issues_issueevent e
    JOIN issues_issue i ON i.id = e.issue_id
    WHERE e.kind IN ('created', 'status_changed') AND e.to_status_id IS NOT NULL
) AS moves
"""


class Migration(migrations.Migration):
    dependencies = [("issues", "0013_status_periods")]

    operations = [
        migrations.RunSQL(BACKFILL, reverse_sql="DELETE FROM issues_statusperiod"),
    ]
