"""Login and logout pages, and the admin's Settings."""

from django.contrib.auth import views as auth_views
from django.urls import path

from dossier.accounts import views
from dossier.accounts.login import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/attributes/", views.attribute_settings, name="settings-attributes"),
    path("settings/api-keys/", views.api_key_settings, name="settings-api-keys"),
    path("settings/users/", views.user_settings, name="settings-users"),
]
