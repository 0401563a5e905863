"""Events get the id of the transaction that wrote them: the outbox's stream order.

The column is added with a constant default first, so existing rows take 0 (all of them are older
than any transaction to come) without PostgreSQL rewriting the table for a volatile default; only
then does the default become the writing transaction's id.
"""

import dossier.activity.models
from django.db import migrations, models


def add_tx_column(apps, schema_editor):
    table = schema_editor.quote_name("activity_event")
    schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN tx bigint NOT NULL DEFAULT 0")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint)")


def drop_tx_column(apps, schema_editor):
    schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name('activity_event')} DROP COLUMN tx")


class Migration(migrations.Migration):

    dependencies = [
        ('activity', '0002_event_redundant_indexes_dropped'),
        ('jobs', '0002_job_items_and_task'),
        ('profiles', '0006_consent'),
    ]

    operations = [
        migrations.CreateModel(
            name='ConsumerCursor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True)),
                ('tx', models.BigIntegerField(default=0)),
                ('event_id', models.BigIntegerField(default=0)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_tx_column, drop_tx_column)],
            state_operations=[migrations.AddField(
                model_name='event',
                name='tx',
                field=models.BigIntegerField(db_default=dossier.activity.models.TransactionId(), editable=False),
            )],
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['tx', 'id'], name='activity_event_stream'),
        ),
    ]
