"""Browser pages of the imports app."""

from django.urls import path

from dossier.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/files/<uuid:file_id>/", views.import_mapping, name="import-mapping"),
    path("imports/<uuid:import_id>/", views.import_detail, name="import-detail"),
    path("imports/<uuid:import_id>/start/", views.import_start, name="import-start"),
    path("imports/<uuid:import_id>/errors.csv", views.import_errors, name="import-errors"),
]
