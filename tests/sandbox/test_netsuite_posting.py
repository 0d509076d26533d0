"""The NetSuite simulator's posting records, met through our real client (strict field names):
credit memos, customer payments and journal entries, upserted by external id, refused the way
NetSuite refuses them (unknown fields, over-application, unbalanced journals, closed periods)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig
from vendorsync.netsuite.concurrency import reset_account_semaphores
from vendorsync.netsuite.errors import NetSuiteRejectedError
from vendorsync.sandbox import catalog
from vendorsync.sandbox import netsuite as simulator
from vendorsync.sandbox.netsuite import make_app, seed

CUSTOMER = {"id": catalog.AMAZON_CUSTOMER_ID}
SHORTAGE_ITEM = "9002"  # the other-charge item whose income account is 4520 Shortage Claims
# Postings are dated in the simulated account's current month: months that ended more than two
# months ago are closed in the seeded period table, as in a real account.
TODAY = datetime.now(UTC).date()
DAY = TODAY.isoformat()


def month(offset: int) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 + offset
    return date(index // 12, index % 12 + 1, 2)


def period_name(day: date) -> str:
    return day.strftime("%b %Y")


@pytest.fixture
def app(tmp_path: Path) -> simulator.NetSuiteApp:
    store = tmp_path / "netsuite.sqlite3"
    seed(store)
    return make_app(store)


@pytest.fixture
def ns(app: simulator.NetSuiteApp) -> Iterator[NetSuiteClient]:
    reset_account_semaphores()
    config = NetSuiteConfig(
        account_id=simulator.ACCOUNT_ID,
        consumer_key=simulator.CONSUMER_KEY,
        consumer_secret=simulator.CONSUMER_SECRET,
        token_id=simulator.TOKEN_ID,
        token_secret=simulator.TOKEN_SECRET,
        base_url="https://sim.netsuite.test",
        timeout=5.0,
    )
    with NetSuiteClient(config, transport=httpx.WSGITransport(app=app), sleep=lambda s: None) as client:
        yield client
    reset_account_semaphores()


def invoice(ns: NetSuiteClient, number: str, amount: str) -> str:
    body = {
        "externalId": f"INV-{number}",
        "tranId": number,
        "entity": CUSTOMER,
        "tranDate": DAY,
        "item": {"items": [{"item": {"id": "5000"}, "quantity": 1, "rate": Decimal(amount)}]},
    }
    return ns.create("invoice", body)


def credit_memo(amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "entity": CUSTOMER,
        "tranDate": DAY,
        "memo": "Shortage claim INV1SC",
        "item": {"items": [{"item": {"id": SHORTAGE_ITEM}, "quantity": 1, "rate": Decimal(amount)}]},
        **extra,
    }


def payment(invoice_id: str, applied: str, credit_id: str, credited: str, cash: str) -> dict[str, Any]:
    return {
        "customer": CUSTOMER,
        "tranDate": DAY,
        "payment": Decimal(cash),
        "autoApply": False,
        "apply": {"items": [{"doc": {"id": invoice_id}, "apply": True, "amount": Decimal(applied)}]},
        "credit": {"items": [{"doc": {"id": credit_id}, "apply": True, "amount": Decimal(credited)}]},
    }


def refusal(exc: pytest.ExceptionInfo[NetSuiteRejectedError]) -> tuple[int | None, str | None, str | None]:
    detail = exc.value.details[0]
    return exc.value.status, detail.code, detail.field


def test_a_credit_memo_and_the_payment_applying_it_upsert_once_and_converge(ns: NetSuiteClient) -> None:
    inv = invoice(ns, "INV1", "100.00")
    cm = ns.upsert_by_external_id("creditMemo", "VS-PB1-1", credit_memo("12.34"))
    assert ns.upsert_by_external_id("creditMemo", "VS-PB1-1", credit_memo("12.34")) == cm  # same record
    body = payment(inv, "100.00", cm, "12.34", "87.66")
    pay = ns.upsert_by_external_id("customerPayment", "VS-PB1-2", body)
    assert ns.upsert_by_external_id("customerPayment", "VS-PB1-2", body) == pay  # a replay edits nothing

    paid = ns.get("customerPayment", pay, expand_sub_resources=True)
    assert (paid["applied"], paid["unapplied"], paid["total"]) == (Decimal("100.00"), 0, Decimal("87.66"))
    assert ns.get("invoice", inv)["amountRemaining"] == 0
    memo = ns.get("creditMemo", cm)
    assert memo["amountRemaining"] == 0 and memo["status"]["refName"] == "Fully Applied"
    assert memo["postingPeriod"]["refName"] == period_name(TODAY)
    rows = list(ns.suiteql("SELECT id FROM transaction WHERE externalid LIKE 'VS-PB1-%' ORDER BY id"))
    assert [row["id"] for row in rows] == [cm, pay]


@pytest.mark.parametrize(
    ("record_type", "body", "path"),
    [
        ("creditMemo", credit_memo("5.00", debit=5), "debit"),  # a journal's field, not a credit memo's
        (
            "creditMemo",
            credit_memo("5.00", item={"items": [{"item": {"id": SHORTAGE_ITEM}, "rate": 5, "disc": 1}]}),
            "item.items[0].disc",
        ),
        ("journalEntry", {"entity": CUSTOMER, "line": {"items": []}}, "entity"),
    ],
)
def test_a_field_the_record_does_not_have_is_refused_by_name(
    ns: NetSuiteClient, record_type: str, body: dict[str, Any], path: str
) -> None:
    with pytest.raises(NetSuiteRejectedError) as exc:
        ns.upsert_by_external_id(record_type, "VS-X-1", body)
    assert refusal(exc) == (400, "NONEXISTENT_FIELD", path)
    assert ns.get_by_external_id(record_type, "VS-X-1") is None


def test_a_payment_cannot_apply_more_than_is_open_nor_another_customers_credit(
    ns: NetSuiteClient, app: simulator.NetSuiteApp
) -> None:
    inv = invoice(ns, "INV2", "50.00")
    cm = ns.upsert_by_external_id("creditMemo", "VS-PB2-1", credit_memo("10.00"))
    with pytest.raises(NetSuiteRejectedError) as exc:
        ns.upsert_by_external_id("customerPayment", "VS-PB2-2", payment(inv, "50.00", cm, "10.01", "39.99"))
    assert refusal(exc) == (400, "INVALID_VALUE", "credit.items[0].amount")
    assert "10.00 still open" in exc.value.details[0].message

    other = ns.create("customer", {"companyName": "Someone Else", "isPerson": False})
    foreign = ns.create("creditMemo", {**credit_memo("10.00"), "entity": {"id": other}})
    with pytest.raises(NetSuiteRejectedError) as exc:
        ns.upsert_by_external_id(
            "customerPayment", "VS-PB2-2", payment(inv, "50.00", foreign, "10.00", "40.00")
        )
    assert refusal(exc) == (400, "INVALID_KEY_OR_REF", "credit.items[0].doc")
    # Nothing was half-written: the invoice and the credit are as open as before.
    assert ns.get("invoice", inv)["amountRemaining"] == Decimal("50.00")
    assert ns.get("creditMemo", cm)["amountRemaining"] == Decimal("10.00")


def test_journals_must_balance_and_name_the_customer_on_receivable_lines(ns: NetSuiteClient) -> None:
    def journal(debit: str, credit: str, entity: bool = True) -> dict[str, Any]:
        ar_line: dict[str, Any] = {"account": {"id": "120"}, "credit": Decimal(credit)}
        if entity:
            ar_line["entity"] = CUSTOMER
        return {
            "tranDate": DAY,
            "line": {"items": [{"account": {"id": "454"}, "debit": Decimal(debit)}, ar_line]},
        }

    with pytest.raises(NetSuiteRejectedError) as exc:
        ns.upsert_by_external_id("journalEntry", "VS-J-1", journal("10.00", "9.99"))
    assert refusal(exc) == (400, "USER_ERROR", "line")
    with pytest.raises(NetSuiteRejectedError) as exc:
        ns.upsert_by_external_id("journalEntry", "VS-J-1", journal("10.00", "10.00", entity=False))
    assert refusal(exc) == (400, "USER_ERROR", "line.items[1].entity")
    je = ns.upsert_by_external_id("journalEntry", "VS-J-1", journal("10.00", "10.00"))
    assert ns.get("journalEntry", je)["amountRemaining"] == Decimal("10.00")  # an open A/R credit


def test_a_reversing_journal_undoes_a_posted_credit_memo_without_touching_it(ns: NetSuiteClient) -> None:
    # NetSuite's REST API cannot void a credit memo or a payment (voiding is a UI/SuiteScript action),
    # so a reversal is a new, balanced journal: Dr A/R (the customer), Cr the deduction account.
    cm = ns.upsert_by_external_id("creditMemo", "VS-PB3-1", credit_memo("7.50"))
    before = ns.get("creditMemo", cm)
    reversal = {
        "tranDate": DAY,
        "memo": "Reverses VS-PB3-1",
        "line": {
            "items": [
                {"account": {"id": "120"}, "debit": Decimal("7.50"), "entity": CUSTOMER},
                {"account": {"id": "452"}, "credit": Decimal("7.50")},
            ]
        },
    }
    je = ns.upsert_by_external_id("journalEntry", "VS-PB3-1-R", reversal)
    assert ns.get("journalEntry", je)["total"] == Decimal("7.50")
    assert ns.get("creditMemo", cm) == before


def test_nothing_posts_into_a_closed_or_receivables_locked_period(
    ns: NetSuiteClient, app: simulator.NetSuiteApp
) -> None:
    cm = ns.upsert_by_external_id("creditMemo", "VS-PB4-1", credit_memo("3.00"))
    this, following, after = TODAY, month(1), month(2)
    app.records.set_period(this, closed=True)
    with pytest.raises(NetSuiteRejectedError) as exc:
        ns.upsert_by_external_id("creditMemo", "VS-PB4-2", credit_memo("3.00"))
    assert refusal(exc) == (400, "USER_ERROR", "tranDate")
    assert f"{period_name(this)} is closed" in exc.value.details[0].message
    moved = credit_memo("3.00", tranDate=following.isoformat())
    with pytest.raises(
        NetSuiteRejectedError, match=f"{period_name(this)} is closed"
    ):  # nor edited once closed
        ns.upsert_by_external_id("creditMemo", "VS-PB4-1", moved)
    assert ns.get("creditMemo", cm)["tranDate"] == DAY

    app.records.set_period(following, ar_locked=True)
    with pytest.raises(
        NetSuiteRejectedError, match=f"{period_name(following)} is locked for Accounts Receivable"
    ):
        ns.upsert_by_external_id("creditMemo", "VS-PB4-3", moved)
    ns.upsert_by_external_id("creditMemo", "VS-PB4-3", credit_memo("3.00", tranDate=after.isoformat()))

    rows = ns.suiteql(
        "SELECT id, periodname, closed, arlocked FROM accountingperiod WHERE isquarter = 'F' AND isyear = 'F'"
        " ORDER BY id"
    )
    periods = {row["periodname"]: (row["closed"], row["arlocked"]) for row in rows}
    assert [periods[period_name(d)] for d in (this, following, after)] == [("T", "F"), ("F", "T"), ("F", "F")]
