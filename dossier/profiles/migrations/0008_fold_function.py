"""`dossier_fold(text)` on PostgreSQL, for the list's case- and accent-insensitive filters
(dossier.core.folding; SQLite gets the same function from Python on each connection)."""

from django.db import migrations

from dossier.core.folding import postgresql_function_sql


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql_function_sql())


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS dossier_fold(text)")


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0007_client_id'),
    ]

    operations = [
        migrations.RunPython(create_function, drop_function),
    ]
