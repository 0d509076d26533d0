"""Role checks for views: one decorator for pages, one helper per model for object access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from vendorsync.models import ExceptionCase, Team
from vendorsync.roles import perm

View = Callable[..., HttpResponse]


def require_perm(*codenames: str) -> Callable[[View], View]:
    """Anonymous → login page; signed in without the permission → 403 (any of ``codenames`` will do)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(request.user.has_perm(perm(c)) for c in codenames):
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def can_work(user: Any, case: ExceptionCase) -> bool:
    needed = "work_finance_exceptions" if case.owner_team == Team.FINANCE else "work_ops_exceptions"
    return bool(user.has_perm(perm(needed)))


def get_exception_for(user: Any, public_id: Any) -> ExceptionCase:
    """The exception a user may see (every role with the queue sees both teams' cases, read-only)."""
    if not user.has_perm(perm("view_exceptions")):
        raise PermissionDenied("Your role does not include the exception queue.")
    return get_object_or_404(
        ExceptionCase.objects.select_related("assignee", "resolved_by"), public_id=public_id
    )
