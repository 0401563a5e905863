"""Browser pages of the jobs app."""

urlpatterns: list = []
