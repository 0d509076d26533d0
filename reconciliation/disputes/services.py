"""Dispute writes: open a dispute on claim lines, record its reference/outcome, find its recoveries.

Every function is a state change under ``transaction.atomic`` with its audit row in the same
transaction. Recoveries are matched set-based: one query for the disputed lines still owed money,
one for the candidate lines by document number, one bulk insert, one pass of totals — whatever the
number of disputes.

Recovery rules (the document numbers tie; Amazon's own suffix scheme, reference §remittances):
- ``<claim>R`` (``…SCR``, ``…PCR``, ``…SCRSCR``) reverses the claim: pays it back, positive;
- ``<claim>RSC`` (``…SCRSC``) is a revised claim after a reversal: takes part back, negative;
- a positive line carrying the claim's own document number on a later payment repays it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reconciliation.models import (
    Dispute,
    DisputeKind,
    DisputeLine,
    DisputeRecovery,
    DisputeStatus,
    LineType,
    RecoverySource,
    RemittanceLine,
    RemittanceStatus,
    ShortageClaim,
)
from vendorsync.models import ExceptionCase, ExceptionKind
from vendorsync.roles import perm
from vendorsync.services import audit_record, exception_resolve

ZERO = Decimal("0.00")

# Claim line types a dispute may cover, and the dispute kind each belongs to.
DISPUTABLE_TYPES = {
    LineType.SHORTAGE: DisputeKind.SHORTAGE,
    LineType.SHORTAGE_REVISED: DisputeKind.SHORTAGE,
    LineType.PRICE_CLAIM: DisputeKind.PRICE_CLAIM,
}


def _require(actor: Any) -> None:
    if actor is not None and not actor.has_perm(perm("prepare_postings")):
        raise PermissionDenied("Your role cannot dispute claims.")


def disputable_case_keys(lines: Sequence[RemittanceLine]) -> list[str]:
    """Dedupe keys of the ``disputable_shortage`` cases the shortage evidence raised for ``lines``."""
    return [claim.case_key for claim in ShortageClaim.objects.filter(line__in=list(lines))]


def _line_label(line: RemittanceLine) -> str:
    return f"Line {line.sequence} ({line.document_number}) of payment {line.remittance.payment_number}"


@transaction.atomic
def dispute_open(
    *, lines: Sequence[RemittanceLine], user: Any, reference: str = "", note: str = ""
) -> Dispute:
    """Open one dispute covering ``lines`` (shortage or price claims of one kind, none disputed yet).

    Resolves the open ``disputable_shortage`` case of each line (the dispute is the answer to it)
    and picks up any recovery already imported for them.
    """
    _require(user)
    if not lines:
        raise ValidationError("Choose at least one claim line to dispute.")
    locked = list(
        RemittanceLine.objects.select_for_update(of=("self",))
        .select_related("remittance")
        .filter(pk__in=[line.pk for line in lines])
        .order_by("remittance__payment_date", "remittance_id", "sequence")
    )
    already = set(DisputeLine.objects.filter(line__in=locked).values_list("line_id", flat=True))
    kinds = set()
    for line in locked:
        if line.line_type not in DISPUTABLE_TYPES:
            raise ValidationError(
                f"{_line_label(line)} is a {line.get_line_type_display()}: only shortage "
                "and price claims can be disputed."
            )
        if line.remittance.status == RemittanceStatus.SUPERSEDED:
            raise ValidationError(f"{_line_label(line)} belongs to a superseded payment.")
        if line.amount_paid >= 0:
            raise ValidationError(f"{_line_label(line)} deducts nothing (amount {line.amount_paid}).")
        if line.pk in already:
            raise ValidationError(f"{_line_label(line)} is already disputed.")
        kinds.add(DISPUTABLE_TYPES[line.line_type])
    if len(kinds) > 1:
        raise ValidationError("A dispute covers one kind of claim: dispute shortages and price claims apart.")
    dispute = Dispute.objects.create(
        kind=kinds.pop(),
        reference=reference.strip(),
        note=note.strip(),
        disputed_amount=sum((-line.amount_paid for line in locked), ZERO),
        claimed_on=min(line.remittance.payment_date for line in locked),
        opened_by=user if getattr(user, "is_authenticated", False) else None,
    )
    DisputeLine.objects.bulk_create(
        [DisputeLine(dispute=dispute, line=line, amount=-line.amount_paid) for line in locked]
    )
    audit_record(
        actor=user,
        action="dispute.opened",
        subject=dispute,
        after={
            "kind": dispute.kind,
            "reference": dispute.reference,
            "amount": str(dispute.disputed_amount),
            "lines": [line.document_number for line in locked],
        },
    )
    keys = disputable_case_keys(locked)
    for case in ExceptionCase.objects.open().filter(
        kind=ExceptionKind.DISPUTABLE_SHORTAGE, dedupe_key__in=keys
    ):
        exception_resolve(case=case, actor=None, auto=True, note=f"Disputed: {dispute}.")
    _match([dispute.pk])
    dispute.refresh_from_db()
    return dispute


@transaction.atomic
def dispute_update(
    *,
    dispute: Dispute,
    user: Any,
    reference: str | None = None,
    status: str | None = None,
    note: str | None = None,
) -> Dispute:
    """Record Amazon's case reference and/or the outcome finance has been told (audited)."""
    _require(user)
    locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
    before = {"reference": locked.reference, "status": locked.status, "note": locked.note}
    if status is not None:
        if status not in DisputeStatus.values:
            raise ValidationError(f"Status {status!r} is not one of {', '.join(DisputeStatus.values)}.")
        # "Won" before the money arrives is allowed (Amazon agreed); the figures say what came back.
        locked.status = status
        locked.decided_at = None if status == DisputeStatus.OPEN else timezone.now()
    if reference is not None:
        locked.reference = reference.strip()
    if note is not None:
        locked.note = note.strip()
    locked.save(update_fields=["reference", "status", "note", "decided_at"])
    audit_record(
        actor=user,
        action="dispute.updated",
        subject=locked,
        before=before,
        after={"reference": locked.reference, "status": locked.status, "note": locked.note},
    )
    return locked


@transaction.atomic
def dispute_recovery_record(*, dispute_line: DisputeLine, line: RemittanceLine, user: Any) -> DisputeRecovery:
    """Record by hand that ``line`` pays back ``dispute_line`` (when the numbers do not tie)."""
    _require(user)
    if DisputeRecovery.objects.filter(line=line).exists():
        raise ValidationError(f"Line {line.document_number} already pays back a disputed claim.")
    if DisputeLine.objects.filter(line=line).exists():
        raise ValidationError(f"Line {line.document_number} is itself a disputed claim.")
    if line.remittance.status == RemittanceStatus.SUPERSEDED:
        raise ValidationError(f"Line {line.document_number} belongs to a superseded payment.")
    recovery = DisputeRecovery.objects.create(
        dispute_line=dispute_line,
        line=line,
        amount=line.amount_paid,
        paid_on=line.remittance.payment_date,
        source=RecoverySource.MANUAL,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    audit_record(
        actor=user,
        action="dispute.recovery_recorded",
        subject=dispute_line.dispute,
        after={"line": line.document_number, "amount": str(line.amount_paid)},
    )
    _refresh([dispute_line.dispute_id])
    return recovery


def _candidates(claim: RemittanceLine) -> dict[str, int]:
    """Document numbers that pay back (+1) or re-claim (−1) ``claim``."""
    doc = claim.document_number
    return {f"{doc}R": 1, f"{doc}RSC": -1, doc: 1}


def _match(dispute_ids: Iterable[int] | None = None) -> int:
    """Link recovery lines to disputed lines by document number; returns how many were linked."""
    claims = DisputeLine.objects.select_related("line__remittance", "dispute")
    if dispute_ids is not None:
        claims = claims.filter(dispute_id__in=list(dispute_ids))
    claims = list(claims)
    if not claims:
        return 0
    wanted: dict[str, list[tuple[DisputeLine, int]]] = defaultdict(list)
    for claim in claims:
        for number, sign in _candidates(claim.line).items():
            wanted[number].append((claim, sign))
    taken = set(DisputeRecovery.objects.values_list("line_id", flat=True))
    disputed = set(DisputeLine.objects.values_list("line_id", flat=True))
    found = (
        RemittanceLine.objects.filter(document_number__in=list(wanted))
        .exclude(remittance__status=RemittanceStatus.SUPERSEDED)
        .exclude(pk__in=taken)
        .select_related("remittance")
        .order_by("remittance__payment_date", "pk")
    )
    new: list[DisputeRecovery] = []
    for line in found:
        if line.pk in disputed:
            continue  # the claim itself, or a revised claim that is disputed on its own
        for claim, sign in wanted[line.document_number]:
            if line.remittance.payment_date < claim.line.remittance.payment_date or line.pk == claim.line_id:
                continue  # only a later (or same-day, other) payment pays a claim back
            if (sign > 0) != (line.amount_paid > 0):
                continue  # a reversal pays, a revision takes; anything else is not this claim's
            new.append(
                DisputeRecovery(
                    dispute_line=claim,
                    line=line,
                    amount=line.amount_paid,
                    paid_on=line.remittance.payment_date,
                    source=RecoverySource.AUTO,
                )
            )
            break
    if not new:
        return 0
    DisputeRecovery.objects.bulk_create(new)
    by_dispute: dict[int, list[DisputeRecovery]] = defaultdict(list)
    for recovery in new:
        by_dispute[recovery.dispute_line.dispute_id].append(recovery)
    for found_for in by_dispute.values():
        audit_record(
            actor=None,
            action="dispute.recovery_matched",
            subject=found_for[0].dispute_line.dispute,
            after={
                "lines": [r.line.document_number for r in found_for],
                "amount": str(sum((r.amount for r in found_for), ZERO)),
            },
        )
    touched = set(by_dispute)
    _refresh(touched)
    return len(new)


def _refresh(dispute_ids: Iterable[int]) -> None:
    """Recompute recovered amounts and the outcome a recovery implies (never overrides "lost" with
    nothing: a recovery on a lost dispute means Amazon changed its mind, so the outcome follows it)."""
    ids = list(dispute_ids)
    per_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    last: dict[int, Any] = {}
    for line_id, dispute_id, amount, paid_on in DisputeRecovery.objects.filter(
        dispute_line__dispute_id__in=ids
    ).values_list("dispute_line_id", "dispute_line__dispute_id", "amount", "paid_on"):
        per_line[line_id] += amount
        last[dispute_id] = max(last.get(dispute_id, paid_on), paid_on)
    lines = list(DisputeLine.objects.filter(dispute_id__in=ids))
    for line in lines:
        line.recovered = max(per_line[line.pk], ZERO).quantize(Decimal("0.01"))
    DisputeLine.objects.bulk_update(lines, ["recovered"])
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[line.dispute_id] += line.recovered
    now = timezone.now()
    for dispute in Dispute.objects.select_for_update().filter(pk__in=ids):
        recovered = min(totals[dispute.pk], dispute.disputed_amount)
        status = dispute.status
        if recovered >= dispute.disputed_amount:
            status = DisputeStatus.WON
        elif recovered > 0:
            status = DisputeStatus.PARTIALLY_WON
        elif status in (DisputeStatus.WON, DisputeStatus.PARTIALLY_WON) and dispute.recovered_amount > 0:
            status = DisputeStatus.OPEN  # what came back was taken again: the outcome is open again
        changed = status != dispute.status or recovered != dispute.recovered_amount
        if not changed:
            continue
        before = {"status": dispute.status, "recovered": str(dispute.recovered_amount)}
        dispute.recovered_amount = recovered
        dispute.recovered_on = last.get(dispute.pk)
        if status != dispute.status:
            dispute.decided_at = None if status == DisputeStatus.OPEN else now
        dispute.status = status
        dispute.save(update_fields=["recovered_amount", "recovered_on", "status", "decided_at"])
        audit_record(
            actor=None,
            action="dispute.recovered",
            subject=dispute,
            before=before,
            after={"status": status, "recovered": str(recovered)},
        )


def dispute_recoveries_match() -> int:
    """Find recoveries for every dispute not yet fully paid back (after each import / automatch and
    on demand). Idempotent: a line already linked is never linked again."""
    with transaction.atomic():
        return _match()
