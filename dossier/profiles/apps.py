from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "dossier.profiles"
    label = "profiles"
    default_auto_field = "django.db.models.BigAutoField"
