"""Alerts: an immediate email for high-severity cases, an hourly digest per team, an optional webhook.

Rules:
- A case alerts **once**. Sending claims the case first (``ExceptionCase.alerted_at`` set in a
  transaction that skips rows another sweep holds), then sends after the commit — never a network
  call inside a transaction. A crash between the two loses that alert rather than sending it twice;
  the case is still in the queue and on the dashboard.
- Cases whose severity is in ``ALERT_IMMEDIATE_SEVERITIES`` (high, critical) go out on the next sweep
  (``vendorsync.tasks.health_sweep``, every ``HEALTH_SWEEP_SECONDS``), one email per case.
- Every other new case waits for its team's digest, sent when the team's oldest unreported case is
  ``ALERT_DIGEST_SECONDS`` old: each case is reported within about an hour, and a team receives at
  most one digest per period, without any schedule state to keep.
- Recipients per team come from ``VENDORSYNC_ALERT_EMAILS_OPS`` / ``_FINANCE``; the webhook
  (``VENDORSYNC_ALERT_WEBHOOK_URL``, Slack-compatible ``{"text": ...}``) receives every alert. When a
  team has no channel at all its cases are left unclaimed, so configuring alerts later still reports
  what is new (the migration marked cases older than the feature as already alerted).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from vendorsync import services
from vendorsync.models import OPEN_STATUSES, ExceptionCase, Team
from vendorsync.words import team_label, when

logger = logging.getLogger(__name__)


def _recipients(team: str) -> list[str]:
    return list(settings.ALERT_EMAILS.get(team, []))


def _has_channel(team: str) -> bool:
    return bool(_recipients(team) or settings.ALERT_WEBHOOK_URL)


def _claim(candidates: Iterable[int], *, channel: str, now: datetime) -> list[ExceptionCase]:
    """Mark cases as alerted and return those this sweep won (a case is claimed by one sweep only)."""
    with transaction.atomic():
        query = ExceptionCase.objects.filter(pk__in=list(candidates), alerted_at__isnull=True).order_by("id")
        query = (
            query.select_for_update(skip_locked=True) if settings.IS_POSTGRES else query.select_for_update()
        )
        claimed = list(query)
        if not claimed:
            return []
        ExceptionCase.objects.filter(pk__in=[c.pk for c in claimed]).update(alerted_at=now)
        for case in claimed:
            case.alerted_at = now
            services.audit_record(
                actor=None, action="exception.alerted", subject=case, after={"channel": channel}
            )
        return claimed


def _case_line(case: ExceptionCase) -> str:
    amount = f" · {case.amount_at_risk} at risk" if case.amount_at_risk is not None else ""
    return (
        f"- {case.get_kind_display()} ({case.get_severity_display()}{amount}): {case.message[:200]}\n"
        f"  {settings.SITE_URL}{case.get_absolute_url()}"
    )


def _deliver(team: str, subject: str, body: str) -> None:
    recipients = _recipients(team)
    if recipients:
        try:
            send_mail(subject, body, None, recipients)
        except Exception:  # noqa: BLE001 - the case is in the queue regardless; log and go on
            logger.exception("Could not email the %s alert %r", team, subject)
    if settings.ALERT_WEBHOOK_URL:
        try:
            response = httpx.post(
                settings.ALERT_WEBHOOK_URL,
                json={"text": f"*{subject}*\n{body}"},
                timeout=settings.HTTP_TIMEOUT_SECONDS,
            )
            response.raise_for_status()
        except httpx.HTTPError:
            logger.exception("Could not post the %s alert %r to the webhook", team, subject)


def send_immediate_alerts(*, now: datetime | None = None) -> int:
    """One email (and webhook post) per new high-severity case; returns how many cases alerted."""
    now = now or timezone.now()
    teams = [team for team in Team.values if _has_channel(team)]
    candidates = list(
        ExceptionCase.objects.filter(
            alerted_at__isnull=True,
            status__in=OPEN_STATUSES,
            severity__in=settings.ALERT_IMMEDIATE_SEVERITIES,
            owner_team__in=teams,
        )
        .order_by("first_seen_at")
        .values_list("pk", flat=True)[:200]
    )
    if not candidates:
        return 0
    claimed = _claim(candidates, channel="immediate", now=now)
    for case in claimed:
        subject = f"[VendorSync] {case.get_severity_display()}: {case.get_kind_display()} ({team_label(case.owner_team)})"
        body = (
            f"A new {case.get_severity_display().lower()} exception for {team_label(case.owner_team)}, "
            f"first seen {when(case.first_seen_at)}.\n\n{_case_line(case)}\n"
        )
        transaction.on_commit(lambda team=case.owner_team, s=subject, b=body: _deliver(team, s, b))
    return len(claimed)


def send_digests(*, now: datetime | None = None) -> dict[str, int]:
    """Each team's digest of new cases, once its oldest unreported case is a digest period old."""
    now = now or timezone.now()
    period = timedelta(seconds=settings.ALERT_DIGEST_SECONDS)
    unreported = ExceptionCase.objects.filter(alerted_at__isnull=True)
    oldest = dict(unreported.values_list("owner_team").annotate(first=Min("first_seen_at")).order_by())
    sent: dict[str, int] = {}
    for team, first in oldest.items():
        if not _has_channel(team) or now - first < period:
            continue
        candidates = list(
            unreported.filter(owner_team=team).order_by("first_seen_at").values_list("pk", flat=True)[:500]
        )
        claimed = _claim(candidates, channel="digest", now=now)
        # Cases closed before the digest went out are not news: claimed (never reported later), not listed.
        listed = [case for case in claimed if case.status in OPEN_STATUSES]
        sent[team] = len(listed)
        if not listed:
            continue
        subject = (
            f"[VendorSync] {len(listed)} new {team_label(team)} exception{'s' if len(listed) != 1 else ''}"
        )
        body = _digest_body(team, listed, since=first)
        transaction.on_commit(lambda team=team, s=subject, b=body: _deliver(team, s, b))
    return sent


def _digest_body(team: str, cases: list[ExceptionCase], *, since: datetime) -> str:
    by_kind: dict[str, int] = {}
    for case in cases:
        by_kind[case.get_kind_display()] = by_kind.get(case.get_kind_display(), 0) + 1
    summary = ", ".join(f"{label} {n}" for label, n in sorted(by_kind.items(), key=lambda kv: -kv[1]))
    lines = "\n".join(_case_line(case) for case in cases[:50])
    more = f"\n…and {len(cases) - 50} more in the queue." if len(cases) > 50 else ""
    queue = f"{settings.SITE_URL}/exceptions/?owner_team={team}&status=unresolved"
    return (
        f"New {team_label(team)} exceptions since {when(since)}: {summary}.\n\n{lines}{more}\n\n"
        f"The queue: {queue}\n"
    )
