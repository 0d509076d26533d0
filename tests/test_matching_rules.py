"""The matching engine rule by rule, with the hard cases of issue 10 (pure: no database)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from reconciliation.matching import (
    EngineConfig,
    Flag,
    LineType,
    OpenInvoiceIn,
    RemittanceLineIn,
    Rule,
    Status,
    Tolerance,
    UnmatchedReason,
    line_outcomes,
    match,
    near_miss,
    normalise,
    strip_deduction_suffix,
    tie_out,
)
from reconciliation.matching.numbers import compact

D = Decimal
OCT = date(2026, 10, 1)


def invoice(
    key: str, number: str, amount: str, open_balance: str | None = None, *, po: str = "", day: int = 1
):
    return OpenInvoiceIn(
        key=key,
        number=number,
        amount=D(amount),
        open_balance=D(open_balance if open_balance is not None else amount),
        date=date(2026, 10, day),
        po_number=po,
    )


def line(
    key: str,
    document: str,
    paid: str,
    *,
    amount: str | None = None,
    discount: str = "0.00",
    kind: LineType = LineType.INVOICE_PAYMENT,
    payment: str = "P1",
    paid_on: date = date(2026, 12, 1),
    day: int = 1,
    po: str = "",
    base: str = "",
):
    return RemittanceLineIn(
        key=key,
        payment_number=payment,
        document_number=document,
        invoice_amount=D(amount) if amount is not None else D(paid) + D(discount),
        amount_paid=D(paid),
        discount=D(discount),
        line_type=kind,
        document_date=date(2026, 10, day),
        payment_date=paid_on,
        po_number=po,
        base_invoice_number=base,
    )


def only(result, key):
    found = result.for_line(key)
    assert len(found) == 1, found
    return found[0]


# ---- rule 1: exact number ------------------------------------------------------------------


def test_exact_number_net_of_terms_discount_is_auto_with_a_checkable_sentence():
    result = match([line("l1", "INV1001", "201.92", discount="4.12")], [invoice("i1", "INV1001", "206.04")])
    proposal = only(result, "l1")
    assert proposal.status is Status.AUTO and proposal.rule is Rule.EXACT_NUMBER
    assert (
        proposal.explanation
        == "document INV1001 = invoice INV1001; paid 201.92 = 206.04 − terms discount 4.12"
    )
    (allocation,) = proposal.allocations
    assert (allocation.amount, allocation.discount, allocation.write_off) == (D("201.92"), D("4.12"), D("0"))
    assert result.remaining_open["i1"] == 0


def test_residual_within_tolerance_is_written_off_and_beyond_it_is_a_partial_payment():
    invoices = [invoice("i1", "INV1", "100.30"), invoice("i2", "INV2", "100.00")]
    result = match(
        [line("l1", "INV1", "100.00", amount="100.30"), line("l2", "INV2", "60.00", amount="100.00")],
        invoices,
        EngineConfig(tolerance=Tolerance(absolute=D("0.50"), percent=D("0"))),
    )
    written_off = only(result, "l1")
    assert written_off.status is Status.AUTO and written_off.write_off == D("0.30")
    assert "0.30 short of the 100.30 open, written off" in written_off.explanation
    partial = only(result, "l2")
    assert partial.status is Status.AUTO and partial.write_off == 0
    assert "partial payment, 40.00 of 100.00 remains open" in partial.explanation
    assert result.remaining_open == {"i1": D("0.00"), "i2": D("40.00")}


def test_exact_number_whose_amounts_do_not_reconcile_is_only_suggested():
    result = match([line("l1", "INV1", "40.00", amount="55.00")], [invoice("i1", "INV1", "100.00")])
    proposal = only(result, "l1")
    assert proposal.status is Status.SUGGESTED and Flag.AMOUNT_MISMATCH in proposal.flags
    assert proposal.confidence < EngineConfig().auto_accept_threshold
    assert result.remaining_open["i1"] == D("100.00")


def test_one_invoice_paid_across_two_payments_in_payment_order():
    lines = [  # given out of order: the engine orders by payment date
        line("second", "INV1001", "106.04", amount="206.04", payment="P2", paid_on=date(2026, 12, 8)),
        line("first", "INV1001", "100.00", amount="206.04", payment="P1", paid_on=date(2026, 12, 1)),
    ]
    result = match(lines, [invoice("i1", "INV1001", "206.04")])
    first, second = only(result, "first"), only(result, "second")
    assert first.status is second.status is Status.AUTO
    assert "partial payment, 106.04 of 206.04 remains open" in first.explanation
    assert "settles the 106.04 still open of 206.04" in second.explanation
    assert result.remaining_open["i1"] == 0
    assert all(t.ties and t.unexplained == 0 for t in tie_out(lines, result.auto).values())


def test_a_line_that_pays_more_than_its_invoice_is_flagged_and_capped_at_the_open_balance():
    lines = [line("l1", "INV1", "150.00")]
    result = match(lines, [invoice("i1", "INV1", "100.00")])
    proposal = only(result, "l1")
    assert proposal.status is Status.SUGGESTED and proposal.flags == (Flag.OVERPAYMENT,)
    assert proposal.amount == D("100.00")
    assert "50.00 over-payment not applied" in proposal.explanation
    assert result.remaining_open["i1"] == D("100.00")  # a suggestion consumes nothing
    (tie,) = tie_out(lines, [proposal]).values()
    assert tie.ties and (tie.matched, tie.unexplained) == (D("100.00"), D("50.00"))


def test_paying_an_invoice_already_settled_is_flagged_not_applied():
    lines = [line("l1", "INV1", "100.00", payment="P1"), line("l2", "INV1", "100.00", payment="P2")]
    result = match(lines, [invoice("i1", "INV1", "100.00")])
    assert only(result, "l1").status is Status.AUTO
    duplicate = only(result, "l2")
    assert duplicate.status is Status.SUGGESTED and Flag.OVERPAYMENT in duplicate.flags
    assert duplicate.amount == 0 and "nothing is open on it" in duplicate.explanation


# ---- rule 2: suffixes ------------------------------------------------------------------------


def test_shortage_claim_then_its_reversal_both_link_to_the_base_invoice():
    lines = [
        line("inv", "INV1001", "980.00", discount="20.00", payment="P1"),
        line("sc", "INV1001SC", "-50.00", kind=LineType.SHORTAGE_CLAIM, payment="P1"),
        line(
            "scr",
            "INV1001SCR",
            "50.00",
            kind=LineType.SHORTAGE_REVERSAL,
            payment="P2",
            paid_on=date(2026, 12, 20),
        ),
        line(
            "scrsc",
            "INV1001SCRSC",
            "-25.00",
            kind=LineType.REVISED_SHORTAGE,
            payment="P3",
            paid_on=date(2027, 1, 5),
        ),
    ]
    result = match(lines, [invoice("i1", "INV1001", "1000.00")])
    sc, scr, scrsc = only(result, "sc"), only(result, "scr"), only(result, "scrsc")
    for proposal in (sc, scr, scrsc):
        assert proposal.rule is Rule.SUFFIX and proposal.status is Status.AUTO
        assert proposal.invoice_keys == ("i1",)
    assert sc.explanation == "shortage claim INV1001SC → base invoice INV1001; 50.00 deducted"
    assert (
        scr.explanation
        == "shortage claim reversal INV1001SCR → base invoice INV1001; 50.00 given back; follows INV1001SC"
    )
    assert "follows INV1001SCR" in scrsc.explanation
    assert (sc.allocations[0].deduction, scr.allocations[0].deduction) == (D("-50.00"), D("50.00"))
    assert result.remaining_open["i1"] == 0  # deductions never consume the open balance


def test_payment_net_of_terms_discount_and_shortage_claim_ties():
    lines = [
        line("inv", "INV1001", "980.00", discount="20.00"),
        line("sc", "INV1001-SC", "-50.00", kind=LineType.SHORTAGE_CLAIM),
    ]
    result = match(lines, [invoice("i1", "INV1001", "1000.00")])
    assert {p.status for p in result.proposals} == {Status.AUTO}
    (tie,) = tie_out(lines, result.auto).values()
    assert tie.ties
    assert (tie.payment, tie.matched, tie.deductions, tie.unexplained) == (
        D("930.00"),
        D("980.00"),
        D("-50.00"),
        D("0.00"),
    )


def test_one_line_net_of_discount_and_a_shortage_leaves_the_shortage_open():
    result = match(
        [line("l1", "INV7", "930.00", amount="1000.00", discount="20.00")], [invoice("i1", "INV7", "1000.00")]
    )
    proposal = only(result, "l1")
    assert proposal.status is Status.AUTO
    assert "partial payment, 50.00 of 1000.00 remains open" in proposal.explanation
    assert result.remaining_open["i1"] == D("50.00")


def test_deduction_whose_base_invoice_is_unknown_is_unmatched_but_still_a_deduction():
    lines = [line("inv", "INV1", "100.00"), line("sc", "INV9999SC", "-10.00", kind=LineType.SHORTAGE_CLAIM)]
    result = match(lines, [invoice("i1", "INV1", "100.00")])
    (unmatched,) = result.unmatched
    assert unmatched.line_key == "sc" and unmatched.reason is UnmatchedReason.BASE_INVOICE_UNKNOWN
    assert "base invoice INV9999 is not one of ours" in unmatched.explanation
    (tie,) = tie_out(lines, result.auto).values()
    assert tie.ties and tie.deductions == D("-10.00") and tie.unexplained == 0


def test_base_invoice_given_by_the_importer_and_found_after_normalising():
    result = match(
        [line("pc", "claim 42", "-5.00", kind=LineType.PRICE_CLAIM, base="inv-0042")],
        [invoice("i1", "INV42", "10.00")],
    )
    proposal = only(result, "pc")
    assert proposal.rule is Rule.SUFFIX and proposal.invoice_keys == ("i1",) and proposal.confidence == 0.93


def test_an_invoice_number_that_ends_like_a_suffix_is_still_paid_as_an_invoice():
    # PO 01VK00PC gives invoice INV-01VK00PC; a suffix classifier reads the line as a price claim.
    lines = [line("l1", "INV-01VK00PC", "98.00", discount="2.00", kind=LineType.PRICE_CLAIM)]
    result = match(lines, [invoice("i1", "INV-01VK00PC", "100.00"), invoice("i2", "INV-01VK00", "500.00")])
    proposal = only(result, "l1")
    assert (
        proposal.rule is Rule.EXACT_NUMBER
        and proposal.invoice_keys == ("i1",)
        and proposal.status is Status.AUTO
    )
    (tie,) = tie_out(lines, result.auto).values()
    assert tie.ties and tie.matched == D("98.00") and tie.deductions == 0
    padded = match(
        [line("l2", "INV-00001VK00PC", "100.00", kind=LineType.PRICE_CLAIM)],
        [invoice("i1", "INV-01VK00PC", "100.00")],
    )
    assert only(padded, "l2").rule is Rule.NORMALISED_NUMBER


def test_deductions_not_tied_to_invoices_are_coded_by_type():
    result = match(
        [
            line("coop", "1521-78884456", "-426.11", kind=LineType.COOP),
            line("cb", "77605814VCBSINV", "-144.32", kind=LineType.CHARGEBACK),
            line("odd", "ZZZ", "-3.00", kind=LineType.UNKNOWN),
        ],
        [invoice("i1", "INV1", "100.00")],
    )
    reasons = {u.line_key: u.reason for u in result.unmatched}
    assert reasons == {
        "coop": UnmatchedReason.NOT_INVOICE_LINKED,
        "cb": UnmatchedReason.NOT_INVOICE_LINKED,
        "odd": UnmatchedReason.UNCLASSIFIED_DEDUCTION,
    }


# ---- rule 3: normalised and near numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("document", "number"),
    [
        ("inv 1001", "INV-0001001"),
        ("  457 ", "0000457"),
        ("INV/1001", "inv1001"),
        ("000INV1001", "INV1001"),
        ("INV{1001}", "INV1001"),
    ],
)
def test_leading_zeros_spaces_case_and_separators(document, number):
    result = match([line("l1", document, "99.00")], [invoice("i1", number, "99.00")])
    proposal = only(result, "l1")
    assert proposal.rule is Rule.NORMALISED_NUMBER and proposal.status is Status.AUTO
    assert f"invoice {number}" in proposal.explanation


def test_near_number_needs_the_amount_as_well():
    invoices = [invoice("i1", "INV-20261001", "310.00"), invoice("i2", "INV-77712345678", "55.00")]
    result = match(
        [
            line("typo", "INV-20261007", "310.00"),  # one character off, same amount
            line("cut", "INV-7771234", "55.00"),  # truncated by a column width
            line("typo-other-amount", "INV-20261008", "311.00"),
        ],
        invoices,
    )
    typo, cut = only(result, "typo"), only(result, "cut")
    assert typo.rule is cut.rule is Rule.NEAR_NUMBER
    assert typo.status is cut.status is Status.AUTO
    assert "(one character differs)" in typo.explanation and "(truncated)" in cut.explanation
    assert all(p.status is Status.SUGGESTED for p in result.for_line("typo-other-amount"))


# ---- rule 4: PO + amount ---------------------------------------------------------------------


def test_po_and_amount_auto_matches_only_when_one_invoice_fits():
    invoices = [
        invoice("a", "INV-A", "120.00", po="PO7"),
        invoice("b", "INV-B", "80.00", po="PO7"),
        invoice("c", "INV-C", "70.00", po="PO8"),
        invoice("d", "INV-D", "70.00", po="PO8"),
    ]
    result = match([line("l1", "REF 1", "80.00", po="po7"), line("l2", "REF 2", "70.00", po="PO8")], invoices)
    unique = only(result, "l1")
    assert unique.rule is Rule.PO_AMOUNT and unique.status is Status.AUTO and unique.invoice_keys == ("b",)
    twins = result.for_line("l2")
    assert {p.invoice_keys for p in twins} == {("c",), ("d",)}
    assert all(p.status is Status.SUGGESTED and Flag.AMBIGUOUS in p.flags for p in twins)


def test_a_weaker_rule_never_takes_an_invoice_a_stronger_rule_names_for_a_later_line():
    lines = [
        line("po-only", "SOMETHING", "100.00", po="PO1", payment="P1", paid_on=date(2026, 12, 1)),
        line("named", "INV1", "100.00", payment="P2", paid_on=date(2026, 12, 2)),
    ]
    result = match(lines, [invoice("i1", "INV1", "100.00", po="PO1")])
    assert only(result, "named").status is Status.AUTO
    assert not [p for p in result.for_line("po-only") if p.status is Status.AUTO]


# ---- rules 5 and 6: amounts only, never auto -------------------------------------------------


def test_two_open_invoices_with_the_same_amount_and_a_line_naming_neither_never_auto_match():
    invoices = [invoice("i1", "INV1", "250.00", day=3), invoice("i2", "INV2", "250.00", day=5)]
    for threshold in (0.9, 0.0):  # not even with the threshold at zero
        result = match(
            [line("l1", "PAYMENT 77", "250.00", day=4)],
            invoices,
            EngineConfig(auto_accept_threshold=threshold),
        )
        proposals = result.for_line("l1")
        assert {p.invoice_keys for p in proposals} == {("i1",), ("i2",)}
        assert all(p.status is Status.SUGGESTED and p.rule is Rule.AMOUNT_DATE for p in proposals)
        assert all(p.explanation.startswith("amount only") for p in proposals)
        assert result.remaining_open == {"i1": D("250.00"), "i2": D("250.00")}


def test_a_single_invoice_of_that_amount_is_still_only_a_suggestion():
    result = match(
        [line("l1", "PAYMENT 77", "250.00", day=4)],
        [invoice("i1", "INV1", "250.00", day=3)],
        EngineConfig(auto_accept_threshold=0),
    )
    proposal = only(result, "l1")
    assert proposal.status is Status.SUGGESTED and proposal.rule is Rule.AMOUNT_DATE


def test_amount_outside_the_date_window_is_unmatched():
    result = match([line("l1", "PAYMENT 77", "250.00", day=30)], [invoice("i1", "INV1", "250.00", day=1)])
    (unmatched,) = result.unmatched
    assert unmatched.reason is UnmatchedReason.NO_CANDIDATE and not result.proposals


def test_combination_of_invoices_of_one_po_is_suggested_with_the_write_off():
    invoices = [
        invoice("a", "INV-A", "300.00", po="PO9"),
        invoice("b", "INV-B", "200.40", po="PO9"),
        invoice("c", "INV-C", "999.99", po="PO9"),
    ]
    result = match(
        [line("l1", "CHEQUE 5", "500.00", po="PO9")], invoices, EngineConfig(auto_accept_threshold=0)
    )
    proposal = only(result, "l1")
    assert proposal.rule is Rule.COMBINATION and proposal.status is Status.SUGGESTED
    assert set(proposal.invoice_keys) == {"a", "b"}
    assert proposal.amount == D("500.00") and proposal.write_off == D("0.40")
    assert sum(a.consumed for a in proposal.allocations) == D("500.40")


# ---- the engine as a whole -------------------------------------------------------------------


def test_output_does_not_depend_on_input_order():
    invoices = [invoice(f"i{n}", f"INV{n}", f"{100 + n}.00", po=f"PO{n % 3}") for n in range(12)]
    lines = [line(f"l{n}", f"INV{n}", f"{100 + n}.00", payment=f"P{n % 2}") for n in range(0, 12, 2)]
    lines += [
        line("x", "NOPE", "103.00", po="PO0"),
        line("sc", "INV4SC", "-1.00", kind=LineType.SHORTAGE_CLAIM),
    ]
    expected = match(lines, invoices)
    rng = random.Random(7)
    for _ in range(3):
        rng.shuffle(lines)
        rng.shuffle(invoices)
        assert match(lines, invoices) == expected


def test_bad_input_names_the_row():
    with pytest.raises(ValueError, match="'dup' appears twice"):
        match([line("dup", "A", "1.00"), line("dup", "B", "1.00")], [])
    with pytest.raises(TypeError, match=r"'A' \('f'\): amount_paid must be a Decimal"):
        match([RemittanceLineIn("f", "P", "A", D("1"), 1.0)], [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="INV1.*negative"):
        match([], [invoice("i1", "INV1", "10.00", "-1.00")])


def test_json_shape_for_the_automatch_command():
    result = match([line("l1", "INV1001", "201.92", discount="4.12")], [invoice("i1", "INV1001", "206.04")])
    assert result.proposals[0].as_dict() == {
        "status": "auto",
        "rule": "exact_number",
        "confidence": 0.99,
        "explanation": "document INV1001 = invoice INV1001; paid 201.92 = 206.04 − terms discount 4.12",
        "flags": [],
        "invoices": [
            {
                "invoice": "INV1001",
                "amount": "201.92",
                "discount": "4.12",
                "write_off": "0.00",
                "deduction": "0.00",
            }
        ],
    }


# ---- number helpers --------------------------------------------------------------------------


def test_number_helpers():
    assert normalise(" inv-0001001 ") == "INV1001"
    assert normalise("INV1001") == normalise("inv 1001") != normalise("INV10001")
    assert strip_deduction_suffix("INV1001SCRSC") == "INV1001"
    assert strip_deduction_suffix("INV123-SC") == "INV123"
    assert strip_deduction_suffix("INV123 (PC)") == "INV123"
    assert strip_deduction_suffix("INV123") == strip_deduction_suffix("SC") == ""
    assert near_miss("INV1001", "INV1007") == "one character differs"
    assert near_miss("INV1001", "INV1010") == "two characters swapped"
    assert near_miss("INV1001", "INV101") == "one character more or less"
    assert near_miss("INV100123", "INV1001") == "truncated"
    assert near_miss("INV1001", "INV2002") == near_miss("AB", "ABCDEFG") == ""
    assert compact(" inv-01wa01ny") == "INV01WA01NY"
    assert near_miss(compact("INV-01WA0ENY"), compact("INV-01WA01NY")) == "one character differs"


def test_line_outcomes_give_one_object_per_line_in_input_order():
    lines = [
        line("twin", "PAYMENT 9", "250.00", day=4),
        line("paid", "INV7", "98.00", discount="2.00"),
        line("cb", "123VCBSINV", "-9.00", kind=LineType.CHARGEBACK),
    ]
    invoices = [
        invoice("i1", "INV1", "250.00", day=3),
        invoice("i2", "INV2", "250.00", day=4),
        invoice("i7", "INV7", "100.00"),
    ]
    outcomes = line_outcomes(lines, match(lines, invoices))
    assert [(o["document_number"], o["status"]) for o in outcomes] == [
        ("PAYMENT 9", "suggested"),
        ("INV7", "auto"),
        ("123VCBSINV", "unmatched"),
    ]
    twin, paid, chargeback = outcomes
    assert twin["invoices"][0]["invoice"] == "INV2"  # the nearer date first
    assert [a["invoices"][0]["invoice"] for a in twin["alternatives"]] == ["INV1"]
    assert paid["invoices"] == [
        {"invoice": "INV7", "amount": "98.00", "discount": "2.00", "write_off": "0.00", "deduction": "0.00"}
    ]
    assert paid["payment_number"] == "P1" and paid["rule"] == "exact_number" and paid["alternatives"] == []
    assert chargeback["reason"] == "not_invoice_linked" and chargeback["rule"] is None


def test_config_refuses_nonsense():
    with pytest.raises(ValueError, match="auto_accept_threshold"):
        EngineConfig(auto_accept_threshold=1.5)
    with pytest.raises(ValueError, match="combinations"):
        EngineConfig(max_combination_size=1)
    assert Tolerance(absolute=D("0.50"), percent=D("1")).allowed(D("200.00")) == D("2.00")
    assert Tolerance(absolute=D("0.50"), percent=D("1")).allowed(D("20.00")) == D("0.50")


def test_work_per_line_is_bounded_when_many_invoices_share_an_amount_or_a_po():
    invoices = [invoice(f"i{n}", f"INV{n}", "50.00", po="BIG", day=1 + n % 28) for n in range(2000)]
    result = match([line("l1", "UNKNOWN REF", "50.00", po="BIG", day=3)], invoices)
    proposals = result.for_line("l1")
    # PO + amount finds many: a handful of suggestions, none auto, nothing consumed.
    assert 1 <= len(proposals) <= EngineConfig().max_suggestions
    assert all(p.status is Status.SUGGESTED and Flag.AMBIGUOUS in p.flags for p in proposals)
    assert all(balance == D("50.00") for balance in result.remaining_open.values())
