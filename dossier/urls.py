from django.urls import include, path

from dossier.activity.api import router as events_router
from dossier.core.api import api
from dossier.core.views import healthz
from dossier.imports.api import router as imports_router
from dossier.jobs.api import router as jobs_router
from dossier.profiles.api import attributes_router, companies_router, router as profiles_router, tags_router
from dossier.workflows.api import router as workflows_router
from dossier.forms.api import router as forms_router
from dossier.webhooks.api import router as webhooks_router
from dossier.synerise.api import v4

# Order matters where paths overlap: /profiles/batch-edit (jobs) before /profiles/{id}.
api.add_router("", jobs_router)
api.add_router("", profiles_router)
api.add_router("", events_router)
api.add_router("", attributes_router)
api.add_router("", companies_router)
api.add_router("", tags_router)
api.add_router("", imports_router)
api.add_router("", workflows_router)
api.add_router("", forms_router)
api.add_router("", webhooks_router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("v4/", v4.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("dossier.accounts.urls")),
    path("", include("dossier.profiles.urls")),
    path("", include("dossier.jobs.urls")),
    path("", include("dossier.imports.urls")),
    path("", include("dossier.forms.urls")),
    path("", include("dossier.workflows.urls")),
    path("", include("dossier.webhooks.urls")),
]
