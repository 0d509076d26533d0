"""The wiring: sandbox mode reaches the in-process simulators end to end; otherwise the configured servers.

These run our real clients against the simulators (no mocks), so they also prove that the two
sides agree on TBA signatures, LWA tokens, paging and document shapes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import httpx
import pytest
import respx
from django.core.management import call_command

from vendorsync import connections
from vendorsync.amazon import reset_caches
from vendorsync.amazon.values import (
    AcknowledgementItem,
    ItemAcknowledgement,
    OrderAcknowledgement,
    Party,
)
from vendorsync.errors import AuthError
from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig
from vendorsync.sandbox import catalog
from vendorsync.sandbox import netsuite as netsuite_sim
from vendorsync.sandbox.clock import SimClock


@pytest.fixture
def sandbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SANDBOX = True
    reset_caches()
    out = StringIO()
    call_command("sandbox", "seed", "--days", "10", stdout=out)
    yield tmp_path
    reset_caches()


def test_the_netsuite_client_reads_the_simulated_vendor(sandbox):
    with connections.netsuite_client() as client:
        customer = client.get("customer", catalog.AMAZON_CUSTOMER_ID)
        items = list(
            client.suiteql(
                "SELECT id, itemid, upccode FROM item WHERE itemtype = 'InvtPart' ORDER BY id", page_size=60
            )
        )
    assert customer["companyName"] == catalog.AMAZON_CUSTOMER_NAME
    assert len(items) == 200
    assert items[0] == {"id": "5000", "itemid": "NW-0001", "upccode": catalog.items()[0].upc}


def test_a_sales_order_upserted_by_external_id_is_shipped_with_sscc_cartons(sandbox):
    item = next(i for i in catalog.items() if i.stock > 100)
    order = {
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "tranDate": SimClock().now().date().isoformat(),
        "otherRefNum": "PO-TEST-1",
        "item": {"items": [{"item": {"id": item.netsuite_id}, "quantity": 12, "rate": str(item.cost)}]},
    }
    with connections.netsuite_client() as client:
        first = client.upsert_by_external_id("salesOrder", "AMZ-PO-TEST-1", order)
        again = client.upsert_by_external_id("salesOrder", "AMZ-PO-TEST-1", order)
        assert first is not None and first == again  # idempotent: the same record both times
        call_command("sandbox", "advance", "--days", "1", stdout=StringIO())
        rows = list(
            client.suiteql(
                "SELECT p.id, p.packagecartonnumber FROM itemfulfillmentpackage p "
                "JOIN transaction t ON t.id = p.itemfulfillment "
                "JOIN previoustransactionlink l ON l.nextdoc = t.id "
                "JOIN transaction so ON so.id = l.previousdoc WHERE so.externalid = 'AMZ-PO-TEST-1' ORDER BY p.id"
            )
        )
        orders = list(
            client.suiteql("SELECT id FROM transaction WHERE externalid = 'AMZ-PO-TEST-1' ORDER BY id")
        )
    assert len(orders) == 1
    assert rows, "the warehouse shipped the order in cartons"
    from stdnum import ean

    for row in rows:
        sscc = row["packagecartonnumber"]
        assert len(sscc) == 18 and ean.calc_check_digit(sscc[:-1]) == sscc[-1]  # GS1 mod-10


def test_the_simulator_refuses_a_wrong_signature(sandbox):
    config = NetSuiteConfig(
        account_id=netsuite_sim.ACCOUNT_ID,
        consumer_key=netsuite_sim.CONSUMER_KEY,
        consumer_secret=netsuite_sim.CONSUMER_SECRET,
        token_id=netsuite_sim.TOKEN_ID,
        token_secret="not-the-token-secret",
        base_url=connections.SANDBOX_NETSUITE_URL,
    )
    app = netsuite_sim.make_app(sandbox / "sandbox" / "netsuite.sqlite3")
    with (
        NetSuiteClient(config, transport=httpx.WSGITransport(app=app)) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get("customer", catalog.AMAZON_CUSTOMER_ID)
    assert caught.value.status == 401
    assert any(d.code == "INVALID_LOGIN" for d in caught.value.details)


def test_the_amazon_client_imports_and_acknowledges_simulated_orders(sandbox):
    now = SimClock().now()
    with connections.amazon_client() as client:
        orders = list(
            client.iter_purchase_orders(
                created_after=now - timedelta(days=10), created_before=now, include_details=True
            )
        )
        assert len(orders) > 10  # several POs a day, across windows of at most 7 days
        assert len({o.purchase_order_number for o in orders}) == len(orders)
        order = next(o for o in orders if o.purchase_order_state == "New")
        details = order.details
        ack = OrderAcknowledgement(
            purchase_order_number=order.purchase_order_number,
            selling_party=Party(party_id=details.selling_party.party_id),
            acknowledgement_date=now,
            items=tuple(
                AcknowledgementItem(
                    item_sequence_number=line.item_sequence_number,
                    amazon_product_identifier=line.amazon_product_identifier,
                    vendor_product_identifier=line.vendor_product_identifier,
                    ordered_quantity=line.ordered_quantity,
                    net_cost=line.net_cost,
                    item_acknowledgements=(
                        ItemAcknowledgement(
                            acknowledgement_code="Accepted", acknowledged_quantity=line.ordered_quantity
                        ),
                    ),
                )
                for line in order.items
            ),
        )
        reference = client.submit_acknowledgement(ack)
        SimClock().advance(seconds=120)  # Amazon processes submissions asynchronously
        status = client.get_transaction(reference.transaction_id)
    assert status.status == "Success", status.errors


@respx.mock
def test_without_sandbox_the_clients_use_the_configured_servers(settings):
    settings.SANDBOX = False
    settings.AMAZON_SPAPI_ENDPOINT = "https://spapi.example.test"
    settings.AMAZON_LWA_TOKEN_URL = "https://lwa.example.test/auth/o2/token"
    settings.AMAZON_LWA_CLIENT_ID, settings.AMAZON_LWA_CLIENT_SECRET = "id", "secret"
    settings.AMAZON_LWA_REFRESH_TOKEN = "Atzr|real"
    settings.NETSUITE_ACCOUNT_ID = "1234567_SB1"
    settings.NETSUITE_CONSUMER_KEY, settings.NETSUITE_CONSUMER_SECRET = "ck", "cs"
    settings.NETSUITE_TOKEN_ID, settings.NETSUITE_TOKEN_SECRET = "ti", "ts"
    settings.NETSUITE_BASE_URL = ""
    reset_caches()
    respx.post("https://lwa.example.test/auth/o2/token").respond(
        200, json={"access_token": "Atza|x", "token_type": "bearer", "expires_in": 3600}
    )
    orders = respx.get(url__startswith="https://spapi.example.test/vendor/orders/v1/purchaseOrders").respond(
        200, json={"payload": {"orders": []}}
    )
    customer = respx.get(
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/7"
    ).respond(200, json={"id": "7", "companyName": "Amazon"})
    now = datetime.now(UTC)
    with connections.amazon_client() as amazon:
        assert (
            list(amazon.iter_purchase_orders(created_after=now - timedelta(days=1), created_before=now)) == []
        )
    with connections.netsuite_client() as netsuite:
        assert netsuite.get("customer", "7")["companyName"] == "Amazon"
    assert orders.called and customer.called
    assert 'realm="1234567_SB1"' in customer.calls[0].request.headers["Authorization"]
