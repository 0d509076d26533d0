"""Storing shortage verdicts and keeping the ``disputable_shortage`` cases in step with them.

:func:`shortage_refresh` is the one state change: it recomputes the verdict of the given claims
(default: every shortage-claim line of a live remittance) from the evidence and writes only the
rows whose evidence changed, in bulk, with one audit row per verdict that changed. Re-running it
on unchanged data writes nothing (idempotent). Cases follow the verdict:

* a claim that becomes disputable raises ``disputable_shortage`` (finance) with the amount at
  risk, dedupe key ``disputable_shortage:<claim public_id>`` (one claim per remittance line);
* while it stays disputable, a changed amount updates the open case (a case a person or a
  dispute has closed is not reopened);
* a claim that stops being disputable (accept or insufficient) resolves its case automatically.

It makes no network call: it runs after imports, auto-match and the orders-out syncs (see
``reconciliation.apps``), each time after their own transactions have committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from reconciliation.models import RemittanceLine, RemittanceStatus
from reconciliation.shortage import evidence as ev
from reconciliation.shortage_models import ShortageClaim, ShortageVerdict, disputable_shortage_key
from vendorsync.models import ExceptionCase, ExceptionKind, Severity
from vendorsync.services import audit_record, exception_clear, exception_raise

FIELDS = (
    "verdict",
    "reason",
    "invoice_number",
    "purchase_order_number",
    "fc",
    "claim_date",
    "claimed_amount",
    "claimed_units",
    "invoiced_units",
    "shipped_units",
    "received_units",
    "disputable_units",
    "amount_at_risk",
    "invoice_id",
    "shipment_id",
    "fingerprint",
    "computed_at",
    "changed_at",
)


@dataclass
class RefreshResult:
    claims: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    raised: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims": self.claims,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "raised": self.raised,
            "resolved": self.resolved,
        } | {f"verdict_{k}": v for k, v in sorted(self.verdicts.items())}


def claim_lines() -> Any:
    """Shortage-claim lines of live (not superseded) remittances."""
    return RemittanceLine.objects.filter(line_type__in=ev.SHORTAGE_TYPES).exclude(
        remittance__status=RemittanceStatus.SUPERSEDED
    )


def shortage_refresh(
    *, line_ids: Iterable[int] | None = None, remittances: Iterable[Any] = ()
) -> RefreshResult:
    """Recompute and store the verdicts of shortage claims; raise or resolve their cases.

    ``line_ids`` or ``remittances`` narrow it to those claims; with neither, every live claim.
    """
    result = RefreshResult()
    result.resolved += _retire_superseded()
    lines = claim_lines()
    remittance_ids = [r.pk for r in remittances]
    if remittance_ids:
        lines = lines.filter(remittance_id__in=remittance_ids)
    if line_ids is not None:
        lines = lines.filter(pk__in=line_ids if isinstance(line_ids, QuerySet) else list(line_ids))
    ids = list(lines.values_list("pk", flat=True))
    result.claims = len(ids)
    if not ids:
        return result
    gathered = ev.gather(ids)
    now = timezone.now()
    transitions: list[tuple[ShortageClaim, str, ev.Evidence]] = []  # (claim, verdict before, evidence)
    with transaction.atomic():
        existing = {
            claim.line_id: claim
            for part in ev._chunks(ids)
            for claim in ShortageClaim.objects.select_for_update().filter(line_id__in=part)
        }
        new: list[ShortageClaim] = []
        changed: list[ShortageClaim] = []
        restated: set[int] = set()  # claims whose amount or reason changed (their open case follows)
        for evidence in gathered:
            result.verdicts[evidence.verdict] = result.verdicts.get(evidence.verdict, 0) + 1
            fingerprint = evidence.fingerprint()
            claim = existing.get(evidence.line_id)
            if claim is not None and claim.fingerprint == fingerprint:
                result.unchanged += 1
                continue
            before = claim.verdict if claim is not None else ""
            if claim is not None and (claim.amount_at_risk, claim.reason) != (
                evidence.amount_at_risk,
                evidence.reason,
            ):
                restated.add(claim.pk)
            values = {
                "verdict": evidence.verdict,
                "reason": evidence.reason,
                "invoice_number": evidence.invoice_number[:100],
                "purchase_order_number": evidence.purchase_order_number[:40],
                "fc": evidence.fc[:20],
                "claim_date": evidence.claim_date,
                "claimed_amount": evidence.claimed_amount,
                "claimed_units": evidence.claimed_units,
                "invoiced_units": evidence.invoiced_units,
                "shipped_units": evidence.shipped_units,
                "received_units": evidence.received_units,
                "disputable_units": evidence.disputable_units,
                "amount_at_risk": evidence.amount_at_risk,
                "invoice_id": (evidence.invoice or {}).get("id"),
                "shipment_id": (evidence.shipment or {}).get("id"),
                "fingerprint": fingerprint,
                "computed_at": now,
                "changed_at": now if before != evidence.verdict else (claim.changed_at if claim else now),
            }
            if claim is None:
                claim = ShortageClaim(line_id=evidence.line_id, **values)
                new.append(claim)
            else:
                for name, value in values.items():
                    setattr(claim, name, value)
                changed.append(claim)
            if before != evidence.verdict:
                transitions.append((claim, before, evidence))
        ShortageClaim.objects.bulk_create(new, batch_size=1000)
        ShortageClaim.objects.bulk_update(changed, FIELDS, batch_size=1000)
        result.created, result.updated = len(new), len(changed)
        # One audit row per verdict that changed (a claim's first verdict counts as a change).
        for claim, before, evidence in transitions:
            audit_record(
                actor=None,
                action="shortage.verdict",
                subject=claim,
                before={"verdict": before} if before else None,
                after={"verdict": evidence.verdict, "amount_at_risk": str(evidence.amount_at_risk)},
                reason=evidence.reason,
            )
    # Cases after the verdicts committed (each case change is its own audited transaction).
    for claim, before, evidence in transitions:
        if evidence.verdict == ShortageVerdict.DISPUTABLE:
            _raise(claim, evidence)
            result.raised += 1
        elif before == ShortageVerdict.DISPUTABLE:
            if exception_clear(
                dedupe_key=claim.case_key, note=f"Verdict is now {evidence.verdict}: {evidence.reason}"
            ):
                result.resolved += 1
    moved = {claim.pk for claim, _, _ in transitions}
    still = [
        c
        for c in changed
        if c.pk in restated and c.pk not in moved and c.verdict == ShortageVerdict.DISPUTABLE
    ]
    if still:
        open_keys = set(
            ExceptionCase.objects.open()
            .filter(dedupe_key__in=[c.case_key for c in still])
            .values_list("dedupe_key", flat=True)
        )
        by_line = {e.line_id: e for e in gathered}
        for claim in still:
            if claim.case_key in open_keys:  # touch with the new amount; never reopen a closed case
                _raise(claim, by_line[claim.line_id])
    return result


def _retire_superseded() -> int:
    """Resolve the open cases of claims whose remittance a revision superseded (two queries).

    The revision's lines are new rows with claims (and cases) of their own; the old one's case
    would otherwise stay open beside them.
    """
    keys = [
        disputable_shortage_key(public_id)
        for public_id in ShortageClaim.objects.filter(
            line__remittance__status=RemittanceStatus.SUPERSEDED, verdict=ShortageVerdict.DISPUTABLE
        ).values_list("public_id", flat=True)
    ]
    open_keys = [
        key
        for part in ev._chunks(keys)
        for key in ExceptionCase.objects.open()
        .filter(dedupe_key__in=part)
        .values_list("dedupe_key", flat=True)
    ]
    note = "The remittance was superseded by a revision; its claim is judged on the revision's line."
    return sum(1 for key in open_keys if exception_clear(dedupe_key=key, note=note))


def _raise(claim: ShortageClaim, evidence: ev.Evidence) -> None:
    shipment = evidence.shipment or {}
    exception_raise(
        kind=ExceptionKind.DISPUTABLE_SHORTAGE,
        dedupe_key=claim.case_key,
        message=f"Shortage claim {evidence.document_number} (payment {evidence.payment_number}): {evidence.reason}",
        subject_type="reconciliation.shortageclaim",
        subject_id=str(claim.public_id),
        severity=Severity.MEDIUM,
        amount_at_risk=evidence.amount_at_risk,
        details={
            "claim": evidence.document_number,
            "payment_number": evidence.payment_number,
            "invoice": evidence.invoice_number,
            "purchase_order": evidence.purchase_order_number,
            "shipment": shipment.get("shipment_identifier", ""),
            "disputable_units": evidence.disputable_units,
            "claimed_amount": str(evidence.claimed_amount),
        },
    )


# Claims a sync can still change in a way that matters: Amazon takes shortage disputes for claims up
# to a few weeks old (its "Review/Dispute Shortages" page lists those under 30 days), so a sync
# re-judges the last 120 days' claims; older ones keep their verdict unless re-run on demand.
FOLLOW_DAYS = 120


def refresh_after_flow(run: Any) -> RefreshResult:
    """``vendorsync.flows.after_flow`` callback: the recent claims (a fixed number of queries)."""
    since = timezone.localdate() - timedelta(days=FOLLOW_DAYS)
    recent = claim_lines().filter(Q(remittance__payment_date__gte=since) | Q(shortage__isnull=True))
    return shortage_refresh(line_ids=recent.values_list("pk", flat=True))


def disputable_shortage_keys(*, line_ids: Iterable[int]) -> dict[int, str]:
    """Line id → dedupe key of its ``disputable_shortage`` case (for disputes, which resolve it).

    Remittance lines have no public id of their own (a UUID index slowed imports), so the key names
    the line's ``ShortageClaim``: ``disputable_shortage:<claim public_id>``, one claim per line.
    """
    return {
        line_id: disputable_shortage_key(public_id)
        for line_id, public_id in ShortageClaim.objects.filter(line_id__in=list(line_ids)).values_list(
            "line_id", "public_id"
        )
    }
