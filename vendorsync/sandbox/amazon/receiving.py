"""The fulfilment centre receiving confirmed shipments, sometimes short.

Each shipment is received on the date ``shipments`` gave it (one or two days after shipping);
about one line in twenty of the seeded history comes in one or two units short, seeded by the
shipment id so a run is reproducible. Once seeded (the live demo, where VendorSync ships with its
own validated ASNs) the FC counts short more often, one line in seven, so the demo shows shortage
claims against the app's own cartons — the ones its evidence can dispute — within its first half
hour; the history's draws are unchanged. Receipts update the PO's received quantities (closing it when everything accepted
has arrived) and are what ``payments`` later turns into shortage claims.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time

from vendorsync.sandbox.common import utc_timestamp as iso

from .core import SimulatorCore
from .store import loads

HISTORY_SHORT_SHARE = 0.05
LIVE_SHORT_SHARE = 0.15


class Receiving(SimulatorCore):
    def receive(self, day: date) -> int:
        """The FC receives shipments due by ``day``; some lines come in 1-2 units short (see above)."""
        count = 0
        share = LIVE_SHORT_SHARE if self.seeded() else HISTORY_SHORT_SHARE
        with self.store.tx() as db:
            due = db.execute(
                "SELECT * FROM shipments WHERE received_at IS NULL AND receive_on <= ? ORDER BY receive_on, id",
                (day.isoformat(),),
            ).fetchall()
            for shipment in due:
                moment = min(
                    datetime.combine(date.fromisoformat(shipment["receive_on"]), time(14), UTC), self.now()
                )
                rng = random.Random(f"receipt-{shipment['id']}")
                for entry in loads(shipment["body"])["_lines"]:
                    short = min(entry["units"], rng.randint(1, 2)) if rng.random() < share else 0
                    received = entry["units"] - short
                    db.execute(
                        "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, NULL)",
                        (shipment["id"], entry["po"], entry["seq"], entry["units"], received, iso(moment)),
                    )
                    row = db.execute(
                        "SELECT * FROM purchase_orders WHERE number = ?", (entry["po"],)
                    ).fetchone()
                    lines = loads(row["lines"])
                    lines[entry["seq"]]["received"] += received
                    lines[entry["seq"]]["lastReceiveDate"] = iso(moment)
                    done = all(
                        (state["acks"][-1]["accepted"] if state["acks"] else 1) <= state["received"]
                        for state in lines.values()
                    )
                    self._save_po(db, row, at=moment, lines=lines, state="Closed" if done else None)
                db.execute("UPDATE shipments SET received_at = ? WHERE id = ?", (iso(moment), shipment["id"]))
                count += 1
        return count
