"""Browser pages of the imports app."""

urlpatterns: list = []
