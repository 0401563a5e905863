"""Browser pages of profiles: the list (search, filters, numbered pages, batch Edit) and the card.

Both pages read with a fixed number of queries whatever the data size: the list reads one page
(`filters.numbered_page`) and never counts its matches itself (`profile_count` does, in a request
of its own that list.js makes, or the page when asked with `count=exact`); the card reads one page
of the activity list through the (profile, id) index. Every write goes through the profile
services with `source: ui`; the list's Edit pop-up posts to the batch-edit API from list.js.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from dossier.accounts.access import EDIT_ROLES, browser_page, may_edit
from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.core.params import row_id
from dossier.jobs.models import Job
from dossier.profiles.changes import ChangeContext, load_states
from dossier.profiles.consents import consents_of
from dossier.profiles.errors import FieldError, InvalidValue, ProfileWriteRejected
from dossier.profiles.fields import AGREEMENT_CHANNELS, STANDARD_FIELDS
from dossier.profiles.filters import (
    KIND_OPERATORS,
    OPERATOR_PARAM,
    OPERATORS,
    VALUELESS,
    field_kind,
    numbered_page,
    operator_of,
    parse_filters,
)
from dossier.profiles.forms import (
    ATTRIBUTES,
    CARD_SECTIONS,
    CHANNEL_LABELS,
    SECTIONS_BY_KEY,
    SUBSCRIPTIONS,
    EventForm,
    editor_config,
    keep_only_changes,
    merge_submitted,
    read_event_form,
    section_fields,
    show_submitted,
    submitted_changes,
)
from dossier.profiles.labels import (
    attribute_definitions,
    filter_words,
    label_of,
    param_label,
    path_labels,
    profile_name,
    value_words,
)
from dossier.profiles.models import Company, Profile, ProfileTag, Tag
from dossier.profiles.services import do_add_event, do_create_profile, do_update_profile

LIST_PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100)
EVENTS_PAGE_SIZE = 25
SUGGESTIONS_MAX = 500
# The filter form's condition rows (field, operator, value), turned into `field[op]=value`.
CONDITION_INPUTS = ("cond_field", "cond_op", "cond_value")
# Query parameters of the list page that are not filters of the profile list.
PAGE_PARAMS = ("sort", "page", "size", "cursor", "count", "edited", *CONDITION_INPUTS)
# Filters the list's form has an input of their own for; the others are picked by field name.
OWN_INPUTS = ("search", "tag", "company")
SORT_CHOICES = (
    ("-createdAt", "Newest first"), ("createdAt", "Oldest first"), ("-updatedAt", "Recently updated"),
    ("lastName", "Last name A–Z"), ("-lastName", "Last name Z–A"), ("city", "City A–Z"), ("email", "Email A–Z"),
)


def ui_context(request) -> ChangeContext:
    return ChangeContext(source=event_types.SOURCE_UI, actor=f"user:{request.user.get_username()}",
                         request_id=getattr(request, "request_id", ""))


# --- the list ---------------------------------------------------------------------------------

@dataclass
class FilterChip:
    words: str  # the filter as people say it: `City is Warsaw`, `City contains kra`, `Phone is empty`
    remove_url: str


@dataclass
class Condition:
    """One row of the filter form: field, operator, value."""
    field: str
    op: str
    value: str


@dataclass
class ListRow:
    id: uuid.UUID
    name: str
    email: str
    phone: str
    city: str
    company: str
    created_at: dt.datetime
    tags: list[str] = field(default_factory=list)


@browser_page()
def profile_list(request):
    canonical = _canonical_query(request.GET)
    if canonical is not None:
        return redirect(f"{request.path}?{canonical}" if canonical else request.path)
    filters = {k: request.GET.getlist(k) for k in request.GET if k not in PAGE_PARAMS}
    definitions = attribute_definitions()
    labels = path_labels(definitions)
    query = parse_filters(filters)
    errors = [f"{param_label(e.field, labels)}: {e.message}" for e in query.errors]
    sort = request.GET.get("sort") or SORT_CHOICES[0][0]
    number, size = _page_number(request.GET.get("page"), errors), _page_size(request.GET.get("size"))
    rows, has_next, count = [], False, None
    if not errors:
        try:
            profiles, has_next = numbered_page(query.queryset, sort=sort, number=number, size=size)
        except InvalidValue as exc:
            errors.append(exc.message)
        else:
            rows = _list_rows(profiles)
            if request.GET.get("count") == "exact":
                count = query.queryset.order_by().count()
    companies = list(Company.objects.order_by("name").values_list("id", "name")[:SUGGESTIONS_MAX])
    chips = _chips(request.GET, filters, labels, {str(k): v for k, v in companies})
    search = request.GET.get("search", "")
    types = {d["name"]: d["type"] for d in definitions}
    context = {
        "nav": "profiles",
        "rows": rows,
        "errors": errors,
        "count": count,
        "exact_count_url": _query_url(request.GET, set={"count": "exact"}),
        "count_url": reverse("profile-count") + _query_url(request.GET, drop=PAGE_PARAMS),
        "pager": _pager(request.GET, number, size, has_next, count),
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "search": search,
        "tag": request.GET.get("tag", ""),
        "company": request.GET.get("company", ""),
        "sort": sort,
        "sort_choices": SORT_CHOICES,
        "hidden_filters": _hidden_filters(filters),
        "conditions": _conditions(filters) + [Condition("", "is", "")],
        "chips": chips,
        "filter_fields": [(key, label, " ".join(KIND_OPERATORS[field_kind(key, types)]))
                          for key, label in labels.items() if field_kind(key, types)],
        "operators": OPERATORS.items(),
        "companies": companies,
        "channels": CHANNEL_LABELS.items(),
        "tag_suggestions": Tag.objects.order_by("name").values_list("name", flat=True)[:SUGGESTIONS_MAX],
        "can_edit": may_edit(request),
        "editor": editor_config(definitions, {k: v if len(v) > 1 else v[0] for k, v in filters.items()},
                                filter_words=[chip.words for chip in chips] + ([f"search “{search}”"] if search else [])),
        "job": _finished_job(request.GET.get("edited")),
    }
    return render(request, "profiles/list.html", context, status=422 if errors else 200)


def _page_number(raw: str | None, errors: list[str]) -> int:
    if raw in (None, ""):
        return 1
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        errors.append("Page: must be a page number from 1")
        return 1
    return int(raw)


def _page_size(raw: str | None) -> int:
    return int(raw) if raw in {str(n) for n in PAGE_SIZES} else LIST_PAGE_SIZE


def _pager(params: QueryDict, number: int, size: int, has_next: bool, count: int | None) -> dict:
    """Previous, the page numbers around this one, Next; the last page once the count is known."""
    last = max(1, -(-count // size)) if count is not None else (number + 1 if has_next else number)
    numbers = sorted({1, *range(max(1, number - 2), min(last, number + 2) + 1)} | ({last} if count is not None else set()))
    def url(n: int) -> str:
        return _query_url(params, set={"page": str(n)} if n > 1 else {}, drop=("edited", "cursor", "page"))
    links, previous = [], 0
    for n in numbers:
        if n > previous + 1:
            links.append({"gap": True})
        links.append({"number": n, "url": url(n), "current": n == number})
        previous = n
    return {
        "previous": url(number - 1) if number > 1 else "",
        "next": url(number + 1) if has_next else "",
        "links": links if len(links) > 1 else [],
    }


def _conditions(filters: dict[str, list]) -> list[Condition]:
    """The `field[op]` filters as rows of the filter form, so they stay editable."""
    rows = []
    for key, values in filters.items():
        found = operator_of(key)
        if found:
            rows.extend(Condition(*found, "" if found[1] in VALUELESS else value) for value in values)
    return rows


def _canonical_query(params: QueryDict) -> str | None:
    """The query string without empty values, with the form's condition rows as `field[op]=value`;
    None if the request already has that shape (the filter form submits blanks and the rows).

    The form holds every `field[op]` filter as a row, so its rows replace them; a row without a
    field or (for operators that take one) a value is dropped."""
    has_rows = any(key in params for key in CONDITION_INPUTS)
    if not has_rows and all(value != "" for _, values in params.lists() for value in values):
        return None
    clean = QueryDict(mutable=True)
    for key, values in params.lists():
        if key in CONDITION_INPUTS or (has_rows and OPERATOR_PARAM.match(key)):
            continue
        for value in values:
            if value != "":
                clean.appendlist(key, value)
    if has_rows:
        for name, op, value in zip(params.getlist("cond_field"), params.getlist("cond_op"), params.getlist("cond_value")):
            value = value.strip()
            if name and (op in VALUELESS or value):
                clean.appendlist(f"{name}[{op}]", "1" if op in VALUELESS else value)
        clean.pop("page", None)
    return clean.urlencode(safe="[]")


def _hidden_filters(filters: dict[str, list]) -> list[tuple[str, str]]:
    """The active filters the form has no input for, so that submitting it keeps them."""
    return [(key, value) for key, values in filters.items() if not OPERATOR_PARAM.match(key)
            for value in (values[1:] if key in OWN_INPUTS else values)]


def _query_url(params: QueryDict, *, set: dict | None = None, drop: tuple[str, ...] = ()) -> str:
    query = params.copy()
    for key in drop:
        query.pop(key, None)
    for key, value in (set or {}).items():
        query[key] = value
    return "?" + query.urlencode(safe="[]") if query else "?"


def _chips(params: QueryDict, filters: dict[str, list], labels: dict[str, str], companies: dict) -> list[FilterChip]:
    chips = []
    for key, values in filters.items():
        if key == "search":
            continue
        for value in values:
            rest = params.copy()
            rest.setlist(key, [v for v in values if v != value])
            rest.pop("cursor", None)
            rest.pop("page", None)
            chips.append(FilterChip(filter_words(key, value, labels, companies), "?" + rest.urlencode(safe="[]")))
    return chips


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _list_rows(profiles: list[Profile]) -> list[ListRow]:
    """The page's rows with their tags and company names: two queries whatever the page size."""
    company_ids = {p.company_id for p in profiles if p.company_id}
    companies = dict(Company.objects.filter(id__in=company_ids).values_list("id", "name")) if company_ids else {}
    rows = {p.id: ListRow(p.id, profile_name(p.first_name, p.last_name, p.display_name, p.email, p.custom_id),
                          p.email or "", p.phone or "", p.city or "", companies.get(p.company_id, ""), p.created_at)
            for p in profiles}
    if rows:
        for profile_id, tag in ProfileTag.objects.filter(profile_id__in=list(rows)).values_list("profile_id", "tag__name"):
            rows[profile_id].tags.append(tag)
    for row in rows.values():
        row.tags.sort()
    return list(rows.values())


CARD_FORM = "card-form"  # the id of the card's one form, and its CardErrors.section
# The sections of the New profile form: the card's, without anonymousType, which a new profile
# takes from its identifiers (recognized once it has an email, phone or customId).
NEW_PROFILE_SECTIONS = ("profile", "contact", "other", SUBSCRIPTIONS, ATTRIBUTES)
BLANK_STATE = {**{spec.column: None for spec in STANDARD_FIELDS}, "attributes": {},
               **{column: False for column in AGREEMENT_CHANNELS.values()}}


@browser_page(read=EDIT_ROLES)
def profile_new(request):
    """A form with the card's fields, blank; saving creates the profile and opens its card."""
    definitions = attribute_definitions()
    sections = []
    for key in NEW_PROFILE_SECTIONS:
        fields = [f for f in section_fields(key, BLANK_STATE, definitions) if f.name != "anonymousType"]
        sections.append({"key": key, "title": SECTIONS_BY_KEY[key].title, "fields": fields, "errors": []})
    status = 200
    if request.method == "POST":
        data = {}
        for section in sections:
            data.update(submitted_changes(section["fields"], request.POST))
        try:
            if not data:
                raise ProfileWriteRejected([FieldError("", "empty", "Fill in at least one field.")])
            created = do_create_profile(data, ui_context(request))
        except ProfileWriteRejected as exc:
            for section in sections:
                show_submitted(section["fields"], request.POST, exc.errors)
            placed = {f.name for section in sections for f in section["fields"]}
            sections[0]["errors"] = [f"{e.field}: {e.message}" if e.field else e.message
                                     for e in exc.errors if e.field not in placed]
            status = exc.status
        else:
            messages.success(request, "Profile created.")
            return redirect("profile-card", profile_id=created.id)
    return render(request, "profiles/new.html", {"nav": "profiles", "sections": sections}, status=status)


@browser_page()
def profile_count(request):
    """The number of profiles matching the list's filters, as JSON.

    Counting a million-profile selection can take longer than the page itself, so the list page
    leaves it to this request, made by list.js once the page is shown."""
    query = parse_filters({k: request.GET.getlist(k) for k in request.GET if k not in PAGE_PARAMS})
    if query.errors:
        return JsonResponse({"errors": [e.as_dict() for e in query.errors]}, status=422)
    return JsonResponse({"count": query.queryset.order_by().count()})


def _finished_job(job_id: str | None) -> dict | None:
    """The batch edit the pop-up just ran, reported above the reloaded list."""
    if not job_id or _uuid_or_none(job_id) is None:
        return None
    return Job.objects.filter(id=job_id).values("id", "status", "total", "processed", "succeeded", "failed").first()


# --- the card ---------------------------------------------------------------------------------

@dataclass
class ChangeLine:
    path: str  # as stored: attributes.loyaltyPoints
    label: str  # as read: Loyalty points
    old: str = ""
    new: str = ""
    added: str = ""
    removed: str = ""


@dataclass
class EventView:
    id: int
    type: str
    time: dt.datetime
    source: str
    actor: str
    job_id: Any
    changes: list[ChangeLine] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CardErrors:
    """What a failed post puts back on the card: the section, its inputs' text and messages."""

    section: str = ""  # CARD_FORM for the card's fields, else tags, company or event
    post: Any = None
    errors: list[FieldError] = field(default_factory=list)
    notice: str = ""
    event_form: EventForm | None = None
    conflicts: dict[str, str] = field(default_factory=dict)


CONSENT_WORDS = {"granted": "given", "pending": "waiting for confirmation (double opt-in)", "withdrawn": "withdrawn",
                 "none": "never given"}


def _consent_lines(consents: dict[str, dict]) -> list[dict]:
    """The consent proof of each channel, as the card's Subscriptions shows it: its state, and
    since when, through which path and by whom."""
    lines = []
    for channel, consent in consents.items():
        lines.append({"channel": channel, "label": CHANNEL_LABELS[channel], "state": consent["state"],
                      "words": CONSENT_WORDS[consent["state"]],
                      "at": dt.datetime.fromisoformat(consent["at"]) if consent["at"] else None,
                      "source": consent["source"], "actor": consent["actor"]})
    return lines


@browser_page()
def profile_card(request, profile_id: uuid.UUID):
    state = load_states([profile_id], lock=False).get(profile_id)
    if state is None:
        raise Http404("no profile has this id")
    if request.method == "POST":
        return _card_post(request, state)
    return _render_card(request, state)


def _render_card(request, state: dict, failed: CardErrors | None = None, status: int = 200):
    failed = failed or CardErrors()
    definitions = attribute_definitions()
    sections = {}
    for section in CARD_SECTIONS:
        fields = section_fields(section.key, state, definitions)
        if failed.section == CARD_FORM:
            show_submitted(fields, failed.post, failed.errors)
            keep_only_changes(fields, failed.post)
            for view in fields:
                view.conflict = failed.conflicts.get(view.name)
        sections[section.key] = {"key": section.key, "title": section.title, "fields": fields}
    placed = {view.name for section in sections.values() for view in section["fields"]}
    card_errors = [f"{e.field}: {e.message}" if e.field else e.message for e in failed.errors
                   if failed.section == CARD_FORM and e.field not in placed]
    sections[SUBSCRIPTIONS]["consents"] = _consent_lines(consents_of([state["id"]])[state["id"]])
    event_type = request.GET.get("type", "")
    events, older_url = _activity(request, state["id"], event_type, path_labels(definitions))
    company = Company.objects.filter(id=state["company_id"]).values("id", "name").first() if state["company_id"] else None
    can_edit = may_edit(request)
    context = {
        "nav": "profiles",
        "profile": state,
        "name": profile_name(state["first_name"], state["last_name"], state["display_name"], state["email"], state["custom_id"]),
        "sections": [sections[key] for key in ("profile", "contact", "other")],
        "subscriptions": sections[SUBSCRIPTIONS],
        "attributes": sections[ATTRIBUTES],
        "tags": sorted(state["tags"]),
        "company": company,
        "failed": failed,
        "card_errors": card_errors,
        "editable": list(sections.values()),
        "events": events,
        "event_type": event_type,
        "event_types": _event_types(state["id"]),
        "older_url": older_url,
        "newest_url": "?" + urlencode({"type": event_type}) if request.GET.get("before") else "",
        "event_form": failed.event_form or EventForm(),
        "can_edit": can_edit,
    }
    if can_edit:
        context["companies"] = Company.objects.order_by("name").values_list("id", "name")[:SUGGESTIONS_MAX]
        context["tag_suggestions"] = Tag.objects.order_by("name").values_list("name", flat=True)[:SUGGESTIONS_MAX]
    return render(request, "profiles/card.html", context, status=status)


def _activity(request, profile_id: uuid.UUID, event_type: str, labels: dict[str, str]) -> tuple[list[EventView], str]:
    """One page of the activity list, newest first, through the (profile, [type,] id) index."""
    query = Event.objects.filter(profile_id=profile_id)
    if event_type:
        # a text no event type can have matches nothing (and a NUL never reaches PostgreSQL)
        query = query.filter(type=event_type) if event_types.EVENT_TYPE_PATTERN.match(event_type) else query.none()
    before = row_id(request.GET.get("before"))
    if before is not None:
        query = query.filter(id__lt=before)
    events = list(query.order_by("-id")[: EVENTS_PAGE_SIZE + 1])
    older_url = ""
    if len(events) > EVENTS_PAGE_SIZE:
        events = events[:EVENTS_PAGE_SIZE]
        older_url = "?" + urlencode({k: v for k, v in (("type", event_type), ("before", events[-1].id)) if v}) + "#activity"
    return [_event_view(e, labels) for e in events], older_url


def _event_types(profile_id: uuid.UUID) -> list[str]:
    return list(Event.objects.filter(profile_id=profile_id).order_by("type").values_list("type", flat=True).distinct())


def _event_view(event: Event, labels: dict[str, str]) -> EventView:
    view = EventView(event.id, event.type, event.time, event.source, event.actor, event.job_id)
    params = event.params if isinstance(event.params, dict) else {}
    if event.type in event_types.CHANGE_EVENT_TYPES:
        for change in params.get("changes", []):
            path = str(change.get("attribute", ""))
            if path == "tags":
                view.changes.append(ChangeLine(path, label_of(path, labels), added=", ".join(change.get("added", [])),
                                               removed=", ".join(change.get("removed", []))))
            else:
                view.changes.append(ChangeLine(path, label_of(path, labels), value_words(path, change.get("old")),
                                               value_words(path, change.get("new"))))
    else:
        view.params = [(str(key), _shown(value)) for key, value in params.items()]
    return view


def _shown(value: Any) -> str:
    """An event parameter as text (the template escapes it); nested values as JSON."""
    if isinstance(value, (dict, list)) and not (isinstance(value, dict) and "name" in value):
        return json.dumps(value, ensure_ascii=False)
    return value_words("", value)


# --- the card's writes ------------------------------------------------------------------------

def _card_post(request, state: dict):
    action = request.POST.get("action", "")
    profile_id = state["id"]
    if action == "save":
        return _save_card(request, state)
    if action in ("add-tag", "remove-tag"):
        key = "addTags" if action == "add-tag" else "removeTags"
        return _write(request, state, {key: [request.POST.get("tag", "")]}, section="tags", done="Tags saved.")
    if action == "assign-company":
        return _write(request, state, {"company": {"id": request.POST.get("companyId", "")}}, section="company",
                      done="Company assigned.")
    if action == "remove-company":
        return _write(request, state, {"company": None}, section="company", done="Company removed.")
    if action == "add-event":
        form, params, time = read_event_form(request.POST)
        if not form.errors:
            try:
                do_add_event(profile_id, form.type, params, time, ui_context(request))
            except ProfileWriteRejected as exc:
                for error in exc.errors:
                    form.error(error.field if error.field in ("type", "params", "time") else "type", error.message)
            except Profile.DoesNotExist:
                raise Http404("no profile has this id") from None
        if form.errors:
            return _render_card(request, state, CardErrors(section="event", event_form=form), status=422)
        messages.success(request, f"Event {form.type} added.")
        return redirect(f"{request.path}#activity")
    return HttpResponseBadRequest("unknown action")


def _save_card(request, state: dict):
    """Save the card's one form: the fields the user changed, on top of the current values.

    If someone saved the profile after the form was rendered, their changes stay: only a field
    both changed stops the save, and the form comes back with it marked (409). A write that
    loses the race to another one in the instant between reading and writing merges once more."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("the form carries no profile version")
    definitions = attribute_definitions()
    for attempt in (1, 2):
        fields = [view for section in CARD_SECTIONS for view in section_fields(section.key, state, definitions)]
        merge = merge_submitted(fields, request.POST)
        if merge.conflicts:
            count = len(merge.conflicts)
            notice = (f"Someone else saved this profile after you opened it (version {version}, now {state['version']}). "
                      "Nothing was saved. The form shows the current values with your changes on top; "
                      f"{count} field{'s' if count > 1 else ''} changed by both of you {'are' if count > 1 else 'is'} "
                      "marked: keep your value or take theirs, then save again.")
            failed = CardErrors(section=CARD_FORM, post=request.POST, notice=notice, conflicts=merge.conflicts)
            return _render_card(request, state, failed, status=409)
        if not merge.data:
            messages.info(request, "Nothing to save: no field was changed.")
            return redirect(f"{request.path}#{CARD_FORM}")
        try:
            do_update_profile(state["id"], merge.data, ui_context(request), expected_version=state["version"])
        except ProfileWriteRejected as exc:
            if exc.status == 404:
                raise Http404("no profile has this id") from None
            if exc.status == 412 and attempt == 1:
                state = load_states([state["id"]], lock=False)[state["id"]]
                continue
            failed = CardErrors(section=CARD_FORM, post=request.POST, errors=exc.errors)
            return _render_card(request, state, failed, status=exc.status)
        break
    messages.success(request, "Saved. Someone else had saved this profile after you opened it; their changes to "
                     "other fields are kept." if version != state["version"] else "Saved.")
    return redirect(f"{request.path}#{CARD_FORM}")


def _write(request, state: dict, data: dict, *, section: str, done: str):
    """A tags or company action: written at once, whatever the card's form holds."""
    try:
        do_update_profile(state["id"], data, ui_context(request))
    except ProfileWriteRejected as exc:
        if exc.status == 404:
            raise Http404("no profile has this id") from None
        return _render_card(request, state, CardErrors(section=section, errors=exc.errors), status=exc.status)
    messages.success(request, done)
    return redirect(f"{request.path}#section-{section}")
