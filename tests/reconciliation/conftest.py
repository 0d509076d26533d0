"""Reconciliation fixtures: a seeded sandbox (seeded once per session, copied per test), GL data."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from vendorsync import connections
from vendorsync.amazon import reset_caches


@pytest.fixture(scope="session")
def seeded_sandbox(tmp_path_factory) -> Path:
    from vendorsync.sandbox import world
    from vendorsync.sandbox.amazon import AmazonSimulator
    from vendorsync.sandbox.clock import SimClock

    root = tmp_path_factory.mktemp("recon") / "sandbox"
    root.mkdir()
    amazon = AmazonSimulator(root / "amazon.sqlite3", clock=SimClock(root / "clock.json"))
    world.seed(days=30, amazon=amazon, netsuite_store=root / "netsuite.sqlite3")
    return root


@pytest.fixture
def sandbox(settings, tmp_path, seeded_sandbox) -> Path:
    """A private copy of the seeded simulators, wired as the app's sandbox connections."""
    target = tmp_path / "sandbox"
    shutil.copytree(seeded_sandbox, target)
    settings.VAR_DIR = tmp_path
    settings.SANDBOX = True
    settings.REMITTANCE_INBOX = target / "remittances"
    reset_caches()
    connections._amazon_app.cache_clear()
    connections._netsuite_app.cache_clear()
    yield target
    reset_caches()
    connections._amazon_app.cache_clear()
    connections._netsuite_app.cache_clear()


@pytest.fixture
def simulator(sandbox):
    from vendorsync.sandbox.amazon import AmazonSimulator
    from vendorsync.sandbox.clock import SimClock

    return AmazonSimulator(sandbox / "amazon.sqlite3", clock=SimClock(sandbox / "clock.json"))


@pytest.fixture
def gl(db):
    """The deduction accounts and a mapping for every deduction type from 2020 on."""
    from reconciliation.models import DEDUCTION_TYPES, DeductionMapping, GLAccount

    accounts = {
        number: GLAccount.objects.create(netsuite_id=f"9{number}", number=number, name=name)
        for number, name in [
            ("4510", "Terms Discounts"),
            ("4520", "Shortage Claims"),
            ("4530", "Price Claims"),
            ("4540", "Co-op"),
            ("4550", "Chargebacks"),
            ("4599", "Other deductions"),
        ]
    }
    per_type = {
        "terms_discount": "4510",
        "shortage": "4520",
        "price_claim": "4530",
        "coop": "4540",
        "chargeback": "4550",
    }
    for line_type in DEDUCTION_TYPES:
        DeductionMapping.objects.create(
            line_type=line_type,
            gl_account=accounts[per_type.get(line_type, "4599")],
            effective_from=date(2020, 1, 1),
        )
    return accounts


# Posting (issue 11): a reconciled remittance with every kind of charge, its accounts and period.
from .posting_fixtures import items, november, reconciled  # noqa: E402, F401
