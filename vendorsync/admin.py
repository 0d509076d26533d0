"""User administration for the admin role: audited, and unable to escalate anyone's privileges.

Admins manage people in Django's user administration. Every change goes through the services in
`vendorsync/users.py` (which write the audit rows), so the same rules hold here as on the server:
- the superuser/staff flags, direct permissions and the email address are not editable by them
  (the email decides who receives a set-password link);
- the roles they can give are VendorSync's roles except ``admin``, which is granted on the server
  (``manage.py grant_admin``); the admin role and the finance roles exclude each other;
- they cannot edit a superuser, nor their own account (nobody approves their own access);
- they never set a password: a new user gets a one-time set-password link by email, and the
  "password" page of a user sends another link instead of showing a password form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from vendorsync import users
from vendorsync.roles import ADMIN, ALL_ROLES
from vendorsync.services import audit_record

User = get_user_model()
_PRIVILEGED_FIELDS = {"is_superuser", "is_staff", "user_permissions"}
_NO_PASSWORD_HELP = (
    "Nobody sets another person's password here. “Reset password” emails the user a one-time link "
    "to choose a new one."
)


def _role_names(groups: Any) -> set[str]:
    return {g.name for g in groups or () if g.name in ALL_ROLES}


class _RolesCheckedMixin:
    """Validates the roles on the form with the same rule the service enforces, so it shows as an error."""

    def _kept_roles(self) -> set[str]:
        # The admin role is not on the form (it is granted on the server) but stays if the user has it.
        instance = getattr(self, "instance", None)
        if instance is None or instance.pk is None:
            return set()
        return {ADMIN} & set(instance.groups.values_list("name", flat=True))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        if "groups" in cleaned:
            try:
                users.validate_roles(_role_names(cleaned["groups"]) | self._kept_roles())
            except ValidationError as exc:
                self.add_error("groups", exc)  # type: ignore[attr-defined]
        return cleaned


class UserAddForm(_RolesCheckedMixin, forms.ModelForm):
    """A new user: name, email and roles. No password: the user sets it through the emailed link."""

    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name", "groups")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "The one-time link to set a password is sent here."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("Another user already has this email address.")
        return email


class UserEditForm(_RolesCheckedMixin, UserChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].help_text = _NO_PASSWORD_HELP


class AuditedUserAdmin(UserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    add_form_template = None  # Django's asks for a password first; ours asks for none
    add_fieldsets = ((None, {"fields": ("username", "email", "first_name", "last_name", "groups")}),)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in _PRIVILEGED_FIELDS]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            readonly.append("email")
        return readonly

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            groups = Group.objects.exclude(name=ADMIN)
            if not request.user.is_superuser:
                groups = groups.filter(name__in=ALL_ROLES)
            kwargs["queryset"] = groups.order_by("name")
            kwargs["help_text"] = (
                "The admin role is not offered here: it is granted on the server "
                "(manage.py grant_admin) and excludes the finance roles."
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return not obj.is_superuser and obj.pk != request.user.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def _wanted_roles(self, form: Any, obj: Any) -> set[str]:
        kept = {ADMIN} & {g.name for g in obj.groups.all()} if obj.pk else set()
        return _role_names(form.cleaned_data.get("groups")) | kept

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The admin's changeform view runs in a transaction, so the services' audit rows commit with it.
        if not change:
            created = users.user_create(
                actor=request.user,
                username=obj.username,
                email=obj.email,
                first_name=obj.first_name,
                last_name=obj.last_name,
                roles=_role_names(form.cleaned_data.get("groups")),
            )
            obj.pk, obj.password = created.pk, created.password
            obj._state.adding = False
            users.user_send_password_link(
                actor=request.user, user=created, base_url=request.build_absolute_uri("/")
            )
            return
        fields = {f for f in form.changed_data if f in users.PROFILE_FIELDS | users.PRIVILEGED_FIELDS}
        users.user_update(actor=request.user, user=obj, changes={f: getattr(obj, f) for f in fields})

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            return  # user_create gave the roles
        obj = form.instance
        users.user_set_roles(actor=request.user, user=obj, roles=self._wanted_roles(form, obj))
        if request.user.is_superuser:
            # Only a superuser's form has direct permissions and groups outside VendorSync's roles.
            before = users.snapshot(obj)
            other_groups = [g for g in form.cleaned_data.get("groups", ()) if g.name not in ALL_ROLES]
            obj.groups.set([*obj.groups.filter(name__in=ALL_ROLES), *other_groups])
            obj.user_permissions.set(form.cleaned_data.get("user_permissions", ()))
            after = users.snapshot(obj)
            if before != after:
                audit_record(
                    actor=request.user,
                    action="user.permissions_changed",
                    subject=obj,
                    subject_id=obj.get_username(),
                    before=before,
                    after=after,
                )

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> HttpResponse:
        messages.info(request, f"A one-time link to set a password was emailed to {obj.email}.")
        return super().response_add(request, obj, post_url_continue)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:  # noqa: A002
        """Instead of a password form: confirm, then email the user a one-time set-password link."""
        target = self.get_object(request, unquote(id))
        if target is None:
            raise Http404("No such user.")
        if not self.has_change_permission(request, target):
            raise PermissionDenied
        change_url = reverse("admin:auth_user_change", args=[target.pk])
        if request.method == "POST":
            try:
                users.user_send_password_link(
                    actor=request.user, user=target, base_url=request.build_absolute_uri("/")
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"A one-time link to set a password was emailed to {target.email}.")
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reset the password of {target.get_username()}",
            "target": target,
            "opts": self.opts,
            "original": target,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/auth/user/send_password_link.html", context)


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
