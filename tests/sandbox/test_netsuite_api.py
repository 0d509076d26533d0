"""The NetSuite simulator's REST record API: TBA checks, records, upsert, transforms, errors."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oauthlib import oauth1

from vendorsync.sandbox import catalog
from vendorsync.sandbox.netsuite import (
    ACCOUNT_ID,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    TOKEN_ID,
    TOKEN_SECRET,
    Faults,
    NetSuiteApp,
    make_app,
    seed,
)

BASE = "https://tstdrv1234567.suitetalk.api.netsuite.com"
RECORDS = "/services/rest/record/v1"


class TBA(httpx.Auth):
    """Signs each request afresh with oauthlib, as NetSuite's TBA expects (new nonce per attempt)."""

    def __init__(self, *, token_secret: str = TOKEN_SECRET, realm: str = ACCOUNT_ID) -> None:
        self.signer = oauth1.Client(
            CONSUMER_KEY,
            client_secret=CONSUMER_SECRET,
            resource_owner_key=TOKEN_ID,
            resource_owner_secret=token_secret,
            signature_method=oauth1.SIGNATURE_HMAC_SHA256,
            realm=realm,
        )
        self.last_authorization = ""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _, headers, _ = self.signer.sign(str(request.url), http_method=request.method)
        request.headers["Authorization"] = self.last_authorization = headers["Authorization"]
        yield request


def ns_client(app: NetSuiteApp, auth: httpx.Auth | None = None, base: str = BASE) -> httpx.Client:
    transport = httpx.WSGITransport(app=app)
    return httpx.Client(transport=transport, base_url=base, auth=auth or TBA(), timeout=30)


def new_id(response: httpx.Response) -> str:
    assert response.status_code == 204, response.text
    return response.headers["Location"].rsplit("/", 1)[-1]


def sales_order(po: str, lines: list[tuple[str, int]]) -> dict[str, object]:
    return {
        "externalId": f"AMZPO-{po}",
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "otherRefNum": po,
        "tranDate": "2026-03-02",
        "orderStatus": "B",
        "item": {"items": [{"item": {"id": item}, "quantity": qty, "rate": "12.50"} for item, qty in lines]},
    }


def in_stock(minimum: int = 50) -> list[catalog.CatalogItem]:
    return [item for item in catalog.items() if item.stock >= minimum]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "netsuite.sqlite3"
    seed(path)
    return path


@pytest.fixture
def client(store: Path) -> Iterator[httpx.Client]:
    with ns_client(make_app(store)) as http:
        yield http


def test_a_correctly_signed_get_returns_the_record(client: httpx.Client) -> None:
    response = client.get(f"{RECORDS}/customer/{catalog.AMAZON_CUSTOMER_ID}")
    assert response.status_code == 200, response.text
    assert response.json()["companyName"] == catalog.AMAZON_CUSTOMER_NAME
    assert response.json()["id"] == catalog.AMAZON_CUSTOMER_ID


def test_signature_covers_query_parameters_and_a_mount_prefix(store: Path) -> None:
    # Behind `sandbox serve` the app is mounted at /netsuite (SCRIPT_NAME set, PATH_INFO stripped)
    # while the client signs the full URL it called.
    app = make_app(store)

    def mounted(environ: dict[str, Any], start_response: Any) -> Any:
        environ["SCRIPT_NAME"] = "/netsuite"
        environ["PATH_INFO"] = environ["PATH_INFO"].removeprefix("/netsuite")
        return app(environ, start_response)

    with ns_client(mounted, base="http://localhost:8010/netsuite") as http:  # type: ignore[arg-type]
        response = http.get(f"{RECORDS}/inventoryItem/5000", params={"expandSubResources": "true"})
    assert response.status_code == 200, response.text
    assert response.json()["locations"]["items"][0]["quantityAvailable"] == catalog.items()[0].stock


def test_a_wrong_token_secret_gets_invalid_login(store: Path) -> None:
    with ns_client(make_app(store), TBA(token_secret="not-the-secret")) as http:
        response = http.get(f"{RECORDS}/customer/{catalog.AMAZON_CUSTOMER_ID}")
    assert response.status_code == 401
    body = response.json()
    assert body["title"] == "Unauthorized" and body["status"] == 401
    assert body["type"].endswith("#section-15.5.2")
    assert body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert body["o:errorDetails"][0]["detail"].startswith("Invalid login attempt.")


def test_a_lowercase_realm_is_refused(store: Path) -> None:
    with ns_client(make_app(store), TBA(realm=ACCOUNT_ID.lower())) as http:
        assert http.get(f"{RECORDS}/customer/{catalog.AMAZON_CUSTOMER_ID}").status_code == 401


def test_a_replayed_nonce_is_refused(store: Path) -> None:
    auth = TBA()
    url = f"{RECORDS}/customer/{catalog.AMAZON_CUSTOMER_ID}"
    with ns_client(make_app(store), auth) as http:
        assert http.get(url).status_code == 200
        replay = http.get(url, auth=None, headers={"Authorization": auth.last_authorization})
    assert replay.status_code == 401
    assert replay.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


def test_an_unsigned_request_is_refused(store: Path) -> None:
    with httpx.Client(transport=httpx.WSGITransport(app=make_app(store)), base_url=BASE) as http:
        assert http.get(f"{RECORDS}/customer/{catalog.AMAZON_CUSTOMER_ID}").status_code == 401


def test_create_answers_204_with_the_new_record_in_location(client: httpx.Client) -> None:
    item = in_stock()[0]
    response = client.post(f"{RECORDS}/salesOrder", json=sales_order("1AB2C3D4", [(item.netsuite_id, 3)]))
    assert response.status_code == 204 and response.content == b""
    assert response.headers["Location"].startswith(f"{BASE}{RECORDS}/salesOrder/")
    so = client.get(f"{RECORDS}/salesOrder/{new_id(response)}", params={"expandSubResources": "true"}).json()
    assert so["otherRefNum"] == "1AB2C3D4"
    assert so["status"]["refName"] == "Pending Fulfillment"
    assert so["entity"]["refName"] == catalog.AMAZON_CUSTOMER_NAME
    assert so["total"] == 37.5
    assert so["item"]["items"][0]["quantity"] == 3


def test_sublists_are_links_unless_expanded(client: httpx.Client) -> None:
    so_id = new_id(
        client.post(f"{RECORDS}/salesOrder", json=sales_order("P1", [(in_stock()[0].netsuite_id, 1)]))
    )
    collapsed = client.get(f"{RECORDS}/salesOrder/{so_id}").json()
    assert "items" not in collapsed["item"]
    assert collapsed["item"]["links"][0]["href"].endswith(f"/salesOrder/{so_id}/item")
    sublist = client.get(f"{RECORDS}/salesOrder/{so_id}/item").json()
    assert sublist["items"][0]["line"] == 1


def test_upsert_by_external_id_is_idempotent(client: httpx.Client) -> None:
    item = in_stock()[0]
    first = client.put(
        f"{RECORDS}/salesOrder/eid:AMZPO-UPS1", json=sales_order("UPS1", [(item.netsuite_id, 2)])
    )
    again = client.put(
        f"{RECORDS}/salesOrder/eid:AMZPO-UPS1", json=sales_order("UPS1", [(item.netsuite_id, 5)])
    )
    assert new_id(first) == new_id(again)
    by_eid = client.get(f"{RECORDS}/salesOrder/eid:AMZPO-UPS1", params={"expandSubResources": "true"}).json()
    assert by_eid["id"] == new_id(first)
    assert [line["quantity"] for line in by_eid["item"]["items"]] == [5]
    listing = client.get(f"{RECORDS}/salesOrder").json()
    assert listing["totalResults"] == 1


def test_a_second_post_with_the_same_external_id_is_refused(client: httpx.Client) -> None:
    body = sales_order("DUP1", [(in_stock()[0].netsuite_id, 1)])
    assert client.post(f"{RECORDS}/salesOrder", json=body).status_code == 204
    again = client.post(f"{RECORDS}/salesOrder", json=body)
    assert again.status_code == 400
    assert "already exists" in again.json()["o:errorDetails"][0]["detail"]


def test_unknown_item_reference_is_a_400_with_the_error_path(client: httpx.Client) -> None:
    response = client.post(f"{RECORDS}/salesOrder", json=sales_order("BAD1", [("999999", 1)]))
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Bad Request"
    detail = body["o:errorDetails"][0]
    assert detail["o:errorCode"] == "INVALID_KEY_OR_REF"
    assert detail["o:errorPath"] == "item.items[0].item"


def test_missing_customer_and_bad_amounts_are_named(client: httpx.Client) -> None:
    body = sales_order("BAD2", [(in_stock()[0].netsuite_id, 1)])
    del body["entity"]
    missing = client.post(f"{RECORDS}/salesOrder", json=body).json()["o:errorDetails"][0]
    assert (missing["o:errorCode"], missing["o:errorPath"]) == ("USER_ERROR", "entity")
    body = sales_order("BAD3", [(in_stock()[0].netsuite_id, 1)])
    body["item"]["items"][0]["rate"] = "twelve"  # type: ignore[index]
    bad = client.post(f"{RECORDS}/salesOrder", json=body).json()["o:errorDetails"][0]
    assert (bad["o:errorCode"], bad["o:errorPath"]) == ("INVALID_VALUE", "item.items[0].rate")
    assert client.get(f"{RECORDS}/salesOrder").json()["totalResults"] == 0  # nothing half-written


def test_unknown_ids_are_404_in_netsuite_shape(client: httpx.Client) -> None:
    for url in (f"{RECORDS}/salesOrder/424242", f"{RECORDS}/salesOrder/eid:NOPE"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"


def test_transform_sales_order_to_fulfillment_then_invoice_then_payment(
    client: httpx.Client, store: Path
) -> None:
    item = in_stock()[0]
    so_id = new_id(client.post(f"{RECORDS}/salesOrder", json=sales_order("TR1", [(item.netsuite_id, 4)])))
    fulfil = client.post(
        f"{RECORDS}/salesOrder/{so_id}/!transform/itemFulfillment",
        json={
            "shipStatus": {"id": "C"},
            "item": {"items": [{"orderLine": 1, "quantity": 4}]},
            "package": {"items": [{"packageWeight": 12.5, "packageCartonNumber": "006141410000000019"}]},
        },
    )
    if_id = new_id(fulfil)
    assert "/itemFulfillment/" in fulfil.headers["Location"]
    shipment = client.get(f"{RECORDS}/itemFulfillment/{if_id}", params={"expandSubResources": "true"}).json()
    assert shipment["createdFrom"]["id"] == so_id
    assert shipment["shipStatus"]["id"] == "C"
    assert shipment["item"]["items"][0]["quantity"] == 4
    assert shipment["package"]["items"][0]["packageWeight"] == 12.5
    stock = client.get(
        f"{RECORDS}/inventoryItem/{item.netsuite_id}", params={"expandSubResources": "true"}
    ).json()
    assert stock["locations"]["items"][0]["quantityAvailable"] == item.stock - 4

    inv_id = new_id(client.post(f"{RECORDS}/salesOrder/{so_id}/!transform/invoice", json={}))
    invoice = client.get(f"{RECORDS}/invoice/{inv_id}").json()
    assert (invoice["total"], invoice["amountRemaining"], invoice["status"]["refName"]) == (50, 50, "Open")
    assert client.get(f"{RECORDS}/salesOrder/{so_id}").json()["status"]["refName"] == "Billed"

    pay_id = new_id(
        client.post(f"{RECORDS}/invoice/{inv_id}/!transform/customerPayment", json={"payment": 50})
    )
    payment = client.get(f"{RECORDS}/customerPayment/{pay_id}", params={"expandSubResources": "true"}).json()
    assert payment["apply"]["items"][0]["doc"]["id"] == inv_id
    assert client.get(f"{RECORDS}/invoice/{inv_id}").json()["status"]["refName"] == "Paid In Full"


def test_overfulfilling_an_order_line_is_refused(client: httpx.Client) -> None:
    so_id = new_id(
        client.post(f"{RECORDS}/salesOrder", json=sales_order("TR2", [(in_stock()[0].netsuite_id, 2)]))
    )
    response = client.post(
        f"{RECORDS}/salesOrder/{so_id}/!transform/itemFulfillment",
        json={"item": {"items": [{"orderLine": 1, "quantity": 3}]}},
    )
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "item.items[0].quantity"


def test_patch_closes_a_line_and_payments_apply_credit_memos(client: httpx.Client) -> None:
    a, b = in_stock()[:2]
    so_id = new_id(
        client.post(
            f"{RECORDS}/salesOrder", json=sales_order("CL1", [(a.netsuite_id, 2), (b.netsuite_id, 2)])
        )
    )
    patched = client.patch(
        f"{RECORDS}/salesOrder/{so_id}", json={"item": {"items": [{"line": 2, "isclosed": True}]}}
    )
    assert patched.status_code == 204
    client.post(f"{RECORDS}/salesOrder/{so_id}/!transform/itemFulfillment", json={})
    inv_id = new_id(client.post(f"{RECORDS}/salesOrder/{so_id}/!transform/invoice", json={}))
    assert client.get(f"{RECORDS}/invoice/{inv_id}").json()["total"] == 25
    memo = {
        "externalId": "AMZDED-1-1",
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "item": {"items": [{"item": {"id": "9002"}, "quantity": 1, "rate": "5.00"}]},
    }
    cm_id = new_id(client.post(f"{RECORDS}/creditMemo", json=memo))
    payment = {
        "externalId": "AMZPMT-1",
        "customer": {"id": catalog.AMAZON_CUSTOMER_ID},
        "payment": "20.00",
        "apply": {"items": [{"doc": {"id": inv_id}, "apply": True, "amount": "25.00"}]},
        "credit": {"items": [{"doc": {"id": cm_id}, "apply": True, "amount": "5.00"}]},
    }
    assert client.post(f"{RECORDS}/customerPayment", json=payment).status_code == 204
    assert client.get(f"{RECORDS}/invoice/{inv_id}").json()["amountRemaining"] == 0
    assert client.get(f"{RECORDS}/creditMemo/{cm_id}").json()["status"]["refName"] == "Fully Applied"


def test_an_unbalanced_journal_entry_is_refused(client: httpx.Client) -> None:
    entry = {
        "externalId": "AMZJE-1",
        "line": {
            "items": [
                {"account": {"id": "454"}, "debit": 10},
                {"account": {"id": "120"}, "credit": 9, "entity": {"id": catalog.AMAZON_CUSTOMER_ID}},
            ]
        },
    }
    response = client.post(f"{RECORDS}/journalEntry", json=entry)
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "line"


def test_requests_beyond_the_concurrency_limit_get_429(store: Path) -> None:
    app = make_app(store, faults=Faults(latency_seconds=0.4), concurrency_limit=2)
    statuses: list[int] = []
    bodies: list[dict[str, object]] = []

    def call() -> None:
        with ns_client(app) as http:
            response = http.get(f"{RECORDS}/customer/{catalog.AMAZON_CUSTOMER_ID}")
        statuses.append(response.status_code)
        if response.status_code == 429:
            bodies.append(response.json())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 200 in statuses and 429 in statuses
    assert bodies[0]["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"  # type: ignore[index]


def test_timeout_fault_loses_the_response_but_keeps_the_write(store: Path) -> None:
    app = make_app(store, faults=Faults(timeout=True))
    with ns_client(app) as http:
        response = http.post(
            f"{RECORDS}/salesOrder", json=sales_order("TO1", [(in_stock()[0].netsuite_id, 1)])
        )
        assert response.status_code == 504
        app.faults.timeout = False
        assert http.get(f"{RECORDS}/salesOrder/eid:AMZPO-TO1").status_code == 200


def test_error_rate_fault_answers_5xx_without_writing(store: Path) -> None:
    app = make_app(store, faults=Faults(error_rate=1.0, status_5xx=502))
    with ns_client(app) as http:
        assert (
            http.post(
                f"{RECORDS}/salesOrder", json=sales_order("E1", [(in_stock()[0].netsuite_id, 1)])
            ).status_code
            == 502
        )
        app.faults.error_rate = 0
        assert http.get(f"{RECORDS}/salesOrder/eid:AMZPO-E1").status_code == 404


STRICT = {"X-NetSuite-PropertyNameValidation": "Error"}


def test_strict_property_names_refuse_an_unknown_field_as_netsuite_does(client: httpx.Client) -> None:
    item = in_stock()[0].netsuite_id
    body = sales_order("STRICT01", [(item, 1)])
    body["otherRefNumber"] = "STRICT01"  # misspelt: the field is otherRefNum
    body["item"]["items"][0]["custcol_amz_asn"] = "B0X"  # misspelt custom column
    response = client.put(f"{RECORDS}/salesOrder/eid:STRICT01", json=body, headers=STRICT)
    assert response.status_code == 400
    details = response.json()["o:errorDetails"]
    assert {(d["o:errorCode"], d["o:errorPath"]) for d in details} == {
        ("NONEXISTENT_FIELD", "otherRefNumber"),
        ("NONEXISTENT_FIELD", "item.items[0].custcol_amz_asn"),
    }
    assert any("Invalid Field Name: otherRefNumber" in d["detail"] for d in details)
    assert client.get(f"{RECORDS}/salesOrder/eid:STRICT01").status_code == 404  # nothing written
    # NetSuite's default (no header, or Warning) ignores unknown names; known names always pass.
    assert client.put(f"{RECORDS}/salesOrder/eid:STRICT01", json=body).status_code == 204
    del body["otherRefNumber"], body["item"]["items"][0]["custcol_amz_asn"]
    assert client.put(f"{RECORDS}/salesOrder/eid:STRICT02", json=body, headers=STRICT).status_code == 204
