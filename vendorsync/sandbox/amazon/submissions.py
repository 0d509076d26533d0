"""Asynchronous submissions: ``202 + transactionId`` now, ``getTransaction`` Success or Failure later.

The body's structure is checked synchronously (400 ``InvalidInput``); each document is then
checked and applied by its own rules (``acknowledgements``, ``shipments``, ``invoices``) inside
one savepoint, so a transaction is all or nothing. The outcome becomes visible through
``getTransaction`` only ``transaction_delay_seconds`` later, as on Amazon.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from vendorsync.sandbox.common import utc_timestamp as iso

from .acknowledgements import Acknowledgements
from .core import ApiError, err, parse_time
from .invoices import Invoices
from .shipments import Shipments
from .store import dumps, loads


class Submissions(Acknowledgements, Shipments, Invoices):
    def submit(
        self, kind: str, body: Any, *, at: datetime | None = None, invoice_due_days: int | None = None
    ) -> str:
        """Accept a submission (202 + transactionId) or raise ``ApiError`` 400 for a malformed body.

        Semantic problems (unknown PO or item, bad SSCC, quantities beyond the order...) do not
        fail the request: they make the transaction end in Failure, as on Amazon. A transaction
        is all or nothing: either every document in it is applied or none is.
        """
        at = at or self.now()
        key = {
            "acknowledgement": "acknowledgements",
            "shipment": "shipmentConfirmations",
            "invoice": "invoices",
        }[kind]
        if not isinstance(body, dict):
            raise ApiError(400, [err("InvalidInput", "The request body must be a JSON object.")])
        problems = [
            err("InvalidInput", f"Invalid content was found starting with element '{name}'.")
            for name in body
            if name != key
        ]
        documents = body.get(key)
        if not isinstance(documents, list) or not documents:
            problems.append(err("InvalidInput", f"Missing required field '{key}'."))
            raise ApiError(400, problems)
        check = {
            "acknowledgement": self._check_ack,
            "shipment": self._check_asn,
            "invoice": self._check_invoice,
        }
        for index, document in enumerate(documents):
            if not isinstance(document, dict):
                problems.append(err("InvalidInput", f"'{key}[{index}]' must be an object."))
                continue
            problems += check[kind](document, f"{key}[{index}]")
        if problems:
            raise ApiError(400, problems)
        transaction_id = f"{at:%Y%m%d%H%M%S}-{uuid.uuid4()}"
        with self.store.tx() as db:
            db.execute("SAVEPOINT submission")
            errors: list[dict[str, str]] = []
            for document in documents:
                if kind == "acknowledgement":
                    errors += self._apply_ack(db, document, at)
                elif kind == "shipment":
                    errors += self._apply_asn(db, document, at)
                else:
                    errors += self._apply_invoice(db, document, at, invoice_due_days)
            if errors:
                db.execute("ROLLBACK TO submission")
            db.execute("RELEASE submission")
            ready = at + timedelta(seconds=self.transaction_delay_seconds)
            db.execute(
                "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    transaction_id,
                    kind,
                    iso(at),
                    iso(ready),
                    "Failure" if errors else "Success",
                    dumps(errors),
                    dumps(body),
                ),
            )
        return transaction_id

    def get_transaction(self, transaction_id: str) -> dict[str, Any]:
        with self.store.tx() as db:
            row = db.execute("SELECT * FROM transactions WHERE id = ?", (transaction_id,)).fetchone()
        if row is None:
            raise ApiError(404, [err("NotFound", f"Transaction {transaction_id} was not found.")])
        status: dict[str, Any] = {"transactionId": row["id"], "status": "Processing"}
        if parse_time(row["ready_at"]) <= self.now():
            status["status"] = row["status"]
            if row["status"] == "Failure":
                status["errors"] = loads(row["errors"])
        return {"transactionStatus": status}
