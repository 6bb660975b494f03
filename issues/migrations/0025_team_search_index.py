"""A team's search over its open issues from one index, on PostgreSQL only: a GIN index
on (team, search document) of open issues, with btree_gin for the team column.

Without it a team's search intersects the word's matches in every team (10,163 issues
for a word in 1% of 1,000,000) with a bitmap of the team's open issues (48,808), which
is most of its time; this index holds the word's entries per team (the few hundred a
page ranks). The plain search index stays for searches across teams, of closed issues
and of duplicates. Queries must give the team as a bigint (IssueQuerySet.of_teams)."""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS issues_open_team_search_gin "
        "ON issues_issue USING gin (team_id, search_vector) WHERE resolved_at IS NULL"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS issues_open_team_search_gin")


class Migration(migrations.Migration):
    dependencies = [("issues", "0024_fewer_fk_indexes")]

    operations = [BtreeGinExtension(), migrations.RunPython(create_index, drop_index)]
