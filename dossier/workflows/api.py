"""REST endpoints of the workflows app."""

from ninja import Router

router = Router(tags=["workflows"])
