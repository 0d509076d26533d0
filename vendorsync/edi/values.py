"""Plain value types shared by the X12 documents (frozen dataclasses; money is Decimal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from vendorsync.edi.x12 import InterchangeHeader, TransactionSet


@dataclass(frozen=True)
class ProductId:
    """A product id with its X12 qualifier: BP (ASIN), EN (EAN-13), UP (UPC-A), VN (vendor), IB (ISBN)…"""

    qualifier: str
    value: str


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency_code: str


@dataclass(frozen=True)
class Reference:
    """A REF segment: qualifier (``BM``, ``CR``, ``IA``…) and value."""

    qualifier: str
    value: str
    description: str = ""


@dataclass(frozen=True)
class DateReference:
    """A DTM segment: qualifier (``011`` shipped, ``003`` invoice date…) and date."""

    qualifier: str
    date: date


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...] = ()  # N3, at most two
    city: str = ""
    state_or_region: str = ""
    postal_code: str = ""
    country_code: str = ""


@dataclass(frozen=True)
class Party:
    """An N1 loop: entity code (``ST`` ship-to, ``BY`` buyer, ``SF`` ship-from, ``PE`` payee…)."""

    entity: str
    name: str = ""
    id_qualifier: str = ""  # N103: 92 buyer-assigned, 15 SAN, ZZ mutually defined
    id: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class EnvelopeInfo:
    """Where a received document came from — what a 997 needs to acknowledge it."""

    interchange_control_number: str
    sender_id: str
    receiver_id: str
    usage: str
    functional_id: str
    group_control_number: str
    version: str
    transaction_set_id: str
    transaction_control_number: str

    @classmethod
    def of(cls, tx: TransactionSet) -> EnvelopeInfo:
        isa: InterchangeHeader = tx.interchange
        return cls(
            interchange_control_number=isa.control_number,
            sender_id=isa.sender_id,
            receiver_id=isa.receiver_id,
            usage=isa.usage,
            functional_id=tx.group.functional_id,
            group_control_number=tx.group.control_number,
            version=tx.group.version,
            transaction_set_id=tx.id,
            transaction_control_number=tx.control_number,
        )
