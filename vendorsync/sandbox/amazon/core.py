"""What every part of the Amazon simulator works on: its store, its clock and SP-API error shapes.

``SimulatorCore`` is the base of the behaviour mixins (``auth``, ``orders``, ``submissions``,
``receiving``, ``payments``, ``history``) that ``AmazonSimulator`` combines; it holds the state
they share and the few PO helpers more than one of them needs (load a visible PO, save a PO's
lines and state, count units already shipped). Only ``history`` builds on another mixin
(``submissions``: the seeded vendor submits like any client); the facade wires the daily clock.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vendorsync.sandbox.clock import SimClock
from vendorsync.sandbox.common import utc_timestamp as iso

from .store import Store, dumps, loads

if TYPE_CHECKING:
    from .payments import PaymentTerms


class ApiError(Exception):
    """A synchronous SP-API error: HTTP status plus the ``errors`` list of the models."""

    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status = status
        self.errors = errors


def err(code: str, message: str, details: str = "") -> dict[str, str]:
    return {"code": code, "message": message, "details": details}


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SimulatorCore:
    """The state behind every simulator behaviour; ``AmazonSimulator.__init__`` sets it."""

    store: Store
    clock: SimClock
    token_ttl_seconds: float
    transaction_delay_seconds: float
    remittance_dir: Path
    terms: PaymentTerms

    def now(self) -> datetime:
        return self.clock.now()

    def _po(self, db: sqlite3.Connection, number: str, at: datetime) -> sqlite3.Row | None:
        return db.execute(
            "SELECT * FROM purchase_orders WHERE number = ? AND created_at <= ?", (number.strip(), iso(at))
        ).fetchone()

    def _save_po(
        self,
        db: sqlite3.Connection,
        row: sqlite3.Row,
        *,
        at: datetime,
        lines: dict | None = None,
        details: dict | None = None,
        state: str | None = None,
        changed: bool = False,
    ) -> None:
        state = state or row["state"]
        db.execute(
            "UPDATE purchase_orders SET lines = ?, details = ?, state = ?, state_changed_at = ?, updated_at = ?,"
            " changed_at = ? WHERE number = ?",
            (
                dumps(lines if lines is not None else loads(row["lines"])),
                dumps(details if details is not None else loads(row["details"])),
                state,
                iso(at) if state != row["state"] else row["state_changed_at"],
                iso(at),
                iso(at) if changed else row["changed_at"],
                row["number"],
            ),
        )

    def _shipped_units(self, db: sqlite3.Connection, exclude: str) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = {}
        for shipment in db.execute("SELECT id, body FROM shipments WHERE id != ?", (exclude,)):
            for entry in loads(shipment["body"])["_lines"]:
                key = (entry["po"], entry["seq"])
                totals[key] = totals.get(key, 0) + entry["units"]
        return totals
