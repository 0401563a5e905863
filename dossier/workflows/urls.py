"""Browser pages of the workflows app."""

urlpatterns: list = []
