"""The simulated warehouse: seeding, shipping open sales orders with SSCC cartons, and its faults."""

# ruff: noqa: S608 - SuiteQL over REST has no bind parameters; the ids interpolated are internal ids.
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from stdnum import ean

from tests.sandbox.test_netsuite_api import RECORDS, in_stock, new_id, ns_client, sales_order
from vendorsync.sandbox import catalog
from vendorsync.sandbox.netsuite import make_app, seed, simulate_day

DAY = date(2026, 3, 3)


def place_order(path: Path, po: str, lines: list[tuple[str, int]]) -> str:
    with ns_client(make_app(path)) as http:
        return new_id(http.post(f"{RECORDS}/salesOrder", json=sales_order(po, lines)))


def shipped(path: Path, so_id: str) -> list[dict[str, object]]:
    with ns_client(make_app(path)) as http:
        rows = http.post(
            "/services/rest/query/v1/suiteql",
            headers={"Prefer": "transient"},
            json={
                "q": f"SELECT DISTINCT transaction AS id FROM transactionline WHERE createdfrom = {so_id} ORDER BY 1"
            },
        ).json()["items"]
        return [
            http.get(f"{RECORDS}/{kind}/{row['id']}", params={"expandSubResources": "true"}).json()
            for row in rows
            for kind in ("itemFulfillment", "invoice")
            if http.get(f"{RECORDS}/{kind}/{row['id']}").status_code == 200
        ]


def seeded(tmp_path: Path, name: str = "ns.sqlite3") -> Path:
    path = tmp_path / name
    seed(path)
    return path


def test_seed_is_idempotent(tmp_path: Path) -> None:
    path = seeded(tmp_path)
    seed(path)
    with ns_client(make_app(path)) as http:
        listing = http.get(f"{RECORDS}/inventoryItem", params={"limit": 1000}).json()
        assert listing["totalResults"] == 200
        assert (
            http.get(f"{RECORDS}/customer/eid:AMZ-VC-{catalog.VENDOR_CODE}").json()["id"]
            == catalog.AMAZON_CUSTOMER_ID
        )


def test_an_open_sales_order_ships_with_valid_ssccs_and_is_invoiced(tmp_path: Path) -> None:
    path = seeded(tmp_path)
    item = in_stock(100)[0]
    so_id = place_order(path, "WH1", [(item.netsuite_id, 60)])
    result = simulate_day(DAY, path, missing_weight_share=0, duplicate_sscc_share=0)
    assert len(result.fulfillments) == len(result.invoices) == 1
    fulfillment, invoice = shipped(path, so_id)
    assert fulfillment["status"]["refName"] == "Shipped"
    assert fulfillment["item"]["items"][0]["quantity"] == 60
    packages = fulfillment["package"]["items"]
    ssccs = [p["packageCartonNumber"] for p in packages]
    assert all(len(s) == 18 and s[1:8] == catalog.GS1_COMPANY_PREFIX for s in ssccs)
    assert all(ean.calc_check_digit(s[:17]) == s[17] for s in ssccs)  # GS1 mod-10
    assert len(set(ssccs)) == len(ssccs)
    assert all(p["packageWeight"] > 0 for p in packages)
    assert sum(int(p["packageDescr"].split(" x ")[1].split(";")[0]) for p in packages) == 60
    assert invoice["total"] == 750 and invoice["createdFrom"]["id"] == so_id
    with ns_client(make_app(path)) as http:
        so = http.get(f"{RECORDS}/salesOrder/{so_id}").json()
        stock = http.get(
            f"{RECORDS}/inventoryItem/{item.netsuite_id}", params={"expandSubResources": "true"}
        ).json()
    assert so["status"]["refName"] == "Billed"
    assert stock["locations"]["items"][0]["quantityAvailable"] == item.stock - 60


def test_out_of_stock_lines_stay_backordered(tmp_path: Path) -> None:
    path = seeded(tmp_path)
    empty = next(item for item in catalog.items() if item.stock == 0)
    full = in_stock()[0]
    so_id = place_order(path, "WH2", [(full.netsuite_id, 5), (empty.netsuite_id, 5)])
    simulate_day(DAY, path)
    fulfillment = shipped(path, so_id)[0]
    assert [line["orderLine"] for line in fulfillment["item"]["items"]] == [1]
    with ns_client(make_app(path)) as http:
        assert http.get(f"{RECORDS}/salesOrder/{so_id}").json()["status"]["refName"] == "Partially Fulfilled"


def test_forced_faults_give_missing_weights_and_duplicate_ssccs(tmp_path: Path) -> None:
    path = seeded(tmp_path)
    so_id = place_order(path, "WH3", [(item.netsuite_id, 30) for item in in_stock(100)[:3]])
    result = simulate_day(DAY, path, missing_weight_share=1.0, duplicate_sscc_share=1.0)
    packages = shipped(path, so_id)[0]["package"]["items"]
    assert len(packages) >= 2
    assert all("packageWeight" not in p for p in packages)
    assert max(Counter(p["packageCartonNumber"] for p in packages).values()) >= 2
    assert result.missing_weights == len(packages) and result.duplicate_ssccs == len(packages) - 1


def test_the_same_day_ships_the_same_way(tmp_path: Path) -> None:
    runs = []
    for name in ("a.sqlite3", "b.sqlite3"):
        path = seeded(tmp_path, name)
        so_id = place_order(path, "WH4", [(item.netsuite_id, 40) for item in in_stock(100)[:4]])
        simulate_day(DAY, path, missing_weight_share=0.3, duplicate_sscc_share=0.3)
        runs.append(shipped(path, so_id)[0]["package"]["items"])
    assert runs[0] == runs[1]


def test_orders_dated_after_the_day_wait(tmp_path: Path) -> None:
    path = seeded(tmp_path)
    place_order(path, "WH5", [(in_stock()[0].netsuite_id, 1)])
    assert simulate_day(date(2026, 3, 1), path).fulfillments == []


def test_pending_approval_orders_are_not_shipped(tmp_path: Path) -> None:
    path = seeded(tmp_path)
    with ns_client(make_app(path)) as http:
        body = sales_order("WH6", [(in_stock()[0].netsuite_id, 1)]) | {"orderStatus": "A"}
        assert http.post(f"{RECORDS}/salesOrder", json=body).status_code == 204
    assert simulate_day(DAY, path).fulfillments == []
