"""Browser pages of workflows: list, editor, runs."""

from django.urls import path

from dossier.workflows import views

urlpatterns = [
    path("workflows/", views.workflow_list, name="workflows"),
    path("workflows/new", views.workflow_new, name="workflow-new"),
    path("workflows/<int:workflow_id>/", views.workflow_edit, name="workflow-edit"),
    path("workflows/<int:workflow_id>/switch", views.workflow_switch, name="workflow-switch"),
    path("workflows/<int:workflow_id>/delete", views.workflow_delete, name="workflow-delete"),
    path("workflows/<int:workflow_id>/runs", views.workflow_runs, name="workflow-runs"),
]
