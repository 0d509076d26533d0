"""Words for codes: what people read instead of ``finance_approver``, ``exception.assigned`` or ``ops``.

One place for the labels so every page, the XLSX exports and the alerts say the same thing.
Unknown codes fall back to a readable form of the code (``some.new_action`` → "Some new action")
rather than disappearing, so a new action is never hidden.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from vendorsync.models import Team

ROLE_LABELS = {
    "finance": "Finance",
    "finance_approver": "Finance approver",
    "ops": "Operations",
    "admin": "Admin",
}

AUDIT_ACTION_LABELS = {
    "exception.raised": "Case opened",
    "shortage.verdict": "Shortage verdict changed",
    "exception.assigned": "Assigned",
    "exception.resolved": "Resolved",
    "exception.dismissed": "Dismissed",
    "exception.rerun_requested": "Re-run of the failed step requested",
    "exception.alerted": "Alert sent",
    "sync.started": "Sync started",
    "sync.finished": "Sync finished",
    "outbox.enqueued": "Delivery queued",
    "outbox.sending": "Delivery being sent",
    "outbox.sent": "Delivered",
    "outbox.retry": "Delivery failed; will retry",
    "outbox.needs_review": "Delivery needs review",
    "outbox.dead": "Delivery gave up",
    "outbox.reclaimed": "Delivery taken back from a stopped relay",
    "outbox.released": "Delivery put back in the queue",
    "outbox.requeued": "Delivery sent again",
    "user.created": "User created",
    "user.roles_changed": "Roles changed",
    "user.password_reset": "Password reset",
    # The PO timeline (orders app): what happened to a purchase order, in words.
    "purchase_order.imported": "PO received from Amazon",
    "purchase_order.changed": "PO changed by Amazon",
    "purchase_order.status": "Status changed",
    "purchase_order.lines_mapped": "Lines mapped to NetSuite items",
    "purchase_order.sales_order_created": "Sales order created in NetSuite",
    "purchase_order.sales_order_failed": "Sales order failed in NetSuite",
    "purchase_order.redecide": "Decided again from current stock",
    "acknowledgement.planned": "Acknowledgement decided",
    "acknowledgement.approved": "Acknowledgement approved",
    "acknowledgement.queued": "Acknowledgement queued",
    "acknowledgement.submitted": "Acknowledgement sent to Amazon",
    "acknowledgement.outcome": "Amazon answered the acknowledgement",
}

SUBJECT_LABELS = {
    "vendorsync.exceptioncase": "Exception",
    "vendorsync.outboxmessage": "Delivery",
    "vendorsync.syncrun": "Sync run",
    "auth.user": "User",
    "reconciliation.shortageclaim": "Shortage claim",
}


def _humanise(code: str) -> str:
    text = code.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, _humanise(code))


def team_label(code: str) -> str:
    try:
        return str(Team(code).label)
    except ValueError:
        return _humanise(code)


def audit_action_label(action: str) -> str:
    return AUDIT_ACTION_LABELS.get(action, _humanise(action))


def subject_label(subject_type: str) -> str:
    if not subject_type:
        return ""
    return SUBJECT_LABELS.get(subject_type, _humanise(subject_type.rsplit(".", 1)[-1]))


def flow_label(name: str) -> str:
    """The registry's label for a flow; the name itself for a flow no longer registered."""
    from vendorsync import flows

    try:
        return flows.get_flow(name).label
    except KeyError:
        return name


def when(value: datetime | None) -> str:
    """A time as people read it, always with its time zone ("2026-12-01 14:05 UTC")."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def age(value: datetime | None) -> str:
    """How long ago, in its largest unit ("3 days", "5 hours"); cheap enough for every queue row."""
    if value is None:
        return ""
    seconds = max(int((timezone.now() - value).total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "just now"
