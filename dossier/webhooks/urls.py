from django.urls import path

from dossier.webhooks import views

urlpatterns = [
    path("settings/webhooks/", views.webhook_settings, name="settings-webhooks"),
    path("settings/webhooks/<uuid:subscription_id>/", views.webhook_detail, name="settings-webhook"),
]
