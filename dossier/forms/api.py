"""REST endpoints of forms (SPEC §4): CRUD under /api/v1 with the `workflows` scope. The public
submission endpoint `POST /f/{slug}` is a page view (dossier/forms/views.py), outside the API."""

from django.http import HttpRequest, HttpResponse
from ninja import Router

from dossier.core.api import ApiError, json_response, read_json, require
from dossier.forms import openapi
from dossier.forms.models import Form
from dossier.forms.services import SLUG, FormRejected, do_save_form, form_json

router = Router(tags=["forms"])
SCOPE = "workflows"


def _form(slug: str) -> Form:
    form = Form.objects.filter(slug=slug).first() if SLUG.match(slug) else None
    if form is None:
        raise ApiError(404, "not_found", "no form has this slug")
    return form


def _save(request: HttpRequest, slug: str | None, status: int):
    try:
        form = do_save_form(read_json(request), slug=slug, may_grant_single_opt_in=request.auth.may("admin"))
    except FormRejected as exc:
        code = {409: "conflict", 403: "forbidden"}.get(exc.status, "validation_failed")
        raise ApiError(exc.status, code, f"the form is not valid: {exc}", exc.errors) from None
    return json_response(form_json(form), status=status)


@router.get("/forms", summary="List forms", openapi_extra=openapi.LIST_FORMS)
def list_forms(request: HttpRequest):
    require(request, SCOPE)
    return json_response({"items": [form_json(form) for form in Form.objects.all()]})


@router.post("/forms", summary="Create a form", response={201: None}, openapi_extra=openapi.CREATE_FORM)
def create_form(request: HttpRequest):
    require(request, SCOPE)
    return _save(request, None, 201)


@router.get("/forms/{slug}", summary="Read a form", openapi_extra=openapi.READ_FORM)
def get_form(request: HttpRequest, slug: str):
    require(request, SCOPE)
    return json_response(form_json(_form(slug)))


@router.put("/forms/{slug}", summary="Replace a form (its slug stays)", openapi_extra=openapi.REPLACE_FORM)
def update_form(request: HttpRequest, slug: str):
    require(request, SCOPE)
    _form(slug)
    return _save(request, slug, 200)


@router.delete("/forms/{slug}", summary="Delete a form", response={204: None}, openapi_extra=openapi.DELETE_FORM)
def delete_form(request: HttpRequest, slug: str):
    require(request, SCOPE)
    _form(slug).delete()
    return HttpResponse(status=204)
