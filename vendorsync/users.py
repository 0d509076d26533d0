"""User services: the one place that creates users, changes their roles, flags and passwords.

Every path goes through here — the user administration (`vendorsync/admin.py`), `seed_demo`,
`grant_admin` — so segregation of duties is enforced once:

- the ``admin`` role and the finance roles (``finance``, ``finance_approver``) are mutually
  exclusive: whoever manages users never also prepares or approves postings;
- the ``admin`` role is granted and revoked only on the server (``actor=None``: a management
  command run by someone with shell access), never from a web page, so an admin cannot create a
  second admin who then edits the first;
- nobody sets or learns another person's password from the web: users get a one-time
  set-password link by email and choose the password themselves. Only the server may set a
  password directly (``seed_demo``), and that is audited too.

``actor=None`` means "the server" throughout; a web request always passes the signed-in user.
Each function writes its ``AuditEvent`` in the same transaction as the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from vendorsync.roles import ADMIN, ALL_ROLES, FINANCE, FINANCE_APPROVER
from vendorsync.services import audit_record

logger = logging.getLogger(__name__)

FINANCE_ROLES = frozenset({FINANCE, FINANCE_APPROVER})
# Fields a person may change in the user administration; the rest only on the server or by a superuser.
PROFILE_FIELDS = frozenset({"username", "first_name", "last_name", "is_active"})
# The address a set-password link goes to decides who can set the password: an admin who could
# change it could send the approver's link to themselves.
PRIVILEGED_FIELDS = frozenset({"email", "is_staff", "is_superuser"})


def snapshot(user: Any) -> dict[str, Any]:
    """What the audit log records about a user before and after a change."""
    return {
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "active": user.is_active,
        "superuser": user.is_superuser,
        "staff": user.is_staff,
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def validate_roles(roles: Iterable[str]) -> set[str]:
    """The roles as a set, or ``ValidationError`` if they break segregation of duties."""
    wanted = set(roles)
    unknown = wanted - set(ALL_ROLES)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}.", code="unknown_role")
    finance = wanted & FINANCE_ROLES
    if ADMIN in wanted and finance:
        raise ValidationError(
            f"The admin role cannot be combined with {' or '.join(sorted(finance))}: whoever manages "
            "users must not also prepare or approve postings.",
            code="segregation_of_duties",
        )
    return wanted


def _require_user_manager(actor: Any, user: Any | None) -> None:
    """Refuse an actor who may not manage ``user`` (``None`` = a new user). The server may."""
    if actor is None:
        return
    if not actor.has_perm("auth.change_user"):
        raise PermissionDenied("Your role does not include the user administration.")
    if user is not None and not actor.is_superuser:
        if user.pk == actor.pk:
            raise PermissionDenied("Nobody changes their own access; ask another admin.")
        if user.is_superuser:
            raise PermissionDenied("Only a superuser changes a superuser.")


def _current_roles(user: Any) -> set[str]:
    return set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))


def _apply_roles(user: Any, roles: set[str]) -> None:
    """Replace the user's VendorSync roles; other groups (a superuser's business) are kept."""
    others = list(user.groups.exclude(name__in=ALL_ROLES))
    user.groups.set([*others, *Group.objects.filter(name__in=roles)])


def user_set_roles(*, actor: Any, user: Any, roles: Iterable[str], reason: str = "") -> Any:
    """Give ``user`` exactly ``roles``. Only the server (``actor=None``) adds or removes ``admin``."""
    wanted = validate_roles(roles)
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        _require_user_manager(actor, user)
        current = _current_roles(user)
        if actor is not None and (ADMIN in current) != (ADMIN in wanted):
            raise PermissionDenied(
                "The admin role is granted and revoked on the server: python manage.py grant_admin USER."
            )
        if wanted == current:
            return user
        before = snapshot(user)
        _apply_roles(user, wanted)
        audit_record(
            actor=actor,
            action="user.roles_changed",
            subject=user,
            subject_id=user.get_username(),
            before=before,
            after=snapshot(user),
            reason=reason,
        )
    return user


def user_grant_admin(*, user: Any, revoke: bool = False, reason: str = "") -> Any:
    """Grant (or revoke) the admin role. Server only: there is no actor, only a shell on the server."""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        current = _current_roles(user)
        wanted = (current - {ADMIN}) if revoke else (current | {ADMIN})
        if wanted == current:
            return user
        validate_roles(wanted)
        before = snapshot(user)
        _apply_roles(user, wanted)
        audit_record(
            actor=None,
            action="user.admin_revoked" if revoke else "user.admin_granted",
            subject=user,
            subject_id=user.get_username(),
            before=before,
            after=snapshot(user),
            reason=reason,
        )
    return user


def _check_email_free(email: str, *, exclude_pk: Any = None) -> None:
    # One address, one person: otherwise an admin could send a new account's link to their own inbox.
    taken = get_user_model().objects.filter(email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if email and taken.exists():
        raise ValidationError({"email": "Another user already has this email address."})


def user_create(
    *,
    actor: Any,
    username: str,
    email: str,
    roles: Iterable[str] = (),
    first_name: str = "",
    last_name: str = "",
    reason: str = "",
) -> Any:
    """Create a user without a usable password; they set one through a link (see below)."""
    wanted = validate_roles(roles)
    _require_user_manager(actor, None)
    if actor is not None and ADMIN in wanted:
        raise PermissionDenied("The admin role is granted on the server: python manage.py grant_admin USER.")
    if actor is not None and not email:
        raise ValidationError({"email": "A new user needs an email address for their set-password link."})
    User = get_user_model()
    with transaction.atomic():
        _check_email_free(email)
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        _apply_roles(user, wanted)
        audit_record(
            actor=actor,
            action="user.created",
            subject=user,
            subject_id=user.get_username(),
            after={**snapshot(user), "email": email},
            reason=reason,
        )
    return user


def user_update(*, actor: Any, user: Any, changes: dict[str, Any], reason: str = "") -> Any:
    """Change profile fields and flags. Email, staff and superuser: only the server or a superuser."""
    allowed = PROFILE_FIELDS | PRIVILEGED_FIELDS
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Not a user field that can be changed here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        _require_user_manager(actor, user)
        changed = {f: v for f, v in changes.items() if getattr(user, f) != v}
        if not changed:
            return user
        privileged = set(changed) & PRIVILEGED_FIELDS
        if privileged and actor is not None and not actor.is_superuser:
            raise PermissionDenied(
                f"{', '.join(sorted(privileged))} can only be changed by a superuser or on the server."
            )
        if "email" in changed:
            _check_email_free(changed["email"], exclude_pk=user.pk)
        before = {f: getattr(user, f) for f in changed}
        for field, value in changed.items():
            setattr(user, field, value)
        user.full_clean(exclude=["password"])
        user.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="user.changed",
            subject=user,
            subject_id=user.get_username(),
            before=before,
            after=changed,
            reason=reason,
        )
    return user


def user_set_password(*, user: Any, password: str, reason: str) -> Any:
    """Set a password directly: server only (``seed_demo``). People use the emailed link instead."""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            actor=None,
            action="user.password_set",
            subject=user,
            subject_id=user.get_username(),
            reason=reason,
        )
    return user


def password_link(user: Any, base_url: str) -> str:
    """A one-time link: the token stops working once the password changes or the user logs in."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def _send_link(username: str, email: str, link: str) -> None:
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    try:
        send_mail(
            subject="Set your VendorSync password",
            message=(
                f"Hello {username},\n\nchoose your VendorSync password here:\n\n{link}\n\n"
                f"The link works once and expires in {days} day(s). If you did not expect this "
                "message, tell your VendorSync administrator.\n"
            ),
            from_email=None,
            recipient_list=[email],
        )
    except OSError:
        # The audit row is committed; the admin can send another link once mail works again.
        logger.exception("Could not send the set-password link to user %s", username)


def user_send_password_link(*, actor: Any, user: Any, base_url: str) -> Any:
    """Email ``user`` a one-time set-password link (sent after commit: no network in a transaction)."""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        _require_user_manager(actor, user)
        if not user.email:
            raise ValidationError(
                f"{user.get_username()} has no email address; a superuser or the server must add one first."
            )
        if not user.is_active:
            raise ValidationError(f"{user.get_username()} is inactive; activate the account first.")
        link = password_link(user, base_url)
        audit_record(
            actor=actor,
            action="user.password_link_sent",
            subject=user,
            subject_id=user.get_username(),
            after={"email": user.email},
        )
        username, email = user.get_username(), user.email
        transaction.on_commit(lambda: _send_link(username, email, link))
    return user


def user_password_set_by_link(*, user: Any) -> None:
    """Audit a password the user chose through their link (the form has just saved it)."""
    audit_record(actor=user, action="user.password_set_by_link", subject=user, subject_id=user.get_username())
