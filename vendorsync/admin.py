"""User administration with audited role changes.

Admins change people's roles in Django's user administration; each change of roles or of the
active flag writes an ``AuditEvent`` in the same transaction as the change (the admin wraps a save
in one transaction), so "who gave whom the approver role, when" is in the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from vendorsync.services import audit_record

User = get_user_model()


def _snapshot(user: Any) -> dict[str, Any]:
    return {"roles": sorted(user.groups.values_list("name", flat=True)), "active": user.is_active}


class AuditedUserAdmin(UserAdmin):
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


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
