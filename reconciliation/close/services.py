"""Closing a period: lock it from the close page once nothing stands in the way, or with a reason.

The lock itself is the posting side's ``period_lock`` (who may lock, the audit of the lock, and the
refusal of every later posting into the period live there). This adds the close's own rule: with
items still outstanding a lock needs a reason, and that reason is recorded with the list of what
was left open, in the same transaction as the lock.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from reconciliation.close.selectors import close_blockers
from reconciliation.posting.periods import period_lock
from reconciliation.posting_models import AccountingPeriod
from reconciliation.reporting import Span
from vendorsync.services import audit_record


def period_span(period: AccountingPeriod) -> Span:
    return Span(period.start_date, period.end_date, period.name)


@transaction.atomic
def close_lock(*, period: AccountingPeriod, user: Any, reason: str = "") -> AccountingPeriod:
    """Lock ``period``; refused while items are outstanding unless ``reason`` says why."""
    reason = reason.strip()
    blockers = close_blockers(period_span(period), period)
    if blockers and not reason:
        raise ValidationError(
            f"{len(blockers)} item(s) stand between this period and its close; fix them, or give a reason "
            "to lock it anyway."
        )
    if blockers:
        reason = f"{reason} (locked with {len(blockers)} open item(s))"
    locked = period_lock(period=period, user=user, reason=reason)
    audit_record(
        actor=user,
        action="close.locked",
        subject=period,
        after={"open_items": [b.message for b in blockers]},
        reason=reason,
    )
    return locked
