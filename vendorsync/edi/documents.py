"""Read every transaction set of a file into its typed value, and turn values into JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from vendorsync.edi.acknowledgement import parse_855
from vendorsync.edi.functional_ack import parse_997
from vendorsync.edi.invoice import parse_810
from vendorsync.edi.purchase_order import parse_850
from vendorsync.edi.remittance import parse_820
from vendorsync.edi.ship_notice import parse_856
from vendorsync.edi.values import EnvelopeInfo
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


def read_documents(text: str) -> list[object]:
    """Every transaction set in ``text`` as its typed value, in file order. Raises ``X12Error``."""
    return [
        parse_transaction(tx)
        for interchange in parse_interchanges(text)
        for group in interchange.groups
        for tx in group.transactions
    ]


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
