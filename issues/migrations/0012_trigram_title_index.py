"""Trigram similarity for duplicate suggestions, on PostgreSQL only: the pg_trgm
extension and a GIN trigram index on titles (SQLite uses a fallback and needs neither)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS issues_issue_title_trgm "
        "ON issues_issue USING gin (title gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS issues_issue_title_trgm")


class Migration(migrations.Migration):
    dependencies = [("issues", "0011_customer_organization_fk")]

    operations = [TrigramExtension(), migrations.RunPython(create_index, drop_index)]
