"""Amazon Vendor Central (1P) simulator: LWA + SP-API vendor endpoints, daily POs, receiving, payments.

It stands in for Amazon so the demo runs end to end and tests exercise the real client over
HTTP (``httpx.WSGITransport(app=make_app(tmp_path / "amazon.sqlite3"))``). It holds no
VendorSync business rules; it is the other party.
"""

from __future__ import annotations

from vendorsync.sandbox.common import gs1_check_digit

from .auth import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CREDENTIALS, DEMO_REFRESH_TOKEN, Credentials
from .core import ApiError
from .generate import GeneratedOrder, PlannedChange, generate_day
from .history import HistoryShipment
from .payments import AGREED_TERMS, PaymentTerms
from .remittance import CSV_COLUMNS, Remittance, RemittanceFile, RemittanceLine, edi_820
from .simulator import AmazonSimulator
from .wsgi import USAGE_PLANS, AmazonApp, Faults, make_app

__all__ = [
    "AGREED_TERMS",
    "CSV_COLUMNS",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_CREDENTIALS",
    "DEMO_REFRESH_TOKEN",
    "USAGE_PLANS",
    "AmazonApp",
    "AmazonSimulator",
    "ApiError",
    "Credentials",
    "Faults",
    "GeneratedOrder",
    "HistoryShipment",
    "PaymentTerms",
    "PlannedChange",
    "Remittance",
    "RemittanceFile",
    "RemittanceLine",
    "edi_820",
    "generate_day",
    "gs1_check_digit",
    "make_app",
]
