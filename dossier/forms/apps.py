from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "dossier.forms"
    label = "forms"
    default_auto_field = "django.db.models.BigAutoField"
