"""The live demo: beat moves the simulated clock so POs keep arriving; the flows are registered."""

from __future__ import annotations

import pytest

from vendorsync import flows
from vendorsync.sandbox.amazon import AmazonSimulator
from vendorsync.sandbox.clock import SimClock
from vendorsync.tasks import sandbox_tick

pytestmark = pytest.mark.django_db


def test_the_order_flows_are_registered_in_their_agreed_order():
    names = [flow.name for flow in flows.all_flows()]
    ours = [name for name in names if name in ("items", "orders", "acknowledgements", "transactions")]
    assert ours == ["items", "orders", "acknowledgements", "transactions"]


def test_a_tick_moves_the_simulated_day_and_amazon_publishes_that_days_pos(sandbox):
    before = SimClock().now()
    count = AmazonSimulator().status()["purchase_orders"]
    day = sandbox_tick()
    after = SimClock().now()
    assert (after - before).days == 1 and day == after.date().isoformat()
    assert sum(AmazonSimulator().status()["purchase_orders"].values()) > sum(count.values())
    run = flows.run_flow("orders")
    assert run.counts["created"] >= 3  # the new day's POs arrive with the next orders sync


def test_the_tick_does_nothing_outside_sandbox_mode(settings):
    settings.SANDBOX = False
    assert sandbox_tick() == "off"


def test_beat_schedules_the_tick_only_in_sandbox_mode(settings):
    from vendorsync.celery import _prepare, app

    settings.SANDBOX, settings.SANDBOX_DAY_SECONDS = True, 90
    _prepare(app)
    assert app.conf.beat_schedule["sandbox-day"]["schedule"] == 90.0
    settings.SANDBOX = False
    _prepare(app)
    assert "sandbox-day" not in app.conf.beat_schedule
