from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importfile",
            name="removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
