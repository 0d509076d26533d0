"""Roles are Django groups granted the permissions declared on ``vendorsync.models.Access``.

`finance` prepares postings, `finance_approver` approves them (a second person), `ops` owns the
order flow and its exceptions, `admin` maintains mappings, users and connection settings.
A user may hold several roles (the demo `approver` holds finance and finance_approver), except
that `admin` never goes with a finance role; roles change only through `vendorsync/users.py`.
"""

from __future__ import annotations

from typing import Any

FINANCE = "finance"
FINANCE_APPROVER = "finance_approver"
OPS = "ops"
ADMIN = "admin"
ALL_ROLES = (FINANCE, FINANCE_APPROVER, OPS, ADMIN)

ROLE_PERMISSIONS: dict[str, set[str]] = {
    FINANCE: {
        "view_dashboard",
        "view_orders",
        "view_exceptions",
        "work_finance_exceptions",
        "view_reconciliation",
        "prepare_postings",
        "view_sync",
    },
    FINANCE_APPROVER: {
        "view_dashboard",
        "view_exceptions",
        "view_reconciliation",
        "approve_postings",
        "view_audit",
        "view_sync",
    },
    OPS: {
        "view_dashboard",
        "view_orders",
        "work_orders",
        "view_exceptions",
        "work_ops_exceptions",
        "view_sync",
    },
    ADMIN: {
        "view_dashboard",
        "view_orders",
        "view_exceptions",
        "view_reconciliation",
        "manage_mappings",
        "manage_settings",
        "view_audit",
        "view_sync",
    },
}


# Admins manage people in Django's user administration, which the admin role opens by itself
# (`admin_site.py`): they are neither staff nor superusers, and the admin role excludes the finance
# roles (`users.py`), so segregation of duties holds for them too (an admin cannot approve a posting).
ADMIN_AUTH_PERMISSIONS = ("view_user", "add_user", "change_user", "view_group")


def perm(codename: str) -> str:
    """Full permission name for ``user.has_perm``."""
    return f"vendorsync.{codename}"


def sync_roles(**kwargs: Any) -> None:
    """Create the role groups and grant exactly their permissions (idempotent)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from vendorsync.models import Access

    using = kwargs.get("using", "default")
    create_permissions(Access._meta.app_config, verbosity=0, using=using)
    create_permissions(apps.get_app_config("auth"), verbosity=0, using=using)
    by_codename = {p.codename: p for p in Permission.objects.filter(content_type__app_label="vendorsync")}
    auth_perms = list(
        Permission.objects.filter(content_type__app_label="auth", codename__in=ADMIN_AUTH_PERMISSIONS)
    )
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        granted = [by_codename[c] for c in sorted(codenames)]
        if role == ADMIN:
            granted += auth_perms
        group.permissions.set(granted)


def roles_of(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(g.name for g in user.groups.all() if g.name in ALL_ROLES)


def has_any_role(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or bool(roles_of(user))
