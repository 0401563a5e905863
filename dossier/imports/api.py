"""REST endpoints of the imports app."""

from ninja import Router

router = Router(tags=["imports"])
