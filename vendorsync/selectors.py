"""Reads that several pages share: the team overviews, the dashboard's aggregates, the queue's people.

Every function here runs a fixed number of queries whatever the number of rows (aggregates, never a
query per row), so the pages built on them keep their query budget with a year of data.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from vendorsync import flows
from vendorsync.filters import AGE_BUCKETS, age_bounds
from vendorsync.models import OPEN_STATUSES, ExceptionCase, OutboxMessage, OutboxState, Team
from vendorsync.roles import ROLE_PERMISSIONS
from vendorsync.words import team_label


def week_windows(*, weeks: int = 8, now: datetime | None = None) -> list[tuple[date, date]]:
    """The last ``weeks`` whole-day weeks ending today (local dates, oldest first, inclusive)."""
    today = timezone.localdate(now or timezone.now())
    return [
        (today - timedelta(days=7 * (i + 1) - 1), today - timedelta(days=7 * i))
        for i in reversed(range(weeks))
    ]


def day_start(day: date) -> datetime:
    """Midnight at the start of a local date, time-zone aware."""
    return timezone.make_aware(datetime.combine(day, time.min))


def exception_health(*, now: datetime | None = None, weeks: int = 8) -> dict[str, Any]:
    """The dashboard's exception figures in ONE query, whatever the number of cases.

    - open cases per kind and team, split into the queue's age buckets (every kind, never cut off),
      with the amount at risk and the last time each was seen;
    - the cases opened in each of the last ``weeks`` weeks (count and amount at risk), oldest first.

    Rows are grouped by kind and team over the cases that are open or were opened in the window;
    each figure is a filtered aggregate, so the database does it in a single pass.
    """
    now = now or timezone.now()
    is_open = Q(status__in=OPEN_STATUSES)
    annotations: dict[str, Any] = {
        "n": Count("id", filter=is_open),
        "at_risk": Sum("amount_at_risk", filter=is_open),
        "last": Max("last_seen_at", filter=is_open),
    }
    for key, _, _, _ in AGE_BUCKETS:
        oldest, newest = age_bounds(key, now)
        condition = is_open & Q(first_seen_at__lte=newest)
        if oldest is not None:
            condition &= Q(first_seen_at__gt=oldest)
        annotations[f"age_{key}"] = Count("id", filter=condition)
    windows = week_windows(weeks=weeks, now=now)
    for index, (first, last) in enumerate(windows):
        opened = Q(first_seen_at__gte=day_start(first), first_seen_at__lt=day_start(last + timedelta(days=1)))
        annotations[f"w{index}"] = Count("id", filter=opened)
        annotations[f"wa{index}"] = Sum("amount_at_risk", filter=opened)
    grouped = list(
        ExceptionCase.objects.filter(is_open | Q(first_seen_at__gte=day_start(windows[0][0])))
        .values("kind", "owner_team")
        .annotate(**annotations)
        .order_by("owner_team", "-n", "kind")
    )
    labels = dict(ExceptionCase._meta.get_field("kind").choices)
    rows = []
    for row in grouped:
        if not row["n"]:
            continue  # only opened (and closed) in the window: part of the trend, not of the open table
        row["label"] = labels.get(row["kind"], row["kind"])
        row["team_label"] = team_label(row["owner_team"])
        row["buckets"] = [(key, row[f"age_{key}"]) for key, _, _, _ in AGE_BUCKETS]
        rows.append(row)
    return {
        "rows": rows,
        "buckets": [(key, label) for key, label, _, _ in AGE_BUCKETS],
        "bucket_totals": [(key, sum(r[f"age_{key}"] for r in rows)) for key, _, _, _ in AGE_BUCKETS],
        "total": sum(r["n"] for r in rows),
        "by_team": {team: sum(r["n"] for r in rows if r["owner_team"] == team) for team in Team.values},
        "at_risk": sum((r["at_risk"] or Decimal("0") for r in rows), Decimal("0")),
        "trend": [
            {
                "first": first,
                "last": last,
                "label": f"{first:%d %b}",
                "count": sum(r[f"w{index}"] for r in grouped),
                "amount": sum((r[f"wa{index}"] or Decimal("0") for r in grouped), Decimal("0")),
            }
            for index, (first, last) in enumerate(windows)
        ],
    }


def outbox_counts() -> dict[str, int]:
    counts = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    return {
        "waiting": sum(
            counts.get(s, 0) for s in (OutboxState.PENDING, OutboxState.RETRY, OutboxState.SENDING)
        ),
        "attention": counts.get(OutboxState.NEEDS_REVIEW, 0) + counts.get(OutboxState.DEAD, 0),
    }


def sync_health(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per registered flow: last success, next run, last error and the lag since the last success."""
    now = now or timezone.now()
    rows = flows.flow_status()
    for row in rows:
        row["lag"] = (now - row["last_success"]) if row["last_success"] else None
        row["last_error"] = row["last"].error if row["last"] is not None else ""
    return rows


def teams_workable_by_role() -> dict[str, set[str]]:
    """Which teams' cases each role may work, from the role definitions."""
    return {
        role: {team for team in Team.values if f"work_{team}_exceptions" in codenames}
        for role, codenames in ROLE_PERMISSIONS.items()
    }


def colleagues_by_team() -> dict[str, list[str]]:
    """Active users who can work each team's cases, by user name (one query).

    Superusers are left out: nobody should be handed day-to-day cases through an account that
    bypasses segregation of duties.
    """
    by_role = teams_workable_by_role()
    result: dict[str, set[str]] = {team: set() for team in Team.values}
    for username, role in (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[r for r, teams in by_role.items() if teams])
        .values_list("username", "groups__name")
    ):
        for team in by_role.get(role, ()):
            result[team].add(username)
    return {team: sorted(names) for team, names in result.items()}
