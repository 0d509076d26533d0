"""SuiteQL: paging over hasMore with a stable order, and money read as Decimal."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from tests.netsuite.conftest import SUITEQL
from vendorsync.errors import RejectedError
from vendorsync.netsuite import decimal_fields, require_stable_order, to_decimal

QUERY = (
    "SELECT t.id, t.tranid, t.foreignamountunpaid FROM transaction t WHERE t.type = 'CustInvc' ORDER BY t.id"
)


def page(start: int, count: int, *, has_more: bool, total: int = 2345) -> httpx.Response:
    items = [
        {"links": [], "id": str(i), "tranid": f"INV{i}", "foreignamountunpaid": f"{i}.10"}
        for i in range(start, start + count)
    ]
    return httpx.Response(
        200,
        json={
            "links": [],
            "count": count,
            "hasMore": has_more,
            "offset": start,
            "totalResults": total,
            "items": items,
        },
    )


def test_suiteql_pages_over_has_more_with_offsets_0_1000_2000(client, netsuite):
    route = netsuite.post(SUITEQL).mock(
        side_effect=[
            page(0, 1000, has_more=True),
            page(1000, 1000, has_more=True),
            page(2000, 345, has_more=False),
        ]
    )

    rows = list(client.suiteql(QUERY))

    assert len(rows) == 2345
    assert rows[0] == {"id": "0", "tranid": "INV0", "foreignamountunpaid": "0.10"}  # "links" dropped
    assert rows[-1]["id"] == "2344"
    requests = [call.request for call in route.calls]
    assert [r.url.params["offset"] for r in requests] == ["0", "1000", "2000"]
    assert [r.url.params["limit"] for r in requests] == ["1000", "1000", "1000"]
    assert all(r.headers["Prefer"] == "transient" for r in requests)
    assert all(json.loads(r.content) == {"q": QUERY} for r in requests)


def test_suiteql_respects_a_smaller_page_size(client, netsuite):
    route = netsuite.post(SUITEQL).mock(side_effect=[page(0, 2, has_more=True), page(2, 1, has_more=False)])
    assert [row["id"] for row in client.suiteql(QUERY, page_size=2)] == ["0", "1", "2"]
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "2"]


def test_suiteql_is_lazy_a_consumer_that_stops_early_fetches_no_more_pages(client, netsuite):
    route = netsuite.post(SUITEQL).mock(
        side_effect=[page(0, 1000, has_more=True), page(1000, 1000, has_more=True)]
    )
    rows = client.suiteql(QUERY)
    first = next(rows)
    assert first["id"] == "0"
    assert route.call_count == 1


def test_an_unordered_query_is_refused_before_any_request(client, netsuite):
    route = netsuite.post(SUITEQL).mock(return_value=page(0, 1, has_more=False))

    with pytest.raises(ValueError, match="ORDER BY"):
        client.suiteql("SELECT id, tranid FROM transaction WHERE type = 'CustInvc'")
    assert route.call_count == 0

    # The caller may accept an unstable order explicitly.
    assert len(list(client.suiteql("SELECT id FROM transaction", unordered_ok=True))) == 1
    assert route.call_count == 1


def test_page_sizes_beyond_netsuites_maximum_are_refused(client):
    with pytest.raises(ValueError):
        client.suiteql(QUERY, page_size=1001)
    with pytest.raises(ValueError):
        client.suiteql(QUERY, page_size=0)


def test_paging_stops_with_a_clear_error_at_the_100k_row_cap(client, netsuite):
    netsuite.post(SUITEQL).mock(
        side_effect=lambda request: page(int(request.url.params["offset"]), 1000, has_more=True)
    )
    with pytest.raises(RejectedError, match="100,000"):
        for _ in client.suiteql(QUERY):
            pass


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id FROM item ORDER BY id",
        "SELECT t.id FROM transaction t ORDER BY t.trandate DESC, t.id ASC",
        "select i.id from item i order by i.itemid nulls last, i.id",
        "SELECT id FROM (SELECT id FROM item WHERE x = ')') ORDER BY id -- newest last",
    ],
)
def test_stable_orders_are_accepted(query):
    require_stable_order(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id FROM item",
        "SELECT t.id FROM transaction t ORDER BY t.trandate",
        "SELECT id FROM (SELECT id FROM item ORDER BY id) WHERE 1 = 1",  # only a subquery is ordered
        "SELECT id FROM item WHERE memo = 'ORDER BY id'",  # inside a string literal
        "SELECT id FROM item /* ORDER BY id */",
        "SELECT id FROM item ORDER BY BUILTIN.DF(id)",  # an expression, not the key
    ],
)
def test_unstable_orders_are_refused(query):
    with pytest.raises(ValueError):
        require_stable_order(query)


def test_a_composite_unique_key_must_be_fully_ordered():
    query = "SELECT tl.transaction, tl.id FROM transactionline tl ORDER BY tl.id"
    with pytest.raises(ValueError, match="transaction"):
        require_stable_order(query, ("transaction", "id"))
    require_stable_order(query + ", tl.transaction", ("transaction", "id"))


def test_money_strings_become_exact_decimals():
    assert to_decimal("1234.10") == Decimal("1234.10")
    assert str(to_decimal("-.5")) == "-0.5"
    assert to_decimal("") is None
    assert to_decimal(None) is None
    assert to_decimal(7) == Decimal(7)
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_decimal("12,50")
    with pytest.raises(ValueError):
        to_decimal("NaN")


def test_decimal_fields_converts_only_the_named_columns_of_a_copy():
    row = {"id": "7", "total": "206.04", "unpaid": "", "tranid": "INV1001"}
    converted = decimal_fields(row, "total", "unpaid", "absent")
    assert converted == {"id": "7", "total": Decimal("206.04"), "unpaid": None, "tranid": "INV1001"}
    assert row["total"] == "206.04"
