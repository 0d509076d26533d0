"""``manage.py sandbox``: seed, advance, status, and the /amazon mount that ``serve`` uses."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import httpx
import pytest
from django.core.management import call_command

from vendorsync.management.commands import sandbox as command
from vendorsync.sandbox.amazon import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    AmazonSimulator,
    make_app,
)
from vendorsync.sandbox.clock import SimClock


@pytest.fixture
def netsuite_days(settings, tmp_path, monkeypatch) -> list:
    """Point VAR_DIR at tmp_path and record the days the NetSuite simulator is asked to simulate."""
    settings.VAR_DIR = tmp_path
    days: list = []
    real = command.netsuite
    recorder = SimpleNamespace(
        seed=real.seed,
        make_app=real.make_app,
        simulate_day=lambda day, store_path=None: (days.append(day), real.simulate_day(day, store_path))[1],
    )
    monkeypatch.setattr(command, "netsuite", recorder)
    return days


def test_advance_moves_the_sim_clock_day_by_day_and_runs_both_simulations(netsuite_days, tmp_path):
    start = SimClock().now()
    out = StringIO()
    call_command("sandbox", "advance", "--days", "3", stdout=out)
    clock = SimClock(tmp_path / "sandbox" / "clock.json")
    assert clock.offset() == timedelta(days=3)
    assert netsuite_days == [(start + timedelta(days=n)).date() for n in (1, 2, 3)]
    assert AmazonSimulator().status()["last_simulated_day"] == netsuite_days[-1].isoformat()
    assert out.getvalue().count("simulated 20") == 3


def test_seed_is_idempotent_and_status_reports_counts(netsuite_days, tmp_path):
    call_command("sandbox", "seed", "--days", "5", stdout=StringIO())
    first = AmazonSimulator().status()
    call_command("sandbox", "seed", "--days", "5", stdout=StringIO())
    out = StringIO()
    call_command("sandbox", "status", stdout=out)
    status = json.loads(out.getvalue())
    assert status["purchase_orders"] == first["purchase_orders"]
    assert status["seeded"] is True
    assert (tmp_path / "sandbox" / "amazon.sqlite3").exists()
    assert (tmp_path / "sandbox" / "netsuite.sqlite3").exists()  # both simulators are seeded


def test_the_served_app_mounts_amazon_under_its_prefix(tmp_path):
    amazon = make_app(tmp_path / "amazon.sqlite3", clock=SimClock(tmp_path / "clock.json"))
    app = command.build_app(amazon, command.netsuite.make_app(tmp_path / "netsuite.sqlite3"))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox") as client:
        response = client.post(
            "/amazon/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": DEMO_REFRESH_TOKEN,
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
            },
        )
        assert response.status_code == 200
        orders = client.get(
            "/amazon/vendor/orders/v1/purchaseOrders",
            headers={"x-amz-access-token": response.json()["access_token"]},
        )
        assert orders.status_code == 200
        unsigned = client.get("/netsuite/services/rest/record/v1/customer/1001")
        assert unsigned.status_code == 401  # mounted, and refusing an unsigned request like NetSuite
        assert unsigned.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
        assert client.get("/elsewhere").status_code == 404
