from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "dossier.profiles"
    label = "profiles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from dossier.profiles.search import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="profiles_search_index")
