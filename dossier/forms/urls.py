"""Browser pages of the forms app."""

urlpatterns: list = []
