"""Browser pages of the profiles app (the list and the card come with the UI work)."""

from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/profiles/", permanent=False)),
]
