"""Accounting periods and their locks: nothing posts into a locked period.

Periods come from NetSuite (the ``periods`` flow reads ``accountingperiod`` by SuiteQL; only
monthly posting periods are kept — quarters and years overlap them and take no postings) or are
configured by finance where NetSuite has none. A period is closed for posting when it is locked
here (by a finance approver, with a reason; unlocking needs one too), or closed / A/R-locked in
NetSuite (NetSuite itself would refuse the records). Periods never overlap: checked here, under a
lock of the period table's rows, because a range-exclusion constraint is not portable to SQLite.

Who may lock: ``finance_approver`` only, by explicit group membership (no superuser bypass, the
same rule as approving a batch). The admin role never holds a finance duty (DESIGN.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reconciliation.posting_models import AccountingPeriod, PeriodSource
from vendorsync.roles import FINANCE_APPROVER
from vendorsync.services import audit_record

PERIODS_QUERY = (
    "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, "
    "TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, isquarter, isyear, closed, aplocked, arlocked, alllocked "
    "FROM accountingperiod WHERE isquarter = 'F' AND isyear = 'F' ORDER BY id"
)


def in_role(user: Any, role: str) -> bool:
    """Explicit membership of a role group. Deliberately not ``has_perm``: a superuser holds every
    permission, and segregation of duties must not have a bypass."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.groups.filter(name=role).exists()


def may_lock_periods(user: Any) -> bool:
    return in_role(user, FINANCE_APPROVER)


def _require_locker(user: Any) -> None:
    if not may_lock_periods(user):
        raise PermissionDenied("Only a finance approver may lock, unlock or configure accounting periods.")


def _snapshot(period: AccountingPeriod) -> dict[str, Any]:
    return {
        "name": period.name,
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
        "locked": period.locked,
        "closed_in_netsuite": period.closed_in_netsuite,
        "ar_locked_in_netsuite": period.ar_locked_in_netsuite,
    }


def describe_closed(period: AccountingPeriod) -> str:
    """Why nothing may post into ``period`` (which, who, when, why)."""
    if period.locked:
        who = period.locked_by.get_username() if period.locked_by else "someone"
        when = timezone.localtime(period.locked_at).strftime("%Y-%m-%d %H:%M") if period.locked_at else ""
        reason = f": {period.lock_reason}" if period.lock_reason else ""
        return f"Period {period.name} is locked by {who} since {when}{reason}."
    if period.closed_in_netsuite:
        return f"Period {period.name} is closed in NetSuite."
    return f"Period {period.name} is locked for A/R in NetSuite."


def period_check_open(day: date) -> AccountingPeriod:
    """The open period holding ``day``; ``ValidationError`` naming the period (and who locked it)
    if it is locked or closed, or saying that no period covers the date."""
    period = AccountingPeriod.objects.select_related("locked_by").for_date(day)
    if period is None:
        raise ValidationError(
            f"No accounting period covers {day.isoformat()}: sync periods or configure one."
        )
    if period.closed:
        raise ValidationError(describe_closed(period))
    return period


def _check_no_overlap(start: date, end: date, *, exclude: int | None = None) -> None:
    clash = (
        AccountingPeriod.objects.select_for_update()
        .filter(start_date__lte=end, end_date__gte=start)
        .exclude(pk=exclude)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            f"{start.isoformat()}–{end.isoformat()} overlaps period {clash.name} "
            f"({clash.start_date.isoformat()}–{clash.end_date.isoformat()})."
        )


def period_configure(*, user: Any, name: str, start_date: date, end_date: date) -> AccountingPeriod:
    """A period finance configures where NetSuite has none (source ``configured``)."""
    _require_locker(user)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the period a name (e.g. Nov 2026)."})
    if end_date < start_date:
        raise ValidationError({"end_date": "The period ends before it starts."})
    with transaction.atomic():
        _check_no_overlap(start_date, end_date)
        period = AccountingPeriod.objects.create(
            name=name[:60], start_date=start_date, end_date=end_date, source=PeriodSource.CONFIGURED
        )
        audit_record(
            actor=user, action="accounting_period.configured", subject=period, after=_snapshot(period)
        )
    return period


def period_lock(*, period: AccountingPeriod, user: Any, reason: str = "") -> AccountingPeriod:
    _require_locker(user)
    with transaction.atomic():
        period = AccountingPeriod.objects.select_for_update().get(pk=period.pk)
        if period.locked:
            raise ValidationError(f"Period {period.name} is already locked.")
        before = _snapshot(period)
        period.locked, period.locked_by, period.locked_at = True, user, timezone.now()
        period.lock_reason = reason.strip()
        period.save(update_fields=["locked", "locked_by", "locked_at", "lock_reason"])
        audit_record(
            actor=user,
            action="accounting_period.locked",
            subject=period,
            before=before,
            after=_snapshot(period),
            reason=period.lock_reason,
        )
    return period


def period_unlock(*, period: AccountingPeriod, user: Any, reason: str) -> AccountingPeriod:
    _require_locker(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the period is reopened."})
    with transaction.atomic():
        period = AccountingPeriod.objects.select_for_update().get(pk=period.pk)
        if not period.locked:
            raise ValidationError(f"Period {period.name} is not locked.")
        before = _snapshot(period)
        period.locked, period.locked_by, period.locked_at, period.lock_reason = False, None, None, ""
        period.save(update_fields=["locked", "locked_by", "locked_at", "lock_reason"])
        audit_record(
            actor=user,
            action="accounting_period.unlocked",
            subject=period,
            before=before,
            after=_snapshot(period),
            reason=reason,
        )
    return period


@dataclass(frozen=True)
class _Row:
    netsuite_id: str
    name: str
    start: date
    end: date
    closed: bool
    ar_locked: bool


def _parse(row: dict[str, str]) -> _Row | None:
    if (row.get("isquarter") or "F") == "T" or (row.get("isyear") or "F") == "T":
        return None
    try:
        start, end = date.fromisoformat(row["startdate"][:10]), date.fromisoformat(row["enddate"][:10])
    except (KeyError, TypeError, ValueError):
        raise ValidationError(f"Accounting period {row.get('id')!r}: unreadable dates {row!r}.") from None
    return _Row(
        netsuite_id=str(row["id"]),
        name=(row.get("periodname") or start.strftime("%b %Y"))[:60],
        start=start,
        end=end,
        closed=row.get("closed") == "T",
        ar_locked=row.get("arlocked") == "T" or row.get("alllocked") == "T",
    )


def periods_sync(*, rows: list[dict[str, str]], actor: Any = None) -> dict[str, int]:
    """Upsert NetSuite's monthly periods (by NetSuite id; a configured period with the same dates is
    adopted). A NetSuite period overlapping a configured one with other dates is skipped and counted
    as a conflict. Local locks are never touched by a sync."""
    parsed = [p for p in (_parse(row) for row in rows) if p is not None]
    created = updated = conflicts = 0
    now = timezone.now()
    with transaction.atomic():
        existing = list(AccountingPeriod.objects.select_for_update())
        by_id = {p.netsuite_id: p for p in existing if p.netsuite_id}
        by_dates = {(p.start_date, p.end_date): p for p in existing}
        for row in parsed:
            period = by_id.get(row.netsuite_id) or by_dates.get((row.start, row.end))
            values = {
                "netsuite_id": row.netsuite_id,
                "name": row.name,
                "start_date": row.start,
                "end_date": row.end,
                "source": PeriodSource.NETSUITE,
                "closed_in_netsuite": row.closed,
                "ar_locked_in_netsuite": row.ar_locked,
            }
            if period is None:
                overlaps = any(p.start_date <= row.end and p.end_date >= row.start for p in existing)
                if overlaps:
                    conflicts += 1
                    continue
                period = AccountingPeriod.objects.create(synced_at=now, **values)
                existing.append(period)
                created += 1
            elif any(getattr(period, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(period, key, value)
                period.synced_at = now
                period.save()
                updated += 1
        if created or updated or conflicts:
            audit_record(
                actor=actor,
                action="accounting_periods.synced",
                subject_type=AccountingPeriod._meta.label_lower,
                subject_id="netsuite",
                after={"created": created, "updated": updated, "conflicts": conflicts},
            )
    return {"periods": len(parsed), "created": created, "updated": updated, "conflicts": conflicts}
