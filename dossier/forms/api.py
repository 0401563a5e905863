"""REST endpoints of the forms app."""

from ninja import Router

router = Router(tags=["forms"])
