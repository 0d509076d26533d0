"""Create the demo users (idempotent); later issues add their demo data here."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from vendorsync.roles import ADMIN, FINANCE, FINANCE_APPROVER, OPS, sync_roles

DEFAULT_DEMO_PASSWORD = "vendorsync-demo"  # noqa: S105 - a documented demo password, overridable
DEMO_USERS: dict[str, tuple[str, ...]] = {
    "finance": (FINANCE,),
    "approver": (FINANCE, FINANCE_APPROVER),
    "ops": (OPS,),
    "admin": (ADMIN,),
}


class Command(BaseCommand):
    help = "Create or refresh the demo users finance, approver, ops and admin."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("VENDORSYNC_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        sync_roles()
        User = get_user_model()
        with transaction.atomic():
            for username, roles in DEMO_USERS.items():
                user, _ = User.objects.get_or_create(
                    username=username, defaults={"email": f"{username}@example.com"}
                )
                user.set_password(password)
                user.is_staff = False  # the admin role opens the user administration (admin_site.py)
                user.is_superuser = False
                user.save()
                user.groups.set(Group.objects.filter(name__in=roles))
        self.stdout.write(f"Demo users: {', '.join(DEMO_USERS)} — password: {password}")
