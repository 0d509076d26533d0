"""The helpers both simulators share: GS1 numbers from python-stdnum, cents, timestamps, fault knobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from vendorsync.sandbox import amazon, common, netsuite


def test_gs1_check_digits_and_ssccs_match_gs1s_published_examples():
    assert common.gs1_check_digit("10614141123456789") == 7  # GS1's example SSCC 106141411234567897
    assert common.sscc18(1) == "006141410000000012"
    assert common.sscc18(123456789, extension=1) == "106141411234567897"
    assert amazon.gs1_check_digit is common.gs1_check_digit  # one implementation, re-exported
    assert netsuite.sscc18 is common.sscc18


def test_cents_round_half_up_and_timestamps_are_utc_with_z():
    assert common.cents(Decimal("2.345")) == Decimal("2.35")
    assert common.cents(Decimal("-0.125")) == Decimal("-0.13")
    moment = datetime(2026, 11, 2, 9, 30, 15, 999, tzinfo=timezone(timedelta(hours=2)))
    assert common.utc_timestamp(moment) == "2026-11-02T07:30:15Z"
    assert common.utc_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"


def test_each_simulator_keeps_its_own_meaning_of_timeout_on_the_shared_fault_knobs():
    amazon_faults = amazon.Faults.from_env({"SANDBOX_AMAZON_TIMEOUT": "0.5", "SANDBOX_AMAZON_BURST_429": "2"})
    assert amazon_faults == amazon.Faults(timeout=0.5, burst_429=2)
    assert isinstance(amazon_faults, common.TransportFaults)
    assert netsuite.Faults(timeout=True).timeout is True
    assert netsuite.Faults().status_5xx == amazon.Faults().status_5xx == 503
