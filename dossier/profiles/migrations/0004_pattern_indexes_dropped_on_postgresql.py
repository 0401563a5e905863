"""Drop the `varchar_pattern_ops` twins PostgreSQL gets for profiles' email, customId and phone.

Django adds them beside every indexed text column so that `LIKE 'x%'` can use an index, but the
profile search compares `UPPER(column) LIKE UPPER('x%')`, which they cannot serve, and exact
lookups use the plain indexes. They were only ever written: three B-trees on every profile insert.
Django drops such indexes with `IF EXISTS` when it alters a column, so later migrations still work.
"""

from django.db import migrations

COLUMNS = ("email", "custom_id", "phone")


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'profiles_profile' AND indexname LIKE %s",
            [r"%\_like"],
        )
        names = [name for (name,) in cursor.fetchall() if any(f"_{column}_" in name for column in COLUMNS)]
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    profile = apps.get_model("profiles", "Profile")
    for column in COLUMNS:
        field = profile._meta.get_field(column)
        schema_editor.execute(schema_editor._create_like_index_sql(profile, field))


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0003_profiletag_single_column_indexes_dropped"),
    ]

    operations = [migrations.RunPython(drop_pattern_indexes, create_pattern_indexes)]
