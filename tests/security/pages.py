"""The browser pages, read from the URL configuration, so a new page is checked as soon as it exists."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = {"login", "logout", "public-form", "confirm-consent", "healthz"}  # and the root, which redirects to /profiles/
ADMIN_ONLY = {"settings", "settings-attributes", "settings-api-keys", "settings-users", "settings-webhooks",
              "settings-webhook"}
EDIT_ONLY = {"profile-new"}  # a form that only creates: a viewer has nothing to read there


def browser_pages() -> dict[str, list[str]]:
    """Name of every page that needs a login -> the names of its URL's parameters."""
    pages = {}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(("api/", "v4/")):  # the APIs answer JSON, checked on their own
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in PUBLIC:
                pages[pattern.name] = list(pattern.pattern.converters)

    walk(get_resolver().url_patterns)
    return pages


def page_url(name: str, values: dict[str, str]) -> str:
    return reverse(name, kwargs={parameter: values[parameter] for parameter in browser_pages()[name]})


def uploaded_file_id(editor, headers: dict[str, str]) -> str:
    """Upload a file through the import page, as a browser does; the id its mapping page names."""
    upload = SimpleUploadedFile("people.csv", b"email,city\nann@example.com,Oslo\n", "text/csv")
    response = editor.post("/imports/", {"file": upload}, headers=headers)
    assert response.status_code == 302, response.content[:300]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]
