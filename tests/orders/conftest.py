"""Fixtures for the order flow: a seeded sandbox (both simulators) in a temporary folder."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from vendorsync.amazon import reset_caches


@pytest.fixture
def sandbox(settings, tmp_path):
    """Seeded Amazon and NetSuite simulators reached through the app's real clients."""
    settings.VAR_DIR = tmp_path
    settings.SANDBOX = True
    settings.EDI_INBOUND_DIR = tmp_path / "edi" / "inbound"
    settings.EDI_OUTBOUND_DIR = tmp_path / "edi" / "outbound"
    settings.ORDERS_ACK_APPROVAL = "auto"
    settings.ORDERS_ACK_CHANNEL = "api"
    reset_caches()
    call_command("sandbox", "seed", "--days", "10", stdout=StringIO())
    yield tmp_path
    reset_caches()


@pytest.fixture
def relay():
    """Run the outbox relay until nothing is due (what the worker does after each commit)."""
    from vendorsync.outbox import relay_once

    def run() -> list:
        reports = []
        for _ in range(5):
            report = relay_once(budget_seconds=60)
            reports.append(report)
            if report.claimed == 0:
                break
        return reports

    return run
