"""django-axes with two limits: per account and address (guessing one password), per address (spraying).

Axes compares one failure count with one limit, so listing ``"ip_address"`` next to
``["username", "ip_address"]`` in ``AXES_LOCKOUT_PARAMETERS`` would lock a whole office out after the
per-account limit (5). This handler keeps the per-account count and adds the address's count with
its own, higher limit (``AXES_ADDRESS_FAILURE_LIMIT``): 30 user names × 1 password from one address
is refused after 20 failures. A successful log-in clears only that account's failures from that
address, so a sprayer cannot reset the address's count by logging in to their own account.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.db.models import Sum
from django.http import HttpRequest


class AccountAndAddressHandler(AxesDatabaseHandler):
    def address_failures(self, request: HttpRequest) -> int:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)  # type: ignore[attr-defined]
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The account's failures, or the account limit itself once the address has spent its own."""
        failures = super().get_failures(request, credentials)
        if self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, settings.AXES_FAILURE_LIMIT)
        return failures
