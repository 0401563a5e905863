"""The browser forms of the profile card and the list's Edit pop-up, in the API's terms.

The card's fields are one plain HTML form with one Save. Each input is named by its API field
path (`city`, `attributes.plan`, `agreements.email`), so turning a post into the change
service's JSON shape and putting the service's `FieldError`s back beside the inputs needs no
mapping table. Beside each input the form carries what it showed when the page was rendered
(`orig.<path>`), so a save knows which fields the user changed: only those are written, and when
someone else saved the profile meanwhile, the user's changes go on top of the current values
(`merge_submitted`); a field both changed is a conflict the user decides.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, ANONYMOUS_TYPES, FIELDS_BY_NAME, STANDARD_FIELDS

SEX_CHOICES = (("0", "0 – not known"), ("1", "1 – male"), ("2", "2 – female"), ("3", "3 – other"))
BOOLEAN_CHOICES = (("true", "true"), ("false", "false"))
CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "push": "Mobile push", "webPush": "Web push"}
# Standard fields whose seed name (snake_case) is shown beside the label, as on the seed's card.
SEED_NAMES = {"anonymousType": "anonymous_type", "avatarUrl": "avatar_url"}
MAX_EVENT_PARAMS = 50


@dataclass(frozen=True)
class CardSection:
    key: str
    title: str
    fields: tuple[str, ...]


SUBSCRIPTIONS, ATTRIBUTES = "subscriptions", "attributes"
# The card's editable sections, each saved by a form of its own. The last two hold the agreement
# channels, and birthDate with the custom attributes.
CARD_SECTIONS = (
    CardSection("profile", "Profile info", ("firstName", "lastName", "displayName", "city", "province", "zipCode",
                                            "address", "countryCode")),
    CardSection("contact", "Contact info", ("email", "phone", "customId")),
    CardSection("other", "Other", ("anonymousType", "avatarUrl", "sex")),
    CardSection(SUBSCRIPTIONS, "Subscriptions", ()),
    CardSection(ATTRIBUTES, "Attributes", ()),
)
SECTIONS_BY_KEY = {s.key: s for s in CARD_SECTIONS}


@dataclass
class FieldView:
    """One input of the card: what it is called, how it is entered, what it holds."""

    name: str  # the API field path, also the input's name
    label: str
    widget: str  # text, email, tel, url, date, number, select, checkbox
    value: str = ""  # the input's text
    display: str = ""  # the read-only text
    choices: tuple[tuple[str, str], ...] = ()
    blank_choice: bool = True
    step: str = ""
    hint: str = ""
    seed_name: str = ""
    errors: list[str] = field(default_factory=list)
    original: str = ""  # the text the form showed when rendered; sent back as orig.<name>
    conflict: str | None = None  # the stored text, when someone else changed the field the user changed too

    def __post_init__(self):
        self.original = self.value

    @property
    def input_id(self) -> str:
        return "field-" + self.name.replace(".", "-")

    @property
    def in_conflict(self) -> bool:
        return self.conflict is not None

    @property
    def conflict_value(self) -> str:
        return self.conflict or ""

    @property
    def conflict_text(self) -> str:
        """Their value as the input would show it: the choice's words, ticked or not, or empty."""
        if self.widget == "checkbox":
            return "ticked" if self.conflict == "on" else "not ticked"
        if self.choices:
            return dict(self.choices).get(self.conflict or "", "not set")
        return self.conflict or "empty"

    @property
    def described_by(self) -> str:
        ids = [f"{self.input_id}-hint"] if self.hint else []
        ids += [f"{self.input_id}-conflict"] if self.in_conflict else []
        ids += [f"{self.input_id}-error-{n}" for n in range(1, len(self.errors) + 1)]
        return " ".join(ids)

    @property
    def checked(self) -> bool:
        return self.value == "on"


# --- rendering stored values into inputs ---------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def standard_field(name: str, stored: Any) -> FieldView:
    spec = FIELDS_BY_NAME[name]
    view = FieldView(name, spec.label, "text", _text(stored), _text(stored), seed_name=SEED_NAMES.get(name, ""))
    if spec.input_type in ("email", "tel", "url", "date"):
        view.widget = spec.input_type
    elif spec.input_type == "sex":
        view.widget, view.choices = "select", SEX_CHOICES
        view.display = dict(SEX_CHOICES).get(view.value, "")
    elif spec.input_type == "anonymous_type":
        view.widget, view.choices, view.blank_choice = "select", tuple((t, t) for t in ANONYMOUS_TYPES), False
    elif spec.input_type == "country":
        view.hint = "a code (PL, POL) or the country's name; stored as ISO 3166-1 alpha-2"
    return view


def attribute_field(definition: Mapping[str, str], stored: Any) -> FieldView:
    """A custom attribute's input; `definition` holds name, label and type."""
    name, type_ = definition["name"], definition["type"]
    label = definition["label"] or name
    view = FieldView(f"attributes.{name}", label, "text", _text(stored), _text(stored), seed_name=name if label != name else "")
    if type_ in ("integer", "number"):
        view.widget, view.step = "number", "1" if type_ == "integer" else "any"
    elif type_ == "boolean":
        view.widget, view.choices = "select", BOOLEAN_CHOICES
    elif type_ == "date":
        view.widget = "date"
    elif type_ == "datetime":
        view.hint = "ISO 8601, e.g. 2026-03-01T09:30:00Z"
    elif type_ == "list":
        view.hint = "items separated by ;"
    return view


def channel_field(channel: str, stored: bool) -> FieldView:
    return FieldView(f"agreements.{channel}", CHANNEL_LABELS[channel], "checkbox", "on" if stored else "",
                     "subscribed" if stored else "not subscribed")


def section_fields(section: str, state: Mapping[str, Any], definitions: list[dict]) -> list[FieldView]:
    """The inputs of one editable section of the card, holding the stored values."""
    if section == SUBSCRIPTIONS:
        return [channel_field(channel, state[column]) for channel, column in AGREEMENT_CHANNELS.items()]
    if section == ATTRIBUTES:
        fields = [standard_field("birthDate", state["birth_date"])]
        return fields + [attribute_field(d, state["attributes"].get(d["name"])) for d in definitions]
    return [standard_field(name, state[FIELDS_BY_NAME[name].column]) for name in SECTIONS_BY_KEY[section].fields]


# --- reading a post back ----------------------------------------------------------------------

def submitted_changes(fields: list[FieldView], post: Mapping[str, str]) -> dict[str, Any]:
    """The changed fields of a section as the API's JSON; an emptied input clears its field."""
    flat: dict[str, Any] = {}
    for view in fields:
        if view.widget == "checkbox":
            checked = view.name in post
            if checked != view.checked:
                flat[view.name] = checked
            continue
        raw = post.get(view.name, "").strip()
        if raw != view.value:
            flat[view.name] = raw or None
    return nest_paths(flat)


@dataclass
class Merge:
    """A card save: the changes to write and the fields changed both here and meanwhile elsewhere."""

    data: dict[str, Any]
    conflicts: dict[str, str]  # field path -> its current text


def merge_submitted(fields: list[FieldView], post: Mapping[str, str]) -> Merge:
    """The fields the user changed (posted text differs from the `orig.` text the form showed)
    that differ from the stored value; a changed field that someone else changed to something
    else since the form was rendered is a conflict. `fields` hold the stored values.

    A field with no `orig.` text (a post not made by the card) counts as shown with the stored
    value; a checkbox without one was not on the form, since an unticked box sends nothing."""
    flat: dict[str, Any] = {}
    conflicts: dict[str, str] = {}
    for view in fields:
        orig_key = f"orig.{view.name}"
        if view.widget == "checkbox":
            if orig_key not in post:
                continue
            posted = "on" if view.name in post else ""
        elif view.name in post:
            posted = post.get(view.name, "").strip()
        else:
            continue
        shown = post.get(orig_key, view.value)
        if posted == shown or posted == view.value:
            continue  # untouched, or already what the user wants
        if view.value != shown:
            conflicts[view.name] = view.value
        flat[view.name] = (posted == "on") if view.widget == "checkbox" else (posted or None)
    return Merge(nest_paths(flat), conflicts)


def nest_paths(flat: Mapping[str, Any]) -> dict[str, Any]:
    """`{"attributes.plan": "pro", "agreements.sms": true}` as the API nests it."""
    data: dict[str, Any] = {}
    for path, value in flat.items():
        group, _, key = path.partition(".")
        if group in ("attributes", "agreements") and key:
            data.setdefault(group, {})[key] = value
        else:
            data[path] = value
    return data


def show_submitted(fields: list[FieldView], post: Mapping[str, str], errors: list[FieldError]) -> list[str]:
    """Put the user's text back into the inputs and each error beside its field.

    Returns the messages that belong to no input of the section."""
    by_name = {view.name: view for view in fields}
    for view in fields:
        if view.widget == "checkbox":
            view.value = "on" if view.name in post else ""
        elif view.name in post:
            view.value = post.get(view.name, "").strip()
    unplaced = []
    for error in errors:
        view = by_name.get(error.field)
        if view is not None:
            view.errors.append(error.message)
        else:
            unplaced.append(f"{error.field}: {error.message}" if error.field else error.message)
    return unplaced


def keep_only_changes(fields: list[FieldView], post: Mapping[str, str]) -> None:
    """After show_submitted: an input the user left as the form showed it shows the stored value
    again, so what someone else saved meanwhile is what the form now holds."""
    for view in fields:
        shown = post.get(f"orig.{view.name}")
        if shown is not None and view.value == shown:
            view.value = view.original


# --- the Add event form -----------------------------------------------------------------------

@dataclass
class EventForm:
    type: str = ""
    time: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def param_rows(self) -> list[tuple[int, str, str]]:
        """The rows to render: what was entered plus empty ones to fill (three at least)."""
        rows = [p for p in self.params if p[0] or p[1]]
        rows += [("", "")] * max(1, 3 - len(rows))
        return [(n, key, value) for n, (key, value) in enumerate(rows, start=1)]


def read_event_form(post: Mapping[str, Any]) -> tuple[EventForm, dict[str, str], dt.datetime | None]:
    """The Add event form: its type, params from key/value rows, and an optional UTC time."""
    form = EventForm(type=post.get("type", "").strip(), time=post.get("time", "").strip())
    keys, values = post.getlist("param_key"), post.getlist("param_value")
    form.params = [(k.strip(), v) for k, v in zip(keys, values)][:MAX_EVENT_PARAMS]
    params: dict[str, str] = {}
    for key, value in form.params:
        if not key and not value:
            continue
        if not key:
            form.error("params", f"the value '{value}' has no name")
        elif key in params:
            form.error("params", f"the parameter '{key}' is given twice")
        else:
            params[key] = value
    time = None
    if form.time:
        try:
            time = parse_local_time(form.time)
        except InvalidValue as exc:
            form.error("time", exc.message)
    return form, params, time


def parse_local_time(text: str) -> dt.datetime:
    """A `datetime-local` input's value, read as UTC (the card shows times in UTC)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue("invalid_datetime", "must be a date and time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# --- the list's Edit pop-up -------------------------------------------------------------------

EDITOR_TYPES = {"text": "text", "country": "country", "date": "date", "email": "email", "tel": "tel",
                "anonymous_type": "anonymous_type", "url": "url", "sex": "sex"}


def editor_attributes(definitions: list[dict]) -> list[dict]:
    """What the pop-up's Select attribute list offers: every standard field, then the custom ones."""
    options = [{"path": spec.name, "label": spec.label, "type": EDITOR_TYPES[spec.input_type], "group": "standard"}
               for spec in STANDARD_FIELDS]
    options += [{"path": f"attributes.{d['name']}", "label": d["label"] or d["name"], "type": d["type"], "group": "custom"}
                for d in definitions]
    return options


# A batch edit of more matching profiles than this (or of every profile) is confirmed by typing its size.
CONFIRM_THRESHOLD = 1000


def editor_config(definitions: list[dict], filters: Mapping[str, Any], *, filter_words: list[str]) -> dict:
    """What the pop-up's script reads (rendered with json_script, never as markup)."""
    return {"attributes": editor_attributes(definitions), "filter": dict(filters), "filterWords": filter_words,
            "confirmThreshold": CONFIRM_THRESHOLD, "sexChoices": SEX_CHOICES, "anonymousTypes": ANONYMOUS_TYPES}
