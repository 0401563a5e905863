"""Browser pages of the profiles app: the list and the card."""

from django.urls import path
from django.views.generic import RedirectView

from dossier.profiles import views

urlpatterns = [
    path("", RedirectView.as_view(url="/profiles/", permanent=False)),
    path("profiles/", views.profile_list, name="profile-list"),
    path("profiles/new/", views.profile_new, name="profile-new"),
    path("profiles/count/", views.profile_count, name="profile-count"),
    path("profiles/<uuid:profile_id>/", views.profile_card, name="profile-card"),
]
