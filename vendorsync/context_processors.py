from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from vendorsync.roles import roles_of


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: connection mode and the user's roles."""
    return {
        "connection_mode": "Sandbox" if settings.SANDBOX else "Production",
        "user_roles": roles_of(getattr(request, "user", None)),
    }
