"""Plain value types shared by the X12 documents (frozen dataclasses; money is Decimal).

Parties, addresses, money, quantities, the purchase order, the ASN and the invoice are *not*
defined here: they are ``vendorsync.amazon.values`` types, so that an EDI PO and an API PO, or an
856 and a ``submitShipmentConfirmations`` body, are the same value (one type per concept). What is
here is what only X12 has: qualified product ids, REF/DTM references, the N1 loop's entity code,
envelopes and what a reader skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import overload

from vendorsync.amazon import values as api
from vendorsync.edi.errors import X12Error
from vendorsync.edi.x12 import InterchangeHeader, TransactionSet


@dataclass(frozen=True)
class ProductId:
    """A product id with its X12 qualifier: BP (ASIN), EN (EAN-13), UP (UPC-A), VN (vendor), IB (ISBN)…

    ``echoed`` marks an id read from a purchase order Amazon sent us. Writers check the GS1/ISBN
    check digit of ids *we* create, but an echoed id is written as received: reference §9.9
    requires the 855 (and ASN/invoice) to echo the PO's identifier exactly, the reader has
    already warned about a bad check digit, and refusing it would block the acknowledgement of a
    PO whose only fault is Amazon's catalogue data (e.g. EN 8806098286500 in the API sandbox).
    It takes no part in equality: the same qualifier and value is the same product id.
    """

    qualifier: str
    value: str
    echoed: bool = field(default=False, compare=False)


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
class N1Loop:
    """An N1 loop as read: entity code (``ST`` ship-to, ``BY`` buyer, ``PE`` payee…), the N103 id
    qualifier (92 buyer-assigned, 15 SAN, ZZ mutually defined) and the party itself — N104 as
    ``party_id``, N102 and N3/N4 as its address (``address_line1``/``country_code`` are "" when the
    loop has a name but no street or country)."""

    entity: str
    party: api.Party
    id_qualifier: str = ""

    @property
    def id(self) -> str:
        return self.party.party_id

    @property
    def name(self) -> str:
        return self.party.address.name if self.party.address else ""


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


@dataclass(frozen=True)
class RejectedTransaction:
    """A transaction set a reader skipped: where it was and why (each error names its segment).

    ``ak5_codes`` are what a 997 reports for it (``acknowledge_group`` accepts these values).
    """

    envelope: EnvelopeInfo
    errors: tuple[X12Error, ...]

    @property
    def ak5_codes(self) -> tuple[str, ...]:
        codes = dict.fromkeys(error.ak5_code or "5" for error in self.errors)
        return tuple(codes)[:5]  # AK502..AK506

    @classmethod
    def of(cls, tx: TransactionSet, errors: Sequence[X12Error]) -> RejectedTransaction:
        return cls(EnvelopeInfo.of(tx), tuple(errors))

    def __str__(self) -> str:
        env = self.envelope
        where = (
            f"{env.transaction_set_id} {env.transaction_control_number} (group {env.group_control_number})"
        )
        return "; ".join(f"{where}: {error}" for error in self.errors)


@dataclass(frozen=True)
class ReadResult[T](Sequence[T]):
    """What a reader found: the good documents (iterate, index or unpack it like a list) and the
    transaction sets it skipped in ``rejected``. Skipping rather than raising lets one bad set
    be rejected by a 997 while the others are processed."""

    documents: tuple[T, ...]
    rejected: tuple[RejectedTransaction, ...] = ()

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.documents[index]

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[T]:
        return iter(self.documents)

    @property
    def errors(self) -> tuple[X12Error, ...]:
        return tuple(error for rejected in self.rejected for error in rejected.errors)
