from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dossier.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dossier.accounts.login import purge_failures
        from dossier.core import maintenance

        maintenance.register("purge expired login failures", purge_failures, every_seconds=300)
