"""SuiteQL on the NetSuite simulator: paging, NetSuite's response shape, read-only translation."""

# ruff: noqa: S608 - SuiteQL over REST has no bind parameters; the ids interpolated are internal ids.
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sandbox.test_netsuite_api import RECORDS, in_stock, new_id, ns_client, sales_order
from vendorsync.sandbox import catalog
from vendorsync.sandbox.netsuite import make_app, seed

SUITEQL = "/services/rest/query/v1/suiteql"
TRANSIENT = {"Prefer": "transient"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    seed(tmp_path / "ns.sqlite3")
    with ns_client(make_app(tmp_path / "ns.sqlite3")) as http:
        yield http


def query(client: httpx.Client, q: str, **params: int) -> httpx.Response:
    return client.post(SUITEQL, json={"q": q}, headers=TRANSIENT, params=params)


def test_paging_over_the_200_items(client: httpx.Client) -> None:
    seen: list[str] = []
    pages = []
    for offset in range(0, 200, 50):
        response = query(
            client,
            "SELECT id, itemid, upccode, custitem_asin FROM item WHERE itemtype = 'InvtPart' ORDER BY id",
            limit=50,
            offset=offset,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        seen += [row["id"] for row in page["items"]]
        assert (page["count"], page["offset"], page["totalResults"]) == (50, offset, 200)
    assert [p["hasMore"] for p in pages] == [True, True, True, False]
    assert seen == [item.netsuite_id for item in catalog.items()]
    first = pages[0]["items"][0]
    assert first == {
        "links": [],
        "id": "5000",
        "itemid": catalog.items()[0].sku,
        "upccode": catalog.items()[0].upc,
        "custitem_asin": catalog.items()[0].asin,
    }
    assert any(link["rel"] == "next" for link in pages[0]["links"])


def test_without_prefer_transient_it_is_a_400(client: httpx.Client) -> None:
    response = client.post(SUITEQL, json={"q": "SELECT id FROM item"})
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorHeader"] == "Prefer"


def test_limit_above_1000_is_refused(client: httpx.Client) -> None:
    response = query(client, "SELECT id FROM item", limit=1001)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorQueryParam"] == "limit"


@pytest.mark.parametrize(
    "q",
    [
        "DELETE FROM item",
        "UPDATE item SET cost = 0",
        "SELECT id FROM item; DROP TABLE item",
        "SELECT body FROM record",  # the simulator's private tables are not SuiteQL tables
    ],
)
def test_only_selects_over_suiteql_tables_run(client: httpx.Client, q: str) -> None:
    response = query(client, q)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"
    assert query(client, "SELECT COUNT(*) AS n FROM item").json()["items"][0]["n"] == "208"


def test_values_are_strings_and_builtins_are_translated(client: httpx.Client) -> None:
    item = in_stock()[0]
    body = sales_order("Q1'X", [(item.netsuite_id, 2)]) | {"externalId": "AMZPO-Q1X"}
    so_id = new_id(client.post(f"{RECORDS}/salesOrder", json=body))
    rows = query(
        client,
        "SELECT t.id, t.tranid, t.foreigntotal, BUILTIN.CF(t.status) AS status, BUILTIN.DF(t.status) AS statusname,"
        " BUILTIN.DF(t.entity) AS customer, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate"
        " FROM transaction t WHERE t.type = 'SalesOrd' AND t.otherrefnum = 'Q1''X'"
        " AND t.trandate >= TO_DATE('03/01/2026', 'MM/DD/YYYY') FETCH FIRST 5 ROWS ONLY",
    ).json()["items"]
    assert rows == [
        {
            "links": [],
            "id": so_id,
            "tranid": rows[0]["tranid"],
            "foreigntotal": "25",
            "status": "SalesOrd:B",
            "statusname": "Pending Fulfillment",
            "customer": catalog.AMAZON_CUSTOMER_NAME,
            "trandate": "2026-03-02",
        }
    ]
    lines = query(
        client,
        f"SELECT tl.id, tl.item, tl.quantity, tl.rate, tl.isclosed FROM transactionline tl"
        f" WHERE tl.transaction = {so_id} AND tl.mainline = 'F' ORDER BY tl.id",
    ).json()["items"]
    assert lines == [
        {"links": [], "id": "1", "item": item.netsuite_id, "quantity": "2", "rate": "12.5", "isclosed": "F"}
    ]


def test_stock_and_accounts_are_queryable(client: httpx.Client) -> None:
    item = catalog.items()[3]
    stock = query(
        client,
        f"SELECT quantityavailable FROM inventoryitemlocations WHERE item = {item.netsuite_id} AND location = 1",
    ).json()["items"]
    assert stock[0]["quantityavailable"] == str(item.stock)
    accounts = query(client, "SELECT id, acctnumber, fullname FROM account ORDER BY acctnumber").json()[
        "items"
    ]
    assert [a["acctnumber"] for a in accounts] == sorted(a.number for a in catalog.GL_ACCOUNTS)
