"""Read every transaction set of a file into its typed value, and turn values into JSON.

Like the single-type readers, ``read_documents`` skips a damaged set into ``.rejected`` instead of
failing the file, so ``edi inspect`` can show the good sets and name the bad ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from vendorsync.edi.acknowledgement import parse_855
from vendorsync.edi.errors import X12Error
from vendorsync.edi.functional_ack import parse_997
from vendorsync.edi.invoice import parse_810
from vendorsync.edi.purchase_order import parse_850
from vendorsync.edi.remittance import parse_820
from vendorsync.edi.ship_notice import parse_856
from vendorsync.edi.values import EnvelopeInfo, ReadResult, RejectedTransaction
from vendorsync.edi.x12 import TransactionSet, parse_interchanges

PARSERS = {
    "850": parse_850,
    "820": parse_820,
    "855": parse_855,
    "856": parse_856,
    "810": parse_810,
    "997": parse_997,
}


@dataclass(frozen=True)
class UnsupportedTransaction:
    """A transaction set we have no reader for: its envelope and raw segments."""

    transaction_set_id: str
    segments: tuple[tuple[str, ...], ...]
    envelope: EnvelopeInfo


def parse_transaction(tx: TransactionSet) -> object:
    parser = PARSERS.get(tx.id)
    if parser is None:
        return UnsupportedTransaction(
            tx.id, tuple((s.id, *s.elements) for s in tx.segments), EnvelopeInfo.of(tx)
        )
    return parser(tx)


def read_documents(text: str) -> ReadResult[object]:
    """Every good transaction set in ``text`` as its typed value, in file order; damaged sets
    (envelope errors, or an ``X12Error`` from their parser) in ``.rejected``.

    Raises ``X12Error`` only when the interchange itself cannot be read.
    """
    documents: list[object] = []
    rejected: list[RejectedTransaction] = []
    for interchange in parse_interchanges(text):
        for group in interchange.groups:
            for tx in group.transactions:
                if tx.errors:
                    rejected.append(RejectedTransaction.of(tx, tx.errors))
                    continue
                try:
                    documents.append(parse_transaction(tx))
                except X12Error as error:
                    if error.ak5_code is None:
                        error.ak5_code = "5"
                    rejected.append(RejectedTransaction.of(tx, (error,)))
    return ReadResult(tuple(documents), tuple(rejected))


def to_jsonable(value: object) -> object:
    """Dataclasses → dicts, Decimal → str, dates/times → ISO strings, tuples → lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if "warnings" in out:
            out["warnings"] = [str(w) for w in getattr(value, "warnings", ())]
        return out
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value
