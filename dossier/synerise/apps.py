from django.apps import AppConfig


class SyneriseConfig(AppConfig):
    name = "dossier.synerise"
    label = "synerise"

    def ready(self) -> None:
        from dossier.core import middleware
        from dossier.synerise.api import error_body

        middleware.ERROR_ENVELOPES["/v4/"] = lambda request, status, code, message: error_body(request, status, message)
