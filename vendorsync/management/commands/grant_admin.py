"""Grant or revoke the admin role: done on the server, never from a web page (segregation of duties)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vendorsync.roles import sync_roles
from vendorsync.users import user_grant_admin


class Command(BaseCommand):
    help = (
        "Give USER the admin role (the user administration, mappings, settings), or take it away with "
        "--revoke. Refused for a user who holds a finance role: admins never prepare or approve postings. "
        "Audited as user.admin_granted / user.admin_revoked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user's login name.")
        parser.add_argument("--revoke", action="store_true", help="Take the admin role away instead.")
        parser.add_argument("--reason", default="", help="Why (kept in the audit log).")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user named {username!r}. Create them in the user administration first.")
        sync_roles()  # the admin group exists even on a database that was never seeded
        reason = (
            options["reason"]
            or ("revoked" if options["revoke"] else "granted") + " with manage.py grant_admin"
        )
        try:
            user_grant_admin(user=user, revoke=options["revoke"], reason=reason)
        except ValidationError as exc:
            raise CommandError(
                f"{username}: {' '.join(exc.messages)} Remove the finance roles first."
            ) from exc
        state = "no longer has" if options["revoke"] else "now has"
        self.stdout.write(f"{username} {state} the admin role.")
