from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from vendorsync.roles import roles_of


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: connection mode and the user's roles."""
    # Cached on the request: django-tables2 renders tables with the request's context processors
    # again, and the roles need a query.
    if not hasattr(request, "_vendorsync_roles"):
        request._vendorsync_roles = roles_of(getattr(request, "user", None))
    return {
        "connection_mode": "Sandbox" if settings.SANDBOX else "Production",
        "user_roles": request._vendorsync_roles,
    }
