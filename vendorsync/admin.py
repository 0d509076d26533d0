"""User administration for the admin role: audited, and unable to escalate anyone's privileges.

Admins change people's roles in Django's user administration. They are not superusers, so:
- the superuser/staff flags and direct permissions are not on their form (only roles are);
- the roles they can give are VendorSync's four roles, nothing else;
- they cannot edit a superuser, nor their own account (nobody approves their own access);
- every change of roles, flags or active state, and every password reset, writes an
  ``AuditEvent`` in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from vendorsync.roles import ALL_ROLES
from vendorsync.services import audit_record

User = get_user_model()
_PRIVILEGED_FIELDS = {"is_superuser", "is_staff", "user_permissions"}


def _snapshot(user: Any) -> dict[str, Any]:
    return {
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "active": user.is_active,
        "superuser": user.is_superuser,
        "staff": user.is_staff,
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


class AuditedUserAdmin(UserAdmin):
    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in _PRIVILEGED_FIELDS]})
            for name, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ALL_ROLES).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return not obj.is_superuser and obj.pk != request.user.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        request._vendorsync_before = _snapshot(stored) if stored else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_vendorsync_before", None)
        after = _snapshot(form.instance)
        if before != after:
            audit_record(
                actor=request.user,
                action="user.roles_changed" if change else "user.created",
                subject=form.instance,
                subject_id=form.instance.get_username(),
                before=before,
                after=after,
            )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:  # noqa: A002
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                target = User.objects.get(pk=id)
                audit_record(
                    actor=request.user,
                    action="user.password_reset",
                    subject=target,
                    subject_id=target.get_username(),
                )
        return response


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
