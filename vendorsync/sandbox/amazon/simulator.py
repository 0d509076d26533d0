"""Amazon's side of the 1P relationship, simulated: POs, acknowledgements, ASNs, receiving, payments.

This is a stand-in for Amazon, not VendorSync logic. It keeps the behaviours the app must cope
with: submissions are asynchronous (a transaction id now, Success or Failure later, with errors
in SP-API's shape), POs change and get cancelled after they were published, the FC receives a
day or two after the ASN and is sometimes short, and money arrives weeks later as a payment net
of terms discounts, shortage and price claims, chargebacks, co-op and provisions.

Time is the shared ``SimClock``: ``simulate_day`` moves Amazon's world one day (new POs, due PO
changes, receipts, payment runs) and is idempotent per day; the HTTP layer calls ``catch_up``
so a long-running demo keeps producing POs as simulated days pass.

``AmazonSimulator`` is the facade; each behaviour lives in its own module:

* ``core``              store, clock, SP-API errors, PO helpers shared by the others
* ``auth``              LWA refresh-token grant and access tokens
* ``orders``            PO reads (windows, paging, status) and Amazon's PO changes/cancellations
* ``submissions``       async submissions and ``getTransaction``, dispatching to
  ``acknowledgements`` / ``shipments`` / ``invoices`` (one module of rules per document kind,
  reading documents through ``payloads``)
* ``receiving``         the FC receiving shipments, sometimes short
* ``payments``          payment runs, deductions and remittance files (written by ``remittance``)
* ``history``           the vendor's pre-VendorSync history replayed by ``seed``
* ``generate``          the POs Amazon sends each day; ``store`` the sqlite state; ``wsgi`` HTTP
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from vendorsync.sandbox.clock import SimClock, sandbox_dir
from vendorsync.sandbox.common import utc_timestamp as iso

from .auth import DEMO_CREDENTIALS, Credentials, LwaAuth
from .finance import FinanceRemittances
from .generate import generate_day
from .history import SeededHistory
from .orders import PurchaseOrders
from .payments import AGREED_TERMS, PAYMENT_WEEKDAYS, Payments, PaymentTerms
from .receiving import Receiving
from .store import Store


class AmazonSimulator(LwaAuth, PurchaseOrders, SeededHistory, Receiving, Payments, FinanceRemittances):
    def __init__(
        self,
        store_path: Path | str | None = None,
        *,
        clock: SimClock | None = None,
        credentials: Credentials = DEMO_CREDENTIALS,
        token_ttl_seconds: float = 3600,
        transaction_delay_seconds: float = 20.0,
        remittance_dir: Path | None = None,
        terms: PaymentTerms = AGREED_TERMS,
    ) -> None:
        path = Path(store_path) if store_path else sandbox_dir() / "amazon.sqlite3"
        self.store = Store(path)
        self.clock = clock or SimClock(path.parent / "clock.json")
        self.token_ttl_seconds = token_ttl_seconds
        self.transaction_delay_seconds = transaction_delay_seconds
        self.remittance_dir = Path(remittance_dir) if remittance_dir else path.parent / "remittances"
        self.terms = terms
        self.add_credentials(credentials)

    def seeded(self) -> bool:
        return self.store.get_meta("seeded_at") is not None

    def seed(
        self, *, days: int = 30, credentials: Credentials | None = None, history_cutoff_days: int = 8
    ) -> dict:
        """Give the simulated vendor ~``days`` of history; a no-op once seeded.

        POs older than ``history_cutoff_days`` were already worked "before VendorSync": Amazon
        shows them acknowledged, shipped, received (sometimes short), invoiced as ``INV-<PO>``
        and, for many, paid early enough to appear in remittances of the seeded period.
        """
        if credentials:
            self.add_credentials(credentials)
        if self.seeded():
            return self.status()
        today = self.now().date()
        for offset in range(days, -1, -1):
            day = today - timedelta(days=offset)
            self.simulate_day(day)
            if offset >= history_cutoff_days:
                self._play_vendor(day)
        self.store.set_meta("seeded_at", iso(self.now()))
        return self.status()

    def catch_up(self) -> list[date]:
        """Simulate every day from the last simulated one up to the simulated today (if seeded)."""
        if not self.seeded():
            return []
        done = []
        with self.store.tx() as db:
            row = db.execute("SELECT max(day) AS day FROM sim_days").fetchone()
        day = date.fromisoformat(row["day"]) if row["day"] else self.now().date()
        while day < self.now().date():
            day += timedelta(days=1)
            self.simulate_day(day)
            done.append(day)
        self._apply_changes(self.now())
        return done

    def simulate_day(self, day: date) -> bool:
        """Amazon's day: publish the day's POs, apply due PO changes, receive, pay. Once per day."""
        with self.store.tx() as db:
            if db.execute("SELECT 1 FROM sim_days WHERE day = ?", (day.isoformat(),)).fetchone():
                return False
            db.execute("INSERT INTO sim_days VALUES (?)", (day.isoformat(),))
            for generated in generate_day(day):
                self._insert_po(db, generated)
            end_of_day = datetime.combine(day + timedelta(days=1), time(), UTC)
            self._apply_changes(min(end_of_day, max(self.now(), datetime.combine(day, time(), UTC))))
            self.receive(day)
            if day.weekday() in PAYMENT_WEEKDAYS:
                self.payment_run(day)
        return True

    def status(self) -> dict[str, Any]:
        with self.store.tx() as db:

            def count(sql: str) -> dict[str, int]:
                return {str(r[0]): r[1] for r in db.execute(sql)}

            last = db.execute("SELECT max(day) FROM sim_days").fetchone()[0]
            return {
                "simulated_now": iso(self.now()),
                "seeded": self.seeded(),
                "last_simulated_day": last,
                "purchase_orders": count("SELECT state, count(*) FROM purchase_orders GROUP BY state"),
                "transactions": count("SELECT kind || ':' || status, count(*) FROM transactions GROUP BY 1"),
                "shipments": count(
                    "SELECT CASE WHEN received_at IS NULL THEN 'in transit' ELSE 'received' END, count(*)"
                    " FROM shipments GROUP BY 1"
                ),
                "invoices": count(
                    "SELECT CASE WHEN payment_number IS NULL THEN 'open' ELSE 'paid' END, count(*) FROM invoices GROUP BY 1"
                ),
                "remittances": db.execute("SELECT count(*) FROM remittances").fetchone()[0],
                "remittance_dir": str(self.remittance_dir),
            }
