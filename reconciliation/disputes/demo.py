"""The sandbox demo's disputes: so a new user sees disputes and their recoveries after `make run`.

Finance would open these in Vendor Central and record them here; in the demo the system does it
for the oldest claims (three shortages, one price claim), the shortage evidence's disputable
verdicts first where that is installed. The simulated Amazon reverses a share of its claims on
later payment runs (``…SCR``), which ``dispute_recoveries_match`` then recognises as recoveries.
Never runs outside sandbox mode; never opens more once the targets are met.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.models import Case, IntegerField, Value, When

from reconciliation.close_models import Dispute, DisputeKind
from reconciliation.disputes.selectors import disputable_lines
from reconciliation.disputes.services import dispute_open
from reconciliation.models import LineType

TARGETS = {
    DisputeKind.SHORTAGE: ([LineType.SHORTAGE], 3),
    DisputeKind.PRICE_CLAIM: ([LineType.PRICE_CLAIM], 1),
}


def demo_disputes() -> int:
    """Open the demo's missing disputes; returns how many were opened (0 outside sandbox mode)."""
    if not settings.SANDBOX:
        return 0
    opened = 0
    for kind, (line_types, target) in TARGETS.items():
        missing = target - Dispute.objects.filter(kind=kind).count()
        if missing <= 0:
            continue
        candidates = disputable_lines().filter(line_type__in=line_types)
        try:
            apps.get_model("reconciliation", "ShortageClaim")
            candidates = candidates.annotate(
                disputable=Case(
                    When(shortage__verdict="disputable", then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            ).order_by("disputable", "remittance__payment_date", "remittance_id", "sequence")
        except LookupError:
            candidates = candidates.order_by("remittance__payment_date", "remittance_id", "sequence")
        for line in candidates[:missing]:
            dispute_open(
                lines=[line],
                user=None,
                reference=f"VC-{line.document_number}",
                note="Opened by the sandbox demo (finance records Vendor Central disputes here).",
            )
            opened += 1
    return opened
