"""Full-text search index, on PostgreSQL only (SQLite has no GIN and uses a fallback)."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS issues_issue_search_gin "
        "ON issues_issue USING gin (search_vector)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS issues_issue_search_gin")


class Migration(migrations.Migration):
    dependencies = [("issues", "0002_search_vector_saved_views")]

    operations = [migrations.RunPython(create_index, drop_index)]
