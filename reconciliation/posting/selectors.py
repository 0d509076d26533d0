"""Reads the posting pages share: candidates for a batch, and a batch's preview with its tie-out."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from reconciliation.models import Remittance, RemittanceStatus
from reconciliation.posting_models import LIVE_BATCH_STATUSES, PostingBatch, PostingEntry, RecordType

ZERO = Decimal("0.00")


def unbatched_remittances() -> QuerySet[Remittance]:
    """Live remittances that no live batch holds (the ones a new batch may take)."""
    held = PostingBatch.remittances.through.objects.filter(
        postingbatch__status__in=LIVE_BATCH_STATUSES
    ).values("remittance_id")
    return Remittance.objects.exclude(status=RemittanceStatus.SUPERSEDED).exclude(pk__in=held)


def live_batch_of(remittance: Remittance) -> PostingBatch | None:
    """The live batch holding ``remittance`` (at most one: building refuses a second)."""
    return remittance.posting_batches.filter(status__in=LIVE_BATCH_STATUSES).order_by("-pk").first()


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or "0"))


@dataclass
class PaymentTieOut:
    entry: PostingEntry
    payment: Decimal
    applied: Decimal
    credits: Decimal
    unresolved: list[str] = field(default_factory=list)  # credit/apply references to no entry of the batch

    @property
    def unapplied(self) -> Decimal:
        return self.payment + self.credits - self.applied

    @property
    def ties(self) -> bool:
        return not self.unresolved and self.unapplied >= 0


@dataclass
class JournalCheck:
    entry: PostingEntry
    debits: Decimal
    credits: Decimal

    @property
    def balances(self) -> bool:
        return self.debits == self.credits and self.debits > 0


@dataclass
class Preview:
    entries: list[PostingEntry]
    payments: list[PaymentTieOut]
    journals: list[JournalCheck]
    status_counts: dict[str, int]

    @property
    def applied(self) -> Decimal:
        return sum((p.applied for p in self.payments), ZERO)

    @property
    def credits(self) -> Decimal:
        return sum((p.credits for p in self.payments), ZERO)

    @property
    def payment(self) -> Decimal:
        return sum((p.payment for p in self.payments), ZERO)

    @property
    def unapplied(self) -> Decimal:
        return sum((p.unapplied for p in self.payments), ZERO)

    @property
    def ties(self) -> bool:
        return all(p.ties for p in self.payments) and all(j.balances for j in self.journals)


def batch_preview(batch: PostingBatch) -> Preview:
    """The tie-out proven from the stored record bodies (what NetSuite will receive): for every
    payment, applications − credits + unapplied = payment, each referenced credit or re-bill being a
    record of this batch with that amount; every journal's debits = credits. Two queries."""
    entries = list(
        batch.entries.select_related("gl_account", "remittance_line", "outbox_message").order_by("sequence")
    )
    by_eid = {e.external_id: e for e in entries}
    payments, journals = [], []
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.get_status_display()] = counts.get(entry.get_status_display(), 0) + 1
        body = entry.payload
        if entry.record_type == RecordType.JOURNAL_ENTRY:
            lines = body.get("line", {}).get("items", [])
            journals.append(
                JournalCheck(
                    entry,
                    sum((_amount(line.get("debit")) for line in lines), ZERO),
                    sum((_amount(line.get("credit")) for line in lines), ZERO),
                )
            )
        if entry.record_type != RecordType.CUSTOMER_PAYMENT:
            continue
        tie = PaymentTieOut(entry, _amount(body.get("payment")), ZERO, ZERO)
        for sublist in ("apply", "credit"):
            for line in body.get(sublist, {}).get("items", []):
                amount = _amount(line.get("amount"))
                eid = (line.get("doc") or {}).get("externalId")
                if eid is not None and (eid not in by_eid or by_eid[eid].amount != amount):
                    tie.unresolved.append(eid)
                if sublist == "apply":
                    tie.applied += amount
                else:
                    tie.credits += amount
        payments.append(tie)
    return Preview(entries=entries, payments=payments, journals=journals, status_counts=counts)
