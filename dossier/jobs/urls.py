"""Browser pages of the jobs app."""

from django.urls import path

from dossier.jobs import views

urlpatterns = [
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job-cancel"),
    path("jobs/<uuid:job_id>/undo/", views.job_undo, name="job-undo"),
]
