"""Settings pages (admin only): custom attributes, API keys and users with their roles."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render

from dossier.accounts.access import browser_page
from dossier.accounts.models import ROLES, SCOPES, ApiKey, UserRole
from dossier.accounts.services import do_create_api_key, do_create_user, do_revoke_api_key
from dossier.profiles.attributes import TYPES, check_attribute_name
from dossier.profiles.errors import InvalidValue
from dossier.profiles.models import AttributeDefinition

admin_page = browser_page(read=("admin",), write=("admin",))


class AttributeForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="Letters, digits, _ . - starting with a letter; used in the API as attributes.NAME.")
    label = forms.CharField(max_length=255, required=False)
    type = forms.ChoiceField(choices=[(t, t) for t in TYPES])
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_name(self) -> str:
        try:
            name = check_attribute_name(self.cleaned_data["name"].strip())
        except InvalidValue as exc:
            raise ValidationError(exc.message) from None
        if AttributeDefinition.objects.filter(name=name).exists():
            raise ValidationError("A custom attribute with this name exists already.")
        return name


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple)


class UserForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES], initial="viewer")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        User = get_user_model()
        for validator in User._meta.get_field("username").validators:
            validator(username)
        if User.objects.filter(username=username).exists():
            raise ValidationError("A user with this name exists already.")
        return username


@admin_page
def settings_home(request):
    return redirect("settings-attributes")


@admin_page
def attribute_settings(request):
    form = AttributeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                AttributeDefinition.objects.create(name=data["name"], label=data["label"] or data["name"],
                                                   type=data["type"], description=data["description"])
        except IntegrityError:
            form.add_error("name", "A custom attribute with this name exists already.")
        else:
            messages.success(request, f"Custom attribute {data['name']} created.")
            return redirect("settings-attributes")
    return _render(request, "accounts/settings_attributes.html", "attributes", form,
                   attributes=AttributeDefinition.objects.order_by("name"))


@admin_page
def api_key_settings(request):
    form = ApiKeyForm()
    created = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        name = request.POST.get("name", "")
        if do_revoke_api_key(name):
            messages.success(request, f"API key {name} revoked.")
        return redirect("settings-api-keys")
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                key, raw = do_create_api_key(form.cleaned_data["name"].strip(), form.cleaned_data["scopes"])
            except ValueError as exc:
                form.add_error("name", str(exc))
            else:
                # The key is shown in this response only: it is stored hashed and never again readable.
                created = {"name": key.name, "raw": raw}
                form = ApiKeyForm()
    return _render(request, "accounts/settings_api_keys.html", "api-keys", form, created=created,
                   keys=ApiKey.objects.order_by("name"))


@admin_page
def user_settings(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_create_user(data["username"], data["password"], data["role"])
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            messages.success(request, f"User {data['username']} created with the role {data['role']}.")
            return redirect("settings-users")
    roles = dict(UserRole.objects.values_list("user_id", "role"))
    users = [{"username": u.username, "role": "admin" if u.is_superuser else roles.get(u.id, "viewer"), "last_login": u.last_login}
             for u in get_user_model().objects.order_by("username")]
    return _render(request, "accounts/settings_users.html", "users", form, users=users)


def _render(request, template: str, tab: str, form, **context):
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, template, {"nav": "settings", "tab": tab, "form": form, **context}, status=status)
