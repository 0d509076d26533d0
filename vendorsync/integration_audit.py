"""The integration audit: configuration and data gaps, each with its count, owner and a link to fix it.

Checks are registered, like flows and metrics, so each app contributes the gaps it can see. The core
registers the checks it owns (flows that never succeeded or lag, deliveries stuck). The orders and
reconciliation apps add theirs in ``AppConfig.ready()``:

    from vendorsync.integration_audit import AuditResult, register_audit_check
    register_audit_check("items_without_xref", label="Items ordered in the last 30 days with no cross-reference",
                         owner_team=Team.OPS, fn=items_without_xref, link="/orders/items/?xref=missing",
                         fix="Add the ASIN or vendor SKU cross-reference for each item.")

``fn()`` returns an :class:`AuditResult` (the count of gaps, optionally a few examples and a more
precise link) in a bounded number of queries. Expected checks nobody registered yet are listed as
"not checked yet", so the report never looks cleaner than it is. Run it from the page
(``/integration-audit/``) or ``python manage.py audit_integration [--json]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy

from vendorsync import flows
from vendorsync.models import OutboxMessage, OutboxState, Team
from vendorsync.words import team_label

logger = logging.getLogger(__name__)


@dataclass
class AuditResult:
    count: int
    examples: list[str] = field(default_factory=list)  # a few named gaps ("Purchase orders: last error …")
    link: str = ""  # overrides the registered link


@dataclass(frozen=True)
class AuditCheck:
    key: str
    label: str
    owner_team: str
    fn: Callable[[], AuditResult]
    link: Any  # a string or a lazy URL
    fix: str
    order: int


# Checks issue 13 asks for that other apps implement: key, label, owner team, providing app.
EXPECTED_CHECKS: list[tuple[str, str, str, str]] = [
    ("items_without_xref", "Items ordered recently with no cross-reference", Team.OPS, "orders"),
    ("pos_closing_with_open_lines", "POs whose windows close with open lines", Team.OPS, "orders"),
    ("unmapped_deduction_codes", "Deduction codes seen with no GL mapping", Team.FINANCE, "reconciliation"),
    ("gl_accounts_missing", "GL accounts referenced but missing in NetSuite", Team.FINANCE, "reconciliation"),
]

_CHECKS: dict[str, AuditCheck] = {}


def register_audit_check(
    key: str,
    *,
    label: str,
    owner_team: str,
    fn: Callable[[], AuditResult],
    link: Any = "",
    fix: str = "",
    order: int = 100,
) -> None:
    _CHECKS[key] = AuditCheck(
        key=key, label=label, owner_team=owner_team, fn=fn, link=link, fix=fix, order=order
    )


def unregister_audit_check(key: str) -> None:
    _CHECKS.pop(key, None)


@dataclass
class Finding:
    key: str
    label: str
    owner_team: str
    count: int | None  # None: not checked (no provider, or the check failed)
    examples: list[str]
    link: str
    fix: str
    note: str = ""

    @property
    def owner_label(self) -> str:
        return team_label(self.owner_team)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "owner": self.owner_label,
            "count": self.count,
            "examples": self.examples,
            "link": self.link,
            "fix": self.fix,
            "note": self.note,
        }


def run_audit() -> list[Finding]:
    """Run every registered check; list expected checks nobody provides as not checked."""
    findings: list[Finding] = []
    for check in sorted(_CHECKS.values(), key=lambda c: (c.order, c.key)):
        try:
            result = check.fn()
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            logger.exception("Integration audit check %s failed", check.key)
            findings.append(
                Finding(
                    check.key,
                    check.label,
                    check.owner_team,
                    None,
                    [],
                    str(check.link),
                    check.fix,
                    note=f"The check failed: {type(exc).__name__}: {exc}"[:300],
                )
            )
            continue
        findings.append(
            Finding(
                check.key,
                check.label,
                check.owner_team,
                result.count,
                result.examples[:5],
                str(result.link or check.link),
                check.fix,
            )
        )
    for key, label, team, app in EXPECTED_CHECKS:
        if key not in _CHECKS:
            findings.append(
                Finding(
                    key,
                    label,
                    team,
                    None,
                    [],
                    "",
                    "",
                    note=f"Not checked yet: the {app} app does not provide this check.",
                )
            )
    return findings


# --- Core checks ----------------------------------------------------------------------------------


def _flows_never_succeeded() -> AuditResult:
    rows = [row for row in flows.flow_status() if row["last_success"] is None]
    return AuditResult(
        count=len(rows),
        examples=[
            f"{row['flow'].label}: "
            + (f"last error {row['last'].error[:120]}" if row["last"] and row["last"].error else "never ran")
            for row in rows
        ],
    )


def _flows_lagging() -> AuditResult:
    now = timezone.now()
    rows = [
        row
        for row in flows.flow_status()
        if row["last_success"] is not None
        and now - row["last_success"] > timedelta(seconds=row["flow"].freshness_seconds)
    ]
    return AuditResult(
        count=len(rows),
        examples=[
            f"{row['flow'].label}: last success {row['last_success']:%Y-%m-%d %H:%M %Z}" for row in rows
        ],
    )


# A delivery waiting this long without going out is stuck, whatever its state says.
STUCK_AFTER = timedelta(hours=1)


def _outbox_stuck() -> AuditResult:
    now = timezone.now()
    counts = OutboxMessage.objects.aggregate(
        review=Count("id", filter=Q(state__in=[OutboxState.NEEDS_REVIEW, OutboxState.DEAD])),
        waiting=Count(
            "id",
            filter=Q(
                state__in=[OutboxState.PENDING, OutboxState.RETRY], next_attempt_at__lt=now - STUCK_AFTER
            ),
        ),
        sending=Count(
            "id",
            filter=Q(
                state=OutboxState.SENDING,
                claimed_at__lt=now - timedelta(seconds=settings.TASK_TIME_LIMIT * 2),
            ),
        ),
    )
    examples = []
    if counts["review"]:
        examples.append(f"{counts['review']} need review or gave up")
    if counts["waiting"]:
        examples.append(f"{counts['waiting']} due for over an hour and not sent (is the worker running?)")
    if counts["sending"]:
        examples.append(f"{counts['sending']} in sending far longer than a task may run")
    return AuditResult(count=sum(counts.values()), examples=examples)


def register_core_checks() -> None:
    # Lazy: this runs in AppConfig.ready(), before the URLconf may be imported.
    sync_url = reverse_lazy("sync_runs")
    register_audit_check(
        "flows_never_succeeded",
        label="Sync flows that never succeeded",
        owner_team=Team.OPS,
        fn=_flows_never_succeeded,
        link=sync_url,
        fix="Open the flow's last error on the sync page, fix the cause (credentials, mapping) and run it.",
        order=10,
    )
    register_audit_check(
        "flows_lagging",
        label="Sync flows lagging behind their freshness threshold",
        owner_team=Team.OPS,
        fn=_flows_lagging,
        link=sync_url,
        fix="Each lagging flow has a Sync failed case with its last error and a Re-run button.",
        order=20,
    )
    register_audit_check(
        "outbox_stuck",
        label="Deliveries to NetSuite or Amazon that are stuck",
        owner_team=Team.OPS,
        fn=_outbox_stuck,
        link=format_lazy("{}?state=needs_review", sync_url),
        fix="Review each delivery's last error, fix the cause and send it again; check the worker runs.",
        order=30,
    )
