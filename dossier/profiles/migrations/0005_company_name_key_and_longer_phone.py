"""Companies get `name_key` (found by name, case-insensitively, by imports and the /v4 API);
phones get room for an extension (`+15177827343;ext=123`).

Altering the phone column makes Django add back the `varchar_pattern_ops` index that 0004
dropped on PostgreSQL; it is dropped again here, for the reason 0004 gives.
"""

from django.db import migrations, models


def fill_name_keys(apps, schema_editor):
    company = apps.get_model("profiles", "Company")
    for row in company.objects.only("id", "name").iterator():
        company.objects.filter(id=row.id).update(name_key=" ".join(row.name.casefold().split()))


def drop_phone_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'profiles_profile' AND indexname LIKE %s AND indexname LIKE %s",
            [r"%\_like", r"%\_phone\_%"],
        )
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0004_pattern_indexes_dropped_on_postgresql'),
    ]

    operations = [
        migrations.AddField(
            model_name='company',
            name='name_key',
            field=models.CharField(default='', max_length=255),
        ),
        migrations.AlterField(
            model_name='profile',
            name='phone',
            field=models.CharField(db_index=True, max_length=64, null=True),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.RunPython(drop_phone_pattern_index, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='company',
            index=models.Index(fields=['name_key'], name='profiles_co_name_ke_647eeb_idx'),
        ),
    ]
