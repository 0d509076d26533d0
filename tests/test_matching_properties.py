"""Properties of the matching engine on generated remittances (hypothesis).

The generator deliberately collides: few invoice numbers (some retyped, zero-padded or cut),
few distinct amounts (so coincidences are common), partial, exact and over-payments, deductions
naming real and unknown invoices, several payments. Whatever it draws, money must never be
created: what the auto matches apply never exceeds what is open on an invoice nor what a line
paid, and every remittance ties (payment = matched + deductions + unexplained variance).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.matching import (
    EngineConfig,
    LineType,
    OpenInvoiceIn,
    Reach,
    RemittanceLineIn,
    Rule,
    Status,
    Tolerance,
    match,
    tie_out,
)

BASE = date(2026, 10, 1)
AMOUNTS = [Decimal(c) / 100 for c in (1000, 2500, 2500, 9999, 10000, 10050, 20000, 30040)]
NUMBERS = ["INV1", "INV2", "INV3", "INV10", "0INV2", "INV-3", "INV30", "INV100"]


@st.composite
def invoices(draw) -> list[OpenInvoiceIn]:
    count = draw(st.integers(1, 8))
    out = []
    for key in range(count):
        amount = draw(st.sampled_from(AMOUNTS))
        open_cents = draw(st.integers(0, int(amount * 100)))
        out.append(
            OpenInvoiceIn(
                key=f"i{key}",
                number=draw(st.sampled_from(NUMBERS)),
                amount=amount,
                open_balance=Decimal(open_cents) / 100 if draw(st.booleans()) else amount,
                date=BASE + timedelta(days=draw(st.integers(0, 20))),
                po_number=draw(st.sampled_from(["", "PO1", "PO2"])),
            )
        )
    return out


@st.composite
def remittance_lines(draw, invoice_list: list[OpenInvoiceIn]) -> list[RemittanceLineIn]:
    count = draw(st.integers(1, 12))
    out = []
    for key in range(count):
        target = draw(st.sampled_from(invoice_list))
        kind = draw(
            st.sampled_from(
                [LineType.INVOICE_PAYMENT] * 4
                + [LineType.UNKNOWN, LineType.SHORTAGE_CLAIM, LineType.SHORTAGE_REVERSAL, LineType.CHARGEBACK]
            )
        )
        number = draw(
            st.sampled_from(
                [
                    target.number,
                    target.number.lower(),
                    f" {target.number}",
                    target.number[:-1],
                    "PAYMENT",
                    "INV9",
                ]
            )
        )
        if kind in (LineType.SHORTAGE_CLAIM, LineType.SHORTAGE_REVERSAL, LineType.CHARGEBACK):
            amount = -Decimal(draw(st.integers(1, 5000))) / 100
            if kind is LineType.SHORTAGE_REVERSAL:
                amount = -amount
            number, discount, paid, invoice_amount = f"{number}{kind.value}", Decimal("0.00"), amount, amount
        else:
            invoice_amount = draw(st.sampled_from([target.amount, target.open_balance, *AMOUNTS]))
            discount = draw(
                st.sampled_from(
                    [Decimal("0.00"), (invoice_amount * Decimal("0.02")).quantize(Decimal("0.01"))]
                )
            )
            factor = draw(st.sampled_from(["1", "1", "0.5", "1.3", "0"]))
            paid = ((invoice_amount - discount) * Decimal(factor)).quantize(Decimal("0.01"))
        out.append(
            RemittanceLineIn(
                key=f"l{key}",
                payment_number=draw(st.sampled_from(["P1", "P2", "P3"])),
                document_number=number,
                invoice_amount=invoice_amount,
                amount_paid=paid,
                discount=discount,
                line_type=kind,
                document_date=BASE + timedelta(days=draw(st.integers(0, 25))),
                payment_date=BASE + timedelta(days=60 + draw(st.integers(0, 10))),
                po_number=draw(st.sampled_from(["", target.po_number, "PO2"])),
            )
        )
    return out


@st.composite
def scenarios(draw):
    invoice_list = draw(invoices())
    config = EngineConfig(
        tolerance=Tolerance(
            absolute=draw(st.sampled_from([Decimal("0"), Decimal("0.50"), Decimal("5")])),
            percent=Decimal("0.1"),
        ),
        auto_accept_threshold=draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])),
    )
    return invoice_list, draw(remittance_lines(invoice_list)), config


@settings(max_examples=120, deadline=None)
@given(scenarios())
def test_auto_matches_never_exceed_what_is_open_on_either_side(scenario):
    invoice_list, lines, config = scenario
    result = match(lines, invoice_list, config)
    consumed: dict[object, Decimal] = defaultdict(Decimal)
    taken: dict[object, Decimal] = defaultdict(Decimal)
    for proposal in result.auto:
        assert proposal.rule.may_auto_accept and not proposal.flags
        for allocation in proposal.allocations:
            assert allocation.amount >= 0 and allocation.discount >= 0 and allocation.write_off >= 0
            consumed[allocation.invoice_key] += allocation.consumed
            taken[allocation.line_key] += allocation.amount + allocation.discount
    for inv in invoice_list:
        assert consumed[inv.key] <= inv.open_balance
        assert result.remaining_open[inv.key] == inv.open_balance - consumed[inv.key]
    for line in lines:
        assert taken[line.key] <= max(line.gross, Decimal("0"))
    # Suggestions, one by one, never go beyond what was open either.
    for proposal in result.suggested:
        for allocation in proposal.allocations:
            inv = next(i for i in invoice_list if i.key == allocation.invoice_key)
            assert allocation.consumed <= inv.open_balance


@settings(max_examples=120, deadline=None)
@given(scenarios())
def test_every_remittance_ties_and_every_line_is_accounted_for_once(scenario):
    invoice_list, lines, config = scenario
    result = match(lines, invoice_list, config)
    ties = tie_out(lines, result.auto)
    assert set(ties) == {line.payment_number for line in lines}
    for number, tie in ties.items():
        assert tie.ties, tie
        assert tie.payment == sum(
            (line.amount_paid for line in lines if line.payment_number == number), Decimal("0")
        )
    auto_lines = [key for p in result.auto for key in p.line_keys]
    assert len(auto_lines) == len(set(auto_lines))  # one auto match per line at most
    placed = (
        set(auto_lines)
        | {key for p in result.suggested for key in p.line_keys}
        | {u.line_key for u in result.unmatched}
    )
    assert placed == {line.key for line in lines}
    for line_key in auto_lines:  # an auto line has no competing suggestion or unmatched entry
        assert all(p.status is Status.AUTO for p in result.for_line(line_key))
        assert line_key not in {u.line_key for u in result.unmatched}


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_amount_only_rules_never_auto_accept(scenario):
    invoice_list, lines, _ = scenario
    result = match(lines, invoice_list, EngineConfig(auto_accept_threshold=0.0))
    assert not [p for p in result.auto if p.rule in (Rule.COMBINATION, Rule.AMOUNT_DATE)]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_the_invoices_the_lines_reach_give_the_same_result_as_every_invoice(scenario):
    """What the database loads (``Reach``, plus rule 5's dates on demand) is all the engine needs."""
    invoice_list, lines, config = scenario
    reach = Reach.of(lines)
    reached = [inv for inv in invoice_list if reach.reaches(inv)]
    asked: list[set[date]] = []

    def dated(dates: set[date]) -> list[OpenInvoiceIn]:
        asked.append(dates)
        return [inv for inv in invoice_list if inv.open_balance > 0 and inv.date in dates]

    everything = match(lines, invoice_list, config)
    partial = match(lines, reached, config, dated=dated)
    assert partial.proposals == everything.proposals
    assert partial.unmatched == everything.unmatched
    assert len(asked) <= 1  # one round trip for the dates, at most
