"""The NetSuite records of a posting batch, built from reconciled remittances (pure: no database).

One record per charge, never a summary (DESIGN.md §1 principle 4), then one customer payment per
remittance (Amazon pays one ACH per payment number):

* a deduction line (negative: shortage, price claim, chargeback, co-op, price protection, provision,
  a separate terms-discount line…) → a credit memo whose one line is the other-charge item booking
  to the line's GL account (style ``credit_memo``, NetSuite reference §13.3 A), or an A/R journal
  entry — Dr the GL account, Cr A/R with the Amazon customer as entity (style ``journal``, §13.3 B);
* the terms discount taken on an invoice, and a residual written off within tolerance → the same
  kind of record, to the discount / write-off account;
* a positive deduction line (a claim Amazon reverses and pays back: SCR, provision reversal) → an
  invoice re-billing it with the account's item (§13.1), which the payment then applies;
* the customer payment: ``apply`` = the invoices (NetSuite ids from the A/R sync) for cash +
  discount + write-off, and the re-bills; ``credit`` = every credit memo / journal above, referenced
  by external id (the credits are posted first, so NetSuite resolves them).

Tie-out, per remittance and for the batch: applications − credits + unapplied = payment amount,
where ``unapplied`` is the cash no match explained (the batch is blocked above the tolerance); each
journal entry balances. ``tests/reconciliation/test_posting_properties.py`` checks both for any
reconciled remittance. Amounts are ``Decimal`` here and decimal strings in the record bodies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

CREDIT_MEMO = "creditMemo"
JOURNAL_ENTRY = "journalEntry"
CUSTOMER_PAYMENT = "customerPayment"
INVOICE = "invoice"

MEMO_MAX = 999  # NetSuite's memo field length
DESCRIPTION_MAX = 255


@dataclass(frozen=True)
class Account:
    pk: int
    netsuite_id: str
    number: str
    item_id: str = ""  # the other-charge item booking to it ("" = none)


@dataclass(frozen=True)
class LineIn:
    pk: int
    sequence: int
    document_number: str
    label: str  # the line type's label ("Shortage claim (SC)")
    is_deduction: bool  # coded to a GL account rather than applied to an invoice
    amount_paid: Decimal
    applied: Decimal  # cash applied to invoices by accepted matches
    account: Account | None = None  # the deduction's GL account (None = unmapped)
    discount_account: Account | None = None
    purpose: str = "deduction"  # "discount" for a separate terms-discount line


@dataclass(frozen=True)
class AllocationIn:
    line_pk: int
    invoice_netsuite_id: str
    invoice_number: str
    amount: Decimal  # cash
    discount: Decimal = ZERO
    write_off: Decimal = ZERO
    write_off_account: Account | None = None


@dataclass(frozen=True)
class RemittanceIn:
    pk: int
    payment_number: str
    payment_date: date
    amount: Decimal
    lines: tuple[LineIn, ...]
    allocations: tuple[AllocationIn, ...] = ()


@dataclass(frozen=True)
class Config:
    style: str  # "credit_memo" | "journal"
    customer_id: str
    posting_date: date
    external_id_prefix: str  # "VS-PB12": entry n gets "VS-PB12-n"
    bank_account_id: str = ""
    ar_account_id: str = ""
    subsidiary_id: str = ""


@dataclass
class Draft:
    """One record to write (``PostingEntry`` without its batch)."""

    sequence: int
    record_type: str
    purpose: str
    external_id: str
    description: str
    payload: dict[str, Any]
    amount: Decimal
    remittance_pk: int
    line_pk: int | None = None
    account_pk: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something that makes the batch unpostable, found while building (a ``Blocker`` later)."""

    code: str  # "no_item", "unmapped", "no_ar_account", "negative_payment", "unbalanced"
    message: str
    remittance_pk: int
    line_pk: int | None = None


@dataclass
class RemittanceTieOut:
    payment_number: str
    payment: Decimal = ZERO
    applied: Decimal = ZERO  # Σ apply amounts (invoices and re-bills)
    credits: Decimal = ZERO  # Σ credit amounts
    discounts: Decimal = ZERO  # of the credits, terms discounts
    unapplied: Decimal = ZERO  # cash left on the payment (unexplained, within tolerance)

    @property
    def ties(self) -> bool:
        return self.applied - self.credits + self.unapplied == self.payment and self.unapplied >= 0


@dataclass
class Build:
    drafts: list[Draft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    tie_outs: list[RemittanceTieOut] = field(default_factory=list)

    @property
    def payment_total(self) -> Decimal:
        return sum((t.payment for t in self.tie_outs), ZERO)

    @property
    def applied_total(self) -> Decimal:
        return sum((t.applied for t in self.tie_outs), ZERO)

    @property
    def credits_total(self) -> Decimal:
        return sum((t.credits for t in self.tie_outs), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((t.discounts for t in self.tie_outs), ZERO)

    @property
    def unapplied_total(self) -> Decimal:
        return sum((t.unapplied for t in self.tie_outs), ZERO)

    @property
    def ties(self) -> bool:
        return all(t.ties for t in self.tie_outs) and all(journal_balances(d.payload) for d in self.drafts)


def money(value: Decimal) -> str:
    """A record body's amount: a decimal string with two places (never a float)."""
    return str(value.quantize(CENT))


def journal_balances(payload: dict[str, Any]) -> bool:
    """Σ debits = Σ credits over a journal entry's lines (true for any other record)."""
    if "line" not in payload:
        return True
    lines = payload["line"]["items"]
    debits = sum((Decimal(line.get("debit", "0")) for line in lines), ZERO)
    credits = sum((Decimal(line.get("credit", "0")) for line in lines), ZERO)
    return debits == credits and debits > 0


def _memo(text: str) -> str:
    return text[:MEMO_MAX]


class _Builder:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.build = Build()
        self.sequence = 0

    def _next_id(self) -> tuple[int, str]:
        self.sequence += 1
        return self.sequence, f"{self.config.external_id_prefix}-{self.sequence}"

    # -- one charge ------------------------------------------------------------------------------
    def credit(
        self,
        remittance: RemittanceIn,
        *,
        amount: Decimal,
        account: Account,
        purpose: str,
        text: str,
        line_pk: int,
    ) -> Draft | None:
        """A credit memo or A/R journal for ``amount`` (> 0) to ``account``; None if it cannot be built."""
        config = self.config
        memo = _memo(f"Amazon payment {remittance.payment_number}: {text}")
        if config.style == "journal":
            if not config.ar_account_id:
                self.build.problems.append(
                    Problem(
                        "no_ar_account",
                        "Journal style needs the A/R account (VENDORSYNC_POSTING_AR_ACCOUNT_ID is not set).",
                        remittance.pk,
                        line_pk,
                    )
                )
                return None
            record_type = JOURNAL_ENTRY
            sequence, eid = self._next_id()
            payload: dict[str, Any] = {
                "externalId": eid,
                "tranDate": config.posting_date.isoformat(),
                "memo": memo,
                "approved": True,
                "line": {
                    "items": [
                        {
                            "account": {"id": account.netsuite_id},
                            "debit": money(amount),
                            "memo": text[:MEMO_MAX],
                        },
                        {
                            "account": {"id": config.ar_account_id},
                            "credit": money(amount),
                            "entity": {"id": config.customer_id},
                            "memo": text[:MEMO_MAX],
                        },
                    ]
                },
            }
            if config.subsidiary_id:
                payload["subsidiary"] = {"id": config.subsidiary_id}
        else:
            if not account.item_id:
                self.build.problems.append(
                    Problem(
                        "no_item",
                        f"GL account {account.number} has no other-charge item in NetSuite, so a credit memo "
                        f"cannot book {text} to it: create the item (income account {account.number}) and "
                        "sync GL accounts, or post in the journal style.",
                        remittance.pk,
                        line_pk,
                    )
                )
                return None
            record_type = CREDIT_MEMO
            sequence, eid = self._next_id()
            payload = {
                "externalId": eid,
                "entity": {"id": config.customer_id},
                "tranDate": config.posting_date.isoformat(),
                "otherRefNum": remittance.payment_number[:45],
                "memo": memo,
                "item": {
                    "items": [
                        {
                            "item": {"id": account.item_id},
                            "quantity": 1,
                            "rate": money(amount),
                            "description": text,
                        }
                    ]
                },
            }
        draft = Draft(
            sequence=sequence,
            record_type=record_type,
            purpose=purpose,
            external_id=eid,
            description=text[:DESCRIPTION_MAX],
            payload=payload,
            amount=amount,
            remittance_pk=remittance.pk,
            line_pk=line_pk,
            account_pk=account.pk,
        )
        self.build.drafts.append(draft)
        return draft

    def rebill(self, remittance: RemittanceIn, line: LineIn, account: Account) -> Draft | None:
        """A positive deduction (a claim paid back): an invoice re-billing it with the account's item."""
        text = f"{line.label} {line.document_number} (re-billed: Amazon paid it back)"
        if not account.item_id:
            self.build.problems.append(
                Problem(
                    "no_item",
                    f"Line {line.sequence} ({line.document_number}, +{line.amount_paid}) re-bills a reversed "
                    f"claim to GL account {account.number}, which has no other-charge item in NetSuite: "
                    "create the item and sync GL accounts.",
                    remittance.pk,
                    line.pk,
                )
            )
            return None
        sequence, eid = self._next_id()
        draft = Draft(
            sequence=sequence,
            record_type=INVOICE,
            purpose="deduction",
            external_id=eid,
            description=text[:DESCRIPTION_MAX],
            payload={
                "externalId": eid,
                "entity": {"id": self.config.customer_id},
                "tranDate": self.config.posting_date.isoformat(),
                "otherRefNum": remittance.payment_number[:45],
                "memo": _memo(f"Amazon payment {remittance.payment_number}: {text}"),
                "item": {
                    "items": [
                        {
                            "item": {"id": account.item_id},
                            "quantity": 1,
                            "rate": money(line.amount_paid),
                            "description": line.document_number,
                        }
                    ]
                },
            },
            amount=line.amount_paid,
            remittance_pk=remittance.pk,
            line_pk=line.pk,
            account_pk=account.pk,
        )
        self.build.drafts.append(draft)
        return draft

    # -- one remittance --------------------------------------------------------------------------
    def remittance(self, remittance: RemittanceIn) -> None:
        tie = RemittanceTieOut(payment_number=remittance.payment_number)
        tie.payment = sum((line.amount_paid for line in remittance.lines), ZERO)
        apply: dict[str, Decimal] = defaultdict(lambda: ZERO)  # NetSuite invoice id → amount
        rebills: list[Draft] = []
        credits: list[Draft] = []
        lines = {line.pk: line for line in remittance.lines}
        by_line: dict[int, list[AllocationIn]] = defaultdict(list)
        for allocation in remittance.allocations:
            by_line[allocation.line_pk].append(allocation)
        unapplied = ZERO
        for line in remittance.lines:
            if not line.applied and (line.is_deduction or line.amount_paid < 0):
                if not line.amount_paid:
                    continue
                if line.account is None:
                    self.build.problems.append(
                        Problem(
                            "unmapped",
                            f"Line {line.sequence} ({line.document_number}, {line.label}) has no GL account.",
                            remittance.pk,
                            line.pk,
                        )
                    )
                    continue
                if line.amount_paid < 0:
                    text = f"{line.label} {line.document_number}"
                    draft = self.credit(
                        remittance,
                        amount=-line.amount_paid,
                        account=line.account,
                        purpose=line.purpose,
                        text=text,
                        line_pk=line.pk,
                    )
                    if draft:
                        credits.append(draft)
                else:
                    draft = self.rebill(remittance, line, line.account)
                    if draft:
                        rebills.append(draft)
                continue
            unapplied += line.amount_paid - line.applied  # cash no accepted match explained
        for allocation in remittance.allocations:
            line = lines.get(allocation.line_pk)
            if line is None:
                continue
            apply[allocation.invoice_netsuite_id] += (
                allocation.amount + allocation.discount + allocation.write_off
            )
            # The two charges an allocation can carry, each booked like a deduction to its own account.
            charges = (
                (
                    "discount",
                    allocation.discount,
                    line.discount_account,
                    f"takes a terms discount of {allocation.discount} and no GL account is mapped for terms discounts",
                    f"Terms discount on invoice {allocation.invoice_number}",
                ),
                (
                    "write_off",
                    allocation.write_off,
                    allocation.write_off_account,
                    f"writes off {allocation.write_off} on invoice {allocation.invoice_number} and no GL account "
                    "is mapped for write-offs",
                    f"Residual of invoice {allocation.invoice_number} written off within tolerance",
                ),
            )
            for purpose, amount, account, unmapped, text in charges:
                if not amount:
                    continue
                if account is None:
                    self.build.problems.append(
                        Problem(
                            "unmapped",
                            f"Line {line.sequence} ({line.document_number}) {unmapped}.",
                            remittance.pk,
                            line.pk,
                        )
                    )
                    continue
                draft = self.credit(
                    remittance, amount=amount, account=account, purpose=purpose, text=text, line_pk=line.pk
                )
                if draft:
                    credits.append(draft)
                    if purpose == "discount":
                        tie.discounts += amount
        apply = {doc: amount for doc, amount in apply.items() if amount}
        tie.applied = sum(apply.values(), ZERO) + sum((d.amount for d in rebills), ZERO)
        tie.credits = sum((d.amount for d in credits), ZERO)
        # Counted from the lines, not by subtraction, so the tie-out checks the records.
        tie.unapplied = unapplied
        if tie.payment < 0:
            self.build.problems.append(
                Problem(
                    "negative_payment",
                    f"Payment {remittance.payment_number} nets to {tie.payment}: deductions exceed the invoices "
                    "paid, and a NetSuite customer payment cannot be negative.",
                    remittance.pk,
                )
            )
        self.build.tie_outs.append(tie)
        sequence, eid = self._next_id()
        payload: dict[str, Any] = {
            "externalId": eid,
            "customer": {"id": self.config.customer_id},
            "tranDate": self.config.posting_date.isoformat(),
            "payment": money(tie.payment),
            "checkNumber": remittance.payment_number[:45],
            "memo": _memo(
                f"Amazon remittance {remittance.payment_number} of {remittance.payment_date.isoformat()}"
            ),
            "autoApply": False,
            "apply": {
                "items": [
                    {"doc": {"id": doc}, "apply": True, "amount": money(amount)}
                    for doc, amount in apply.items()
                ]
                + [
                    {"doc": {"externalId": d.external_id}, "apply": True, "amount": money(d.amount)}
                    for d in rebills
                ]
            },
            "credit": {
                "items": [
                    {"doc": {"externalId": d.external_id}, "apply": True, "amount": money(d.amount)}
                    for d in credits
                ]
            },
        }
        if self.config.bank_account_id:
            payload["account"] = {"id": self.config.bank_account_id}
        self.build.drafts.append(
            Draft(
                sequence=sequence,
                record_type=CUSTOMER_PAYMENT,
                purpose="payment",
                external_id=eid,
                description=f"Customer payment {remittance.payment_number}",
                payload=payload,
                amount=tie.payment,
                remittance_pk=remittance.pk,
            )
        )


def build(remittances: list[RemittanceIn], config: Config) -> Build:
    """Every record of a batch, in posting order per remittance (charges, then its payment)."""
    builder = _Builder(config)
    for remittance in remittances:
        builder.remittance(remittance)
    return builder.build
