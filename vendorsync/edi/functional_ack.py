"""997 Functional Acknowledgment: writer, reader, and a builder for a group we received.

``AK1*<GS01>*<GS06>``, per transaction set ``AK2*<ST01>*<ST02>`` + ``AK5*<A|E|R>[*codes]``, then
``AK9*<A|E|P|R>*<sets included>*<received>*<accepted>``. The 997 goes out in the X12 version of
the group it acknowledges (4010 for 850/820, 5010 for an 856 echo). pyx12 cannot build retail
997s (its map only allows HIPAA AK101 codes), hence this module.

``acknowledge_group`` rejects (AK5 ``R``) every set whose envelope ``parse_interchanges`` found
damaged, with the X12 AK5 codes (element 718) carried by those errors: ``3`` ST02/SE02 differ,
``4`` SE01 count wrong, ``5`` one or more segments in error (broken HL links, or a reader's
``X12Error`` such as a missing mandatory element), ``23`` ST02 not unique in the group. Sets a
reader skipped can be passed in ``rejected`` (``ReadResult.rejected`` as is, or ST02 → codes).
AK9 is ``A`` when every set is accepted, ``R`` when none is, else ``P`` (partially accepted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from vendorsync.edi._common import read_transaction_sets
from vendorsync.edi.errors import X12Warning
from vendorsync.edi.values import EnvelopeInfo, ReadResult, RejectedTransaction
from vendorsync.edi.x12 import (
    ControlNumberSource,
    FunctionalGroup,
    OutboundEnvelope,
    SegmentData,
    TransactionSet,
    render_interchange,
)

TRANSACTION_STATUSES = {"A", "E", "R"}  # AK501 accepted / accepted with errors / rejected
GROUP_STATUSES = {"A", "E", "P", "R"}  # AK901 … / P partially accepted


@dataclass(frozen=True)
class TransactionResponse:
    transaction_set_id: str  # AK201
    control_number: str  # AK202
    status: str = "A"  # AK501
    error_codes: tuple[str, ...] = ()  # AK502..AK506 (e.g. "5" = segment count wrong)


@dataclass(frozen=True)
class FunctionalAcknowledgement:
    functional_id: str  # AK101: the acknowledged GS01 (PO, RA, SH…)
    group_control_number: str  # AK102: the acknowledged GS06
    version: str  # GS08 of the acknowledged group; the 997 is sent in the same version
    transactions: tuple[TransactionResponse, ...]
    group_status: str  # AK901
    included: int  # AK902: sets in the group (its GE01)
    received: int  # AK903
    accepted: int  # AK904
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


def _rejected_codes(
    group: FunctionalGroup, rejected: Mapping[str, Sequence[str]] | Iterable[RejectedTransaction] | None
) -> dict[str, tuple[str, ...]]:
    """ST02 → AK5 codes from the caller, keeping only ``RejectedTransaction``s of this group."""
    if rejected is None:
        return {}
    if isinstance(rejected, Mapping):
        return {str(st02): tuple(codes) for st02, codes in rejected.items()}
    codes: dict[str, tuple[str, ...]] = {}
    for item in rejected:
        env = item.envelope
        if (
            env.group_control_number == group.header.control_number
            and env.functional_id == group.header.functional_id
        ):
            codes[env.transaction_control_number] = item.ak5_codes
    return codes


def acknowledge_group(
    group: FunctionalGroup,
    rejected: Mapping[str, Sequence[str]] | Iterable[RejectedTransaction] | None = None,
) -> FunctionalAcknowledgement:
    """The 997 for a received group.

    Sets with envelope errors (``TransactionSet.errors``) are rejected with their AK5 codes
    automatically. ``rejected`` adds sets refused for other reasons: either ST02 → AK5 codes, or
    a reader's ``ReadResult.rejected`` (entries of other groups are ignored, so one reader
    result can serve every group of the file). A code list may be empty.
    """
    extra = _rejected_codes(group, rejected)
    unknown = set(extra) - {tx.control_number for tx in group.transactions}
    if unknown:
        raise ValueError(f"997 for group {group.header.control_number}: no transaction set {sorted(unknown)}")
    responses: list[TransactionResponse] = []
    for tx in group.transactions:
        codes = dict.fromkeys(error.ak5_code or "5" for error in tx.errors)
        codes.update(dict.fromkeys(extra.get(tx.control_number, ())))
        is_rejected = bool(tx.errors) or tx.control_number in extra
        responses.append(
            TransactionResponse(tx.id, tx.control_number, "R" if is_rejected else "A", tuple(codes)[:5])
        )
    accepted = sum(1 for r in responses if r.status != "R")
    count = len(responses)
    status = "A" if accepted == count else ("R" if accepted == 0 else "P")
    return FunctionalAcknowledgement(
        functional_id=group.header.functional_id,
        group_control_number=group.header.control_number,
        version=group.header.version,
        transactions=tuple(responses),
        group_status=status,
        included=count,
        received=count,
        accepted=accepted,
    )


def build_997_body(ack: FunctionalAcknowledgement) -> list[SegmentData]:
    what = f"997 for group {ack.functional_id} {ack.group_control_number}"
    if ack.group_status not in GROUP_STATUSES:
        raise ValueError(f"{what}: AK901 {ack.group_status!r} is not one of A, E, P, R")
    body: list[SegmentData] = [("AK1", ack.functional_id, ack.group_control_number)]
    for response in ack.transactions:
        if response.status not in TRANSACTION_STATUSES:
            raise ValueError(
                f"{what}: AK501 {response.status!r} for set {response.control_number} is not A, E or R"
            )
        if len(response.error_codes) > 5:
            raise ValueError(f"{what}: at most 5 AK5 error codes for set {response.control_number}")
        body.append(("AK2", response.transaction_set_id, response.control_number))
        body.append(("AK5", response.status, *response.error_codes))
    body.append(("AK9", ack.group_status, ack.included, ack.received, ack.accepted))
    return body


def write_997(
    ack: FunctionalAcknowledgement,
    *,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
) -> str:
    """A complete interchange (GS01 FA) in the version of the acknowledged group."""
    return render_interchange(
        [("997", build_997_body(ack))],
        functional_id="FA",
        version=ack.version,
        envelope=envelope,
        control_numbers=control_numbers,
        at=at,
    )


def parse_997(tx: TransactionSet) -> FunctionalAcknowledgement:
    if tx.id != "997":
        raise tx.segments[0].error(f"expected a 997, got {tx.id}", 1)
    ak1 = next((s for s in tx.body if s.id == "AK1"), None)
    ak9 = next((s for s in tx.body if s.id == "AK9"), None)
    if ak1 is None or ak9 is None:
        raise tx.segments[0].error("997 needs AK1 and AK9")
    responses: list[TransactionResponse] = []
    ak2 = None
    for segment in tx.body:
        if segment.id == "AK2":
            ak2 = segment
        elif segment.id == "AK5":
            if ak2 is None:
                raise segment.error("AK5 without AK2")
            codes = tuple(segment.text(n) for n in range(2, 7) if segment.text(n))
            responses.append(
                TransactionResponse(ak2.text(1), ak2.text(2), segment.text(1, required=True), codes)
            )
            ak2 = None
    return FunctionalAcknowledgement(
        functional_id=ak1.text(1, required=True),
        group_control_number=ak1.text(2, required=True),
        version=tx.group.version,
        transactions=tuple(responses),
        group_status=ak9.text(1, required=True),
        included=ak9.integer(2, required=True),  # type: ignore[arg-type]
        received=ak9.integer(3, required=True),  # type: ignore[arg-type]
        accepted=ak9.integer(4, required=True),  # type: ignore[arg-type]
        envelope=EnvelopeInfo.of(tx),
    )


def read_functional_acknowledgements(text: str) -> ReadResult[FunctionalAcknowledgement]:
    """Every good 997 in ``text``; bad sets are skipped into ``.rejected``."""
    return read_transaction_sets(text, "997", parse_997, "997 functional acknowledgement")
