"""Properties of the posting builder (hypothesis): whatever reconciled remittance it is given, the
batch ties out — for every payment, applications − credits + unapplied cash = payment amount, the
unapplied cash being counted from the lines (not by subtraction) — and every journal balances.

The remittances come from the matching engine's own generator (colliding numbers, partial and
over-payments, deductions and reversals, several payments) and its auto matches, so the builder
sees the allocations real matching produces.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.matching import match
from reconciliation.posting import builder
from tests.test_matching_properties import scenarios

ZERO = Decimal("0.00")


def _account(n: int) -> builder.Account:
    return builder.Account(pk=n, netsuite_id=str(400 + n), number=str(4500 + n), item_id=str(9000 + n))


def _remittances(lines, result, write_offs: list[bool]) -> list[builder.RemittanceIn]:
    """Builder input from the engine's auto matches; ``write_offs`` closes some invoices' residual
    (what a person does in the workbench within tolerance), which the engine never auto-proposes."""
    applied: dict[object, Decimal] = defaultdict(lambda: ZERO)
    allocations: dict[str, list[builder.AllocationIn]] = defaultdict(list)
    payment_of = {line.key: line.payment_number for line in lines}
    flags = iter(write_offs * 50)
    for proposal in result.auto:
        for a in proposal.allocations:
            write_off = a.write_off + (Decimal("0.30") if next(flags, False) else ZERO)
            applied[a.line_key] += a.amount
            allocations[payment_of[a.line_key]].append(
                builder.AllocationIn(
                    line_pk=int(str(a.line_key)[1:]),
                    invoice_netsuite_id=str(a.invoice_key),
                    invoice_number=a.invoice_number,
                    amount=a.amount,
                    discount=a.discount,
                    write_off=write_off,
                    write_off_account=_account(9),
                )
            )
    out = []
    for number in sorted({line.payment_number for line in lines}):
        mine = [line for line in lines if line.payment_number == number]
        out.append(
            builder.RemittanceIn(
                pk=int(number[1:]),
                payment_number=number,
                payment_date=date(2026, 11, 30),
                amount=sum((line.amount_paid for line in mine), ZERO),
                lines=tuple(
                    builder.LineIn(
                        pk=int(str(line.key)[1:]),
                        sequence=int(str(line.key)[1:]) + 1,
                        document_number=line.document_number,
                        label=line.line_type.value,
                        is_deduction=line.line_type.is_deduction,
                        amount_paid=line.amount_paid,
                        applied=applied[line.key],
                        account=_account(hash(line.line_type.value) % 5),
                        discount_account=_account(7),
                    )
                    for line in mine
                ),
                allocations=tuple(allocations[number]),
            )
        )
    return out


def _payload_tie_out(
    draft: builder.Draft, drafts: dict[str, builder.Draft]
) -> tuple[Decimal, Decimal, Decimal]:
    applied = credits = ZERO
    for sublist in ("apply", "credit"):
        for line in draft.payload[sublist]["items"]:
            amount = Decimal(line["amount"])
            assert amount > 0
            eid = line["doc"].get("externalId")
            if eid is not None:  # a record of this batch: same remittance, same amount, posted before
                assert drafts[eid].amount == amount and drafts[eid].remittance_pk == draft.remittance_pk
                assert drafts[eid].sequence < draft.sequence
            if sublist == "apply":
                applied += amount
            else:
                credits += amount
    return applied, credits, Decimal(draft.payload["payment"])


@settings(max_examples=150, deadline=None)
@given(
    scenarios(), st.sampled_from(["credit_memo", "journal"]), st.lists(st.booleans(), min_size=1, max_size=6)
)
def test_every_batch_ties_out_and_every_journal_balances(scenario, style, write_offs):
    invoice_list, lines, engine_config = scenario
    result = match(lines, invoice_list, engine_config)
    remittances = _remittances(lines, result, write_offs)
    config = builder.Config(
        style=style,
        customer_id="1001",
        posting_date=date(2026, 11, 30),
        external_id_prefix="VS-PB7",
        bank_account_id="110",
        ar_account_id="120",
        subsidiary_id="1",
    )
    built = builder.build(remittances, config)

    assert not [p for p in built.problems if p.code != "negative_payment"]
    assert built.ties
    drafts = {d.external_id: d for d in built.drafts}
    assert len(drafts) == len(built.drafts)  # external ids unique
    assert [d.sequence for d in built.drafts] == list(range(1, len(built.drafts) + 1))
    payments = [d for d in built.drafts if d.record_type == builder.CUSTOMER_PAYMENT]
    assert len(payments) == len(remittances)  # one payment per remittance
    for tie, payment in zip(built.tie_outs, payments, strict=True):
        remittance = next(r for r in remittances if r.pk == payment.remittance_pk)
        applied, credits, amount = _payload_tie_out(payment, drafts)
        unapplied = sum((ln.amount_paid - ln.applied for ln in remittance.lines if ln.applied or not (
            ln.is_deduction or ln.amount_paid < 0)), ZERO)  # fmt: skip
        assert amount == sum((ln.amount_paid for ln in remittance.lines), ZERO) == remittance.amount
        assert applied - credits + unapplied == amount, (tie, applied, credits, unapplied)
        assert (tie.applied, tie.credits, tie.unapplied) == (applied, credits, unapplied)
    negative = {p.remittance_pk for p in built.problems if p.code == "negative_payment"}
    for draft in built.drafts:
        if draft.record_type == builder.CUSTOMER_PAYMENT:  # a negative payment blocks the batch
            assert draft.amount >= 0 or draft.remittance_pk in negative
        else:
            assert draft.amount > 0
        if draft.record_type == builder.JOURNAL_ENTRY:
            assert builder.journal_balances(draft.payload)
            lines_ = draft.payload["line"]["items"]
            assert sum(Decimal(x.get("debit", "0")) for x in lines_) == draft.amount
        if draft.record_type == builder.CREDIT_MEMO:
            (item,) = draft.payload["item"]["items"]
            assert Decimal(item["rate"]) * item["quantity"] == draft.amount
        assert all(not isinstance(value, float) for value in _leaves(draft.payload))  # money never a float
    assert {d.record_type for d in built.drafts} <= (
        {builder.CREDIT_MEMO, builder.INVOICE, builder.CUSTOMER_PAYMENT}
        if style == "credit_memo"
        else {builder.JOURNAL_ENTRY, builder.INVOICE, builder.CUSTOMER_PAYMENT}
    )


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value
