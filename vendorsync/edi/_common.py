"""Helpers shared by the document modules: N1 loops, product ids, warnings, reading sets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from stdnum import ean

from vendorsync.amazon import values as api
from vendorsync.edi.errors import X12Error, X12Warning
from vendorsync.edi.gs1 import product_id_problem, require_valid_product_id
from vendorsync.edi.values import N1Loop, ProductId, ReadResult, RejectedTransaction
from vendorsync.edi.x12 import Segment, SegmentData, TransactionSet, transactions_of


def read_party(segments: Sequence[Segment], start: int) -> tuple[N1Loop, int]:
    """Read the N1 at ``segments[start]`` and its N2/N3/N4; return the loop and the next index."""
    n1 = segments[start]
    lines: list[str] = []
    city = state = postal = country = ""
    has_address = bool(n1.text(2))
    position = start + 1
    while position < len(segments) and segments[position].id in ("N2", "N3", "N4"):
        segment = segments[position]
        if segment.id == "N3":
            lines.extend(value for value in (segment.text(1), segment.text(2)) if value)
            has_address = True
        elif segment.id == "N4":
            city, state, postal, country = segment.text(1), segment.text(2), segment.text(3), segment.text(4)
            has_address = True
        position += 1
    address = (
        api.Address(
            name=n1.text(2),
            address_line1=lines[0] if lines else "",
            address_line2=lines[1] if len(lines) > 1 else None,
            country_code=country,
            city=city or None,
            state_or_region=state or None,
            postal_code=postal or None,
        )
        if has_address
        else None
    )
    loop = N1Loop(
        entity=n1.text(1, required=True), party=api.Party(n1.text(4), address), id_qualifier=n1.text(3)
    )
    return loop, position


def party_segments(entity: str, party: api.Party | None, *, qualifier: str = "92") -> list[SegmentData]:
    """N1 (name from the address, ``qualifier`` + ``party_id``) and N3/N4 when the party has an address."""
    if party is None:
        return []
    address = party.address
    name = address.name if address else ""
    if len(name) > 60:  # N102 AN 1/60: refuse rather than write what Amazon's translator truncates
        raise ValueError(f"N1*{entity}: name is {len(name)} characters; N102 allows 60")
    out: list[SegmentData] = [("N1", entity, name, qualifier if party.party_id else "", party.party_id)]
    if address is not None:
        if address.address_line3:
            raise ValueError(f"N1*{entity}: at most two address lines fit in N3")
        lines = [line for line in (address.address_line1, address.address_line2) if line]
        if lines:
            out.append(("N3", *lines))
        if address.city or address.postal_code or address.country_code:
            out.append(
                (
                    "N4",
                    address.city or "",
                    address.state_or_region or "",
                    address.postal_code or "",
                    address.country_code,
                )
            )
    return out


def read_product_ids(
    segment: Segment,
    first: int,
    warnings: list[X12Warning],
    last: int | None = None,
    *,
    echoed: bool = False,
) -> tuple[ProductId, ...]:
    """Qualifier/value pairs from element ``first`` on (PO106/07, LIN02/03…); bad check digits warn.

    ``echoed=True`` (the 850 reader) marks the ids as Amazon's, to be echoed back unchecked.
    """
    ids: list[ProductId] = []
    position = first
    stop = last or len(segment.elements)
    while position < stop:
        qualifier, value = segment.text(position), segment.text(position + 1)
        if qualifier and value:
            ids.append(ProductId(qualifier, value, echoed=echoed))
            problem = product_id_problem(qualifier, value)
            if problem:
                warnings.append(X12Warning(problem, segment.index, segment.id, segment.name(position + 1)))
        position += 2
    return tuple(ids)


def product_id_elements(ids: Sequence[ProductId], what: str) -> list[str]:
    """Qualifier/value pairs for PO1/IT1/LIN: our own ids are checked strictly, ids echoed from a
    received PO (``ProductId.echoed``) only for being non-empty — they must go back exactly."""
    if not ids:
        raise ValueError(f"{what}: at least one product id is required")
    out: list[str] = []
    for product_id in ids:
        if product_id.echoed:
            if not (product_id.qualifier and product_id.value):
                raise ValueError(f"{what}: echoed product id {product_id.qualifier!r} is empty")
        else:
            require_valid_product_id(product_id.qualifier, product_id.value, what)
        out.extend((product_id.qualifier, product_id.value))
    return out


def product_ids_for(
    amazon_product_identifier: str | None, vendor_product_identifier: str | None
) -> tuple[ProductId, ...]:
    """The X12 ids for an API item (reference §9.9): the vendor id as ``UP``/``EN``/``UK`` when it is
    a valid 12/13/14-digit GTIN, else ``VN``; the ASIN as ``BP``. Both are the PO's own identifiers
    (the API says so of ``vendorProductIdentifier``), so they are marked ``echoed``: written as
    received, like the 850's ids, rather than refused for a check digit Amazon got wrong."""
    ids: list[ProductId] = []
    vendor_id = (vendor_product_identifier or "").strip()
    if vendor_id:
        gtin = vendor_id.isdigit() and len(vendor_id) in (12, 13, 14) and ean.is_valid(vendor_id)
        qualifier = {12: "UP", 13: "EN", 14: "UK"}[len(vendor_id)] if gtin else "VN"
        ids.append(ProductId(qualifier, vendor_id, echoed=True))
    asin = (amazon_product_identifier or "").strip()
    if asin:
        ids.append(ProductId("BP", asin, echoed=True))
    return tuple(ids)


def split_product_ids(ids: Sequence[ProductId]) -> tuple[str | None, str | None]:
    """(ASIN, vendor id) of read product ids: ``BP`` is the ASIN, the first other id the vendor's."""
    asin = next((p.value for p in ids if p.qualifier == "BP"), None)
    vendor = next((p.value for p in ids if p.qualifier != "BP"), None)
    return asin, vendor


def count_check(expected: int, actual: int, segment: Segment, position: int, what: str) -> X12Warning | None:
    if expected != actual:
        return X12Warning(
            f"{segment.name(position)} says {expected} {what}, counted {actual}",
            segment.index,
            segment.id,
            segment.name(position),
        )
    return None


def read_transaction_sets[T](
    text: str, set_id: str, parser: Callable[[TransactionSet], T], what: str
) -> ReadResult[T]:
    """Parse every ``set_id`` set of ``text`` with ``parser``; skip and report the bad ones.

    A set is skipped when its envelope is damaged (``TransactionSet.errors``) or its parser
    raises ``X12Error`` (e.g. a missing mandatory element: AK5 code 5), so the file's other sets
    are still read. Raises ``X12Error`` when the interchange itself is unreadable, or when the
    file holds no ``set_id`` set at all (the caller picked the wrong reader).
    """
    documents: list[T] = []
    rejected: list[RejectedTransaction] = []
    found = False
    for tx in transactions_of(text):
        if tx.id != set_id:
            continue
        found = True
        if tx.errors:
            rejected.append(RejectedTransaction.of(tx, tx.errors))
            continue
        try:
            documents.append(parser(tx))
        except X12Error as error:
            if error.ak5_code is None:
                error.ak5_code = "5"  # one or more segments in error
            rejected.append(RejectedTransaction.of(tx, (error,)))
    if not found:
        raise X12Error(f"no {what} in the file")
    return ReadResult(tuple(documents), tuple(rejected))
