"""Browser pages of forms: the hosted public page (outside /api/v1) and the list and editor."""

from django.urls import path

from dossier.forms import views

urlpatterns = [
    path("f/<slug:slug>", views.public_form, name="public-form"),
    path("f/<slug:slug>/confirm/<str:token>", views.confirm_consent, name="confirm-consent"),
    path("forms/", views.form_list, name="forms"),
    path("forms/new", views.form_new, name="form-new"),
    path("forms/<slug:slug>/", views.form_edit, name="form-edit"),
    path("forms/<slug:slug>/delete", views.form_delete, name="form-delete"),
]
