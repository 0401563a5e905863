"""Who may open a browser page and who may write through it.

Every page requires a login. Reading is open to the roles in `read`; any request that is not a
safe method (GET, HEAD, OPTIONS) needs a role in `write`, checked here on the server whatever the
page showed. The view finds the caller's role on `request.role`.
"""

import functools
from typing import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from dossier.accounts.models import ROLES, role_of

EDIT_ROLES = ("admin", "editor")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def browser_page(*, read: tuple[str, ...] = ROLES, write: tuple[str, ...] = EDIT_ROLES) -> Callable:
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            role = role_of(request.user)
            if role is None:
                return redirect_to_login(request.get_full_path())
            allowed = read if request.method in SAFE_METHODS else write
            if role not in allowed:
                raise PermissionDenied
            request.role = role
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def may_edit(request) -> bool:
    return getattr(request, "role", None) in EDIT_ROLES
