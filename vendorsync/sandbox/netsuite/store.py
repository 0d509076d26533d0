"""The simulator's own state: a small stdlib-sqlite database, never the Django database.

Two layers live in one file so they can never disagree:

* ``record``: every record as the JSON document the REST record API serves (the source of truth
  for GET/PATCH/PUT), keyed by record type + internal id, unique per external id;
* SuiteQL mirror tables (``item``, ``customer``, ``account``, ``location``, ``subsidiary``,
  ``transaction``, ``transactionline``, ``itemfulfillmentpackage``, ``previoustransactionlink``)
  rebuilt from the document in the same sqlite transaction on every write, plus
  ``inventoryitemlocations`` which *is* the stock ledger (view ``aggregateitemlocation``), and
  ``accountingperiod``, the account's periods (months, quarters and years; seeded around the
  clock, a month added when a date beyond them needs one; closing and locking happen in
  NetSuite's UI, here through ``Records.set_period``).

Money goes in as ``Decimal`` text; sqlite keeps it NUMERIC so SuiteQL comparisons and sums work
numerically, and SuiteQL output turns it back into exact decimal strings. One connection with
``check_same_thread=False`` guarded by an ``RLock`` serialises every read and write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (type TEXT NOT NULL, id INTEGER NOT NULL, externalid TEXT,
    body TEXT NOT NULL, PRIMARY KEY (type, id));
CREATE UNIQUE INDEX IF NOT EXISTS record_eid ON record (type, externalid) WHERE externalid IS NOT NULL;
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, itemid TEXT, displayname TEXT, description TEXT,
    upccode TEXT, itemtype TEXT, cost NUMERIC, baseprice NUMERIC, weight NUMERIC, custitem_asin TEXT,
    custitem_case_pack INTEGER, incomeaccount INTEGER, externalid TEXT, isinactive TEXT);
CREATE TABLE IF NOT EXISTS customer (id INTEGER PRIMARY KEY, entityid TEXT, companyname TEXT, externalid TEXT,
    terms INTEGER, subsidiary INTEGER, email TEXT, isperson TEXT, isinactive TEXT);
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY, acctnumber TEXT, acctname TEXT, fullname TEXT,
    accttype TEXT, externalid TEXT, isinactive TEXT);
CREATE TABLE IF NOT EXISTS location (id INTEGER PRIMARY KEY, name TEXT, subsidiary INTEGER, externalid TEXT,
    isinactive TEXT);
CREATE TABLE IF NOT EXISTS subsidiary (id INTEGER PRIMARY KEY, name TEXT, externalid TEXT, isinactive TEXT);
CREATE TABLE IF NOT EXISTS inventoryitemlocations (item INTEGER NOT NULL, location INTEGER NOT NULL,
    quantityonhand NUMERIC NOT NULL DEFAULT 0, quantityavailable NUMERIC NOT NULL DEFAULT 0,
    quantitycommitted NUMERIC NOT NULL DEFAULT 0, quantitybackordered NUMERIC NOT NULL DEFAULT 0,
    PRIMARY KEY (item, location));
CREATE VIEW IF NOT EXISTS aggregateitemlocation AS
    SELECT item, location, quantityonhand, quantityavailable, quantitycommitted FROM inventoryitemlocations;
CREATE TABLE IF NOT EXISTS "transaction" (id INTEGER PRIMARY KEY, tranid TEXT, type TEXT, status TEXT,
    externalid TEXT, entity INTEGER, trandate TEXT, duedate TEXT, shipdate TEXT, foreigntotal NUMERIC,
    foreignamountunpaid NUMERIC, foreignamountpaid NUMERIC, otherrefnum TEXT, memo TEXT, currency INTEGER,
    createddate TEXT, lastmodifieddate TEXT);
CREATE TABLE IF NOT EXISTS transactionline ("transaction" INTEGER NOT NULL, id INTEGER NOT NULL,
    linesequencenumber INTEGER, mainline TEXT, taxline TEXT, item INTEGER, quantity NUMERIC, rate NUMERIC,
    foreignamount NUMERIC, quantityshiprecv NUMERIC, quantitybilled NUMERIC, isclosed TEXT, location INTEGER,
    createdfrom INTEGER, entity INTEGER, account INTEGER, debitforeignamount NUMERIC,
    creditforeignamount NUMERIC, memo TEXT, custcol_amz_asin TEXT, custcol_amz_po_line TEXT,
    PRIMARY KEY ("transaction", id));
CREATE TABLE IF NOT EXISTS itemfulfillmentpackage (itemfulfillment INTEGER NOT NULL, id INTEGER NOT NULL,
    packageweight NUMERIC, packagetrackingnumber TEXT, packagedescr TEXT, packagecartonnumber TEXT,
    PRIMARY KEY (itemfulfillment, id));
CREATE TABLE IF NOT EXISTS previoustransactionlink (previousdoc INTEGER NOT NULL, nextdoc INTEGER NOT NULL,
    linktype TEXT, foreignamount NUMERIC);
CREATE TABLE IF NOT EXISTS accountingperiod (id INTEGER PRIMARY KEY, periodname TEXT NOT NULL, startdate TEXT NOT NULL,
    enddate TEXT NOT NULL, isquarter TEXT NOT NULL DEFAULT 'F', isyear TEXT NOT NULL DEFAULT 'F',
    isadjust TEXT NOT NULL DEFAULT 'F', isposting TEXT NOT NULL DEFAULT 'T', parent INTEGER,
    closed TEXT NOT NULL DEFAULT 'F', aplocked TEXT NOT NULL DEFAULT 'F', arlocked TEXT NOT NULL DEFAULT 'F',
    alllocked TEXT NOT NULL DEFAULT 'F', isinactive TEXT NOT NULL DEFAULT 'F');
CREATE INDEX IF NOT EXISTS tl_createdfrom ON transactionline (createdfrom);
CREATE INDEX IF NOT EXISTS tran_type ON "transaction" (type, status);
"""

# Tables (and the view) SuiteQL may read; everything else in the file is private to the simulator.
SUITEQL_TABLES = frozenset(
    {
        "item",
        "customer",
        "account",
        "location",
        "subsidiary",
        "inventoryitemlocations",
        "aggregateitemlocation",
        "transaction",
        "transactionline",
        "itemfulfillmentpackage",
        "previoustransactionlink",
        "accountingperiod",
    }
)


def dumps(value: Any) -> str:
    """JSON with ``Decimal`` written as an exact number (no float round trip)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def sql_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "T" if value else "F"
    return value


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA busy_timeout=10000")  # other processes (web, worker) share the file
            self.conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: a record, its projections and any stock movement commit together."""
        with self.lock:
            if self.conn.in_transaction:  # nested use joins the outer transaction
                yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- ids -------------------------------------------------------------------------------------
    def next_value(self, name: str, start: int) -> int:
        with self.tx() as c:
            row = c.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()
            value = (row["value"] + 1) if row else start
            c.execute("INSERT OR REPLACE INTO counter (name, value) VALUES (?, ?)", (name, value))
            return value

    # -- documents -------------------------------------------------------------------------------
    def get(self, rtype: str, rid: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT body FROM record WHERE type = ? AND id = ?", (rtype, rid)
            ).fetchone()
        return loads(row["body"]) if row else None

    def find_type(self, rid: int, types: tuple[str, ...]) -> str | None:
        marks = ",".join("?" * len(types))
        with self.lock:
            row = self.conn.execute(
                f"SELECT type FROM record WHERE id = ? AND type IN ({marks})",  # noqa: S608 - placeholders only
                (rid, *types),
            ).fetchone()
        return row["type"] if row else None

    def id_for_eid(self, rtype: str, eid: str) -> int | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT id FROM record WHERE type = ? AND externalid = ?", (rtype, eid)
            ).fetchone()
        return row["id"] if row else None

    def ids(self, rtype: str, limit: int, offset: int) -> tuple[list[int], int]:
        with self.lock:
            total = self.conn.execute("SELECT COUNT(*) FROM record WHERE type = ?", (rtype,)).fetchone()[0]
            rows = self.conn.execute(
                "SELECT id FROM record WHERE type = ? ORDER BY id LIMIT ? OFFSET ?", (rtype, limit, offset)
            ).fetchall()
        return [r["id"] for r in rows], total

    def put(self, rtype: str, rid: int, body: dict[str, Any]) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT OR REPLACE INTO record (type, id, externalid, body) VALUES (?, ?, ?, ?)",
                (rtype, rid, body.get("externalId"), dumps(body)),
            )

    def delete(self, rtype: str, rid: int) -> None:
        with self.tx() as c:
            c.execute("DELETE FROM record WHERE type = ? AND id = ?", (rtype, rid))

    def replace_rows(self, table: str, key: str, rid: int, rows: list[dict[str, Any]]) -> None:
        """Projection rows of one record: delete what was there, insert the new rows."""
        with self.tx() as c:
            c.execute(f'DELETE FROM "{table}" WHERE "{key}" = ?', (rid,))  # noqa: S608 - fixed names
            for row in rows:
                cols = ",".join(f'"{k}"' for k in row)
                marks = ",".join("?" * len(row))
                c.execute(
                    f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',  # noqa: S608 - fixed names
                    [sql_value(v) for v in row.values()],
                )

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- stock -----------------------------------------------------------------------------------
    def available(self, item: int, location: int) -> int:
        value = self.scalar(
            "SELECT quantityavailable FROM inventoryitemlocations WHERE item = ? AND location = ?",
            (item, location),
        )
        return int(value or 0)

    def set_stock(self, item: int, location: int, quantity: int) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT OR REPLACE INTO inventoryitemlocations (item, location, quantityonhand, quantityavailable)"
                " VALUES (?, ?, ?, ?)",
                (item, location, quantity, quantity),
            )

    def move_stock(self, item: int, location: int, delta: int) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO inventoryitemlocations (item, location) VALUES (?, ?)",
                (item, location),
            )
            c.execute(
                "UPDATE inventoryitemlocations SET quantityonhand = quantityonhand + ?,"
                " quantityavailable = quantityavailable + ? WHERE item = ? AND location = ?",
                (delta, delta, item, location),
            )
