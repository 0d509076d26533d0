"""The Amazon simulator's own state: a stdlib sqlite3 file, never the Django database.

The app under test may run on PostgreSQL, and the simulator stands for a remote system, so its
state lives apart: ``<VAR_DIR>/sandbox/amazon.sqlite3`` by default, a ``tmp_path`` file in
tests. Every write runs in one ``BEGIN IMMEDIATE`` transaction, which serialises the web
process, the worker and ``sandbox serve`` on the file lock; a thread lock plus a per-thread
connection make nested use inside one thread reuse the open transaction instead of deadlocking.
Rich documents (orders, request bodies, remittance lines) are JSON columns.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, refresh_token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sim_days (day TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS purchase_orders (
    number TEXT PRIMARY KEY,
    vendor_code TEXT NOT NULL,
    ship_to TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_at TEXT,
    state_changed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state TEXT NOT NULL,
    details TEXT NOT NULL,      -- orderDetails without the three dates
    lines TEXT NOT NULL,        -- per itemSequenceNumber: ordered history, acks, receipts
    planned_change TEXT         -- generate.PlannedChange, applied by simulate_day
);
CREATE INDEX IF NOT EXISTS po_created ON purchase_orders (created_at, number);
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL, ready_at TEXT NOT NULL,
    status TEXT NOT NULL, errors TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shipments (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, confirmed_at TEXT NOT NULL,
    receive_on TEXT NOT NULL, received_at TEXT);
CREATE TABLE IF NOT EXISTS receipts (
    shipment_id TEXT NOT NULL, po TEXT NOT NULL, seq TEXT NOT NULL, shipped INTEGER NOT NULL,
    received INTEGER NOT NULL, received_on TEXT NOT NULL, claimed_by TEXT);
CREATE TABLE IF NOT EXISTS ssccs (sscc TEXT PRIMARY KEY, shipment_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, date TEXT NOT NULL, total TEXT NOT NULL,
    lines TEXT NOT NULL,        -- [{po, seq, units, unit_cost}] matched to PO lines at acceptance
    due_on TEXT NOT NULL, payment_number TEXT);
CREATE TABLE IF NOT EXISTS claims (
    document TEXT PRIMARY KEY, kind TEXT NOT NULL, base_invoice TEXT NOT NULL, amount TEXT NOT NULL,
    payment_number TEXT NOT NULL, followed_up INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS remittances (
    payment_number TEXT PRIMARY KEY, payment_date TEXT NOT NULL, amount TEXT NOT NULL,
    lines TEXT NOT NULL, files TEXT NOT NULL);
"""


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        finally:
            conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested calls in the same thread join the outer one."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._local.conn = None
                conn.close()

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def next_serial(self, key: str, start: int = 1) -> int:
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            value = int(row["value"]) + 1 if row else start
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))
        return value


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None
