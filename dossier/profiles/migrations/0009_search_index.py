"""The substring search index (dossier.profiles.search): pg_trgm GIN on PostgreSQL, an FTS5
trigram table kept by triggers on SQLite."""

from django.db import migrations

from dossier.profiles.search import drop_search_index, ensure_search_index


def create_index(apps, schema_editor):
    ensure_search_index(schema_editor.connection)


def drop_index(apps, schema_editor):
    drop_search_index(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0008_fold_function'),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
