"""Create the demo users finance, approver, ops and admin; later issues add their demo data here.

By default only missing users are created: a user that already exists keeps its password, groups
and flags, so re-running the command (or restarting a container that runs it) never undoes a
password change. ``--reset`` puts the demo users back to the demo password and their demo roles;
`make run` passes it in development so the password it prints always works.

Production refuses to seed unless ``--allow-production`` is given and ``VENDORSYNC_DEMO_PASSWORD``
is set to a password other than the published default (and passes the password validators).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from vendorsync.roles import ADMIN, FINANCE, FINANCE_APPROVER, OPS, sync_roles
from vendorsync.users import user_create, user_set_password, user_set_roles, user_update

DEFAULT_DEMO_PASSWORD = "vendorsync-demo"  # noqa: S105 - a documented demo password, overridable
PASSWORD_ENV = "VENDORSYNC_DEMO_PASSWORD"
DEMO_USERS: dict[str, tuple[str, ...]] = {
    "finance": (FINANCE,),
    "approver": (FINANCE, FINANCE_APPROVER),
    "ops": (OPS,),
    "admin": (ADMIN,),
}


class Command(BaseCommand):
    help = (
        "Create the missing demo users finance, approver, ops and admin. Existing users are left "
        "alone unless --reset is given. Refused in production unless --allow-production is given "
        f"and {PASSWORD_ENV} is set to a non-default password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also reset existing demo users to the demo password and their demo roles.",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help=f"Allow seeding in production (needs {PASSWORD_ENV} set to a non-default password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        env_password = os.environ.get(PASSWORD_ENV, "")
        password = env_password or DEFAULT_DEMO_PASSWORD
        production = bool(getattr(settings, "PRODUCTION", False))
        if production:
            self._check_production(options["allow_production"], env_password)

        sync_roles()
        User = get_user_model()
        created: list[str] = []
        reset: list[str] = []
        kept: list[str] = []
        # Through the user services, like every other path: roles checked for segregation of duties,
        # every change audited (actor "system", reason "seed_demo").
        with transaction.atomic():
            for username, roles in DEMO_USERS.items():
                user = User.objects.select_for_update().filter(username=username).first()
                if user is None:
                    user = user_create(
                        actor=None,
                        username=username,
                        email=f"{username}@example.com",
                        roles=roles,
                        reason="seed_demo",
                    )
                    created.append(username)
                elif options["reset"]:
                    # The admin role opens the user administration (admin_site.py): no staff flag.
                    user_update(
                        actor=None,
                        user=user,
                        changes={"is_active": True, "is_staff": False, "is_superuser": False},
                        reason="seed_demo --reset",
                    )
                    user_set_roles(actor=None, user=user, roles=roles, reason="seed_demo --reset")
                    reset.append(username)
                else:
                    kept.append(username)
                    continue
                user_set_password(user=user, password=password, reason="seed_demo")

        # Never echo a real (production) password into logs.
        shown = "the password in $" + PASSWORD_ENV if production else password
        if created:
            self.stdout.write(f"Created demo users: {', '.join(created)} — password: {shown}")
        if reset:
            self.stdout.write(f"Reset demo users: {', '.join(reset)} — password: {shown}")
        if kept:
            self.stdout.write(
                f"Left existing demo users unchanged: {', '.join(kept)} (use --reset to restore "
                "their demo password and roles)"
            )

    def _check_production(self, allowed: bool, env_password: str) -> None:
        if not allowed or not env_password or env_password == DEFAULT_DEMO_PASSWORD:
            raise CommandError(
                "seed_demo refuses to run in production: it creates users with a shared password. "
                f"To create the first users on purpose, pass --allow-production and set {PASSWORD_ENV} "
                f"to a strong password other than the published default '{DEFAULT_DEMO_PASSWORD}'."
            )
        try:
            validate_password(env_password)
        except ValidationError as exc:
            raise CommandError(
                f"{PASSWORD_ENV} is too weak for production: {' '.join(exc.messages)}"
            ) from exc
