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


def test_a_result_beyond_the_row_cap_fails_before_any_row_is_yielded(client, netsuite):
    route = netsuite.post(SUITEQL).mock(return_value=page(0, 1000, has_more=True, total=150_000))

    rows = client.suiteql(QUERY)
    seen = []
    with pytest.raises(RejectedError) as caught:
        for row in rows:
            seen.append(row)

    assert seen == []
    assert route.call_count == 1
    message = str(caught.value)
    assert "150,000 rows" in message
    assert "100,000" in message
    assert "WHERE id > :last ORDER BY id" in message


def test_the_last_request_is_cut_to_the_rows_left_below_the_cap(client, netsuite):
    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        items = [{"id": str(i)} for i in range(offset, offset + limit)]
        more = offset + limit < 100_000
        body = {"count": limit, "hasMore": more, "offset": offset, "totalResults": 100_000, "items": items}
        return httpx.Response(200, json=body)

    route = netsuite.post(SUITEQL).mock(side_effect=respond)

    rows = list(client.suiteql(QUERY, page_size=300))  # 300 does not divide 100,000

    assert len(rows) == 100_000
    assert rows[-1]["id"] == "99999"
    last = route.calls.last.request.url.params
    assert (last["offset"], last["limit"]) == ("99900", "100")
    assert route.call_count == 334


def test_a_single_page_request_never_reaches_past_the_cap(client, netsuite):
    route = netsuite.post(SUITEQL).mock(return_value=page(99_500, 500, has_more=False, total=100_000))
    client.suiteql_page(QUERY, limit=1000, offset=99_500)
    assert route.calls.last.request.url.params["limit"] == "500"
    with pytest.raises(RejectedError, match="WHERE id > :last"):
        client.suiteql_page(QUERY, offset=100_000)


JOINED = (
    "SELECT tl.id, tl.item, t.tranid FROM transactionline tl JOIN transaction t ON t.id = tl.transaction "
)


@pytest.mark.parametrize(
    "query",
    [
        JOINED + "ORDER BY t.id",  # t.id repeats for every line: not the row source's key
        JOINED + "ORDER BY id",  # unqualified in a join: whose id?
        "SELECT tl.id FROM transactionline tl LEFT OUTER JOIN transaction t ON t.id = tl.transaction ORDER BY t.id",
    ],
)
def test_a_key_of_another_alias_than_the_row_source_is_refused(query):
    with pytest.raises(ValueError, match=r"missing tl\.id \(the row source is 'tl'"):
        require_stable_order(query)


@pytest.mark.parametrize(
    ("query", "unique_key"),
    [
        (JOINED + "ORDER BY tl.id", ("id",)),
        (JOINED + "WHERE t.type = 'SalesOrd' ORDER BY t.trandate, tl.id DESC", ("id",)),
        ("SELECT t.id FROM transaction AS t ORDER BY id", ("id",)),  # one source: bare is fine
        ("SELECT s.id FROM (SELECT id FROM item) s ORDER BY s.id", ("id",)),
        # A key spanning aliases is named with its qualifiers.
        (
            "SELECT t.id, tl.id AS line FROM transaction t JOIN transactionline tl ON tl.transaction = t.id "
            "ORDER BY t.id, tl.id",
            ("t.id", "tl.id"),
        ),
    ],
)
def test_a_key_of_the_row_source_is_accepted(query, unique_key):
    require_stable_order(query, unique_key)


@pytest.mark.parametrize(
    "query",
    [
        # Ordered by the row source's key, but the rows selected are another alias's.
        "SELECT tl.id FROM transaction t, transactionline tl WHERE tl.transaction = t.id ORDER BY t.id",
        "SELECT tl.id AS line, t.tranid FROM transaction t JOIN transactionline tl ON tl.transaction = t.id "
        "ORDER BY t.id",
    ],
)
def test_selecting_another_alias_key_than_the_row_source_is_refused(query):
    with pytest.raises(ValueError, match=r"selects tl\.id but its row source .* is 't'"):
        require_stable_order(query)
    # Naming the key with its alias states which rows are paged; the ORDER BY must then match.
    with pytest.raises(ValueError, match=r"missing tl\.id"):
        require_stable_order(query, ("tl.id",))
    require_stable_order(query + ", tl.id", ("t.id", "tl.id"))


def test_a_qualified_unique_key_needs_exactly_that_alias():
    query = "SELECT t.id FROM transaction t JOIN transactionline tl ON tl.transaction = t.id ORDER BY t.id"
    with pytest.raises(ValueError, match=r"missing tl\.id"):
        require_stable_order(query, ("t.id", "tl.id"))


def test_the_client_refuses_a_join_ordered_by_the_wrong_alias_before_any_request(client, netsuite):
    route = netsuite.post(SUITEQL).mock(return_value=page(0, 1, has_more=False))
    with pytest.raises(ValueError, match="row source"):
        client.suiteql(JOINED + "ORDER BY t.id")
    assert route.call_count == 0
