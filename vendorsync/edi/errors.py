"""Typed errors and warnings of the X12 connector.

``X12Error`` is raised for input we cannot trust (broken envelope, wrong counts, a missing
mandatory element). Its message always says where: the 1-based position of the segment in
the file and, where known, the segment id and element, e.g.
``segment 14 (SE): SE01 says 12 segments, counted 11``.

Errors confined to one transaction set (a wrong SE01, a broken HL link, a missing mandatory
element) do not stop the rest of the file: they are collected on that set and its reader skips
it, so the good sets are still read and a 997 can reject exactly the bad one. Such errors carry
``ak5_code``, the X12 997 AK5 syntax error code (element 718) that the 997 reports for the set.

``X12Warning`` is collected, never raised: things a reader tolerates in what Amazon sends
(a UPC with a bad check digit, an unknown code) so that downstream code can raise an
exception case for a person instead of the import failing.
"""

from __future__ import annotations

from dataclasses import dataclass

from vendorsync.errors import ConnectorError


def _where(segment_index: int | None, segment_id: str | None, element: str | None) -> str:
    if segment_index is None:
        return ""
    label = ", ".join(part for part in (segment_id, element) if part)
    return f"segment {segment_index}" + (f" ({label})" if label else "") + ": "


class X12Error(ConnectorError, ValueError):
    """Malformed X12. A ``ValueError`` (bad input) and a ``ConnectorError`` (for the sync flows).

    Attributes name the position: ``segment_index`` (1-based, counted over the whole file),
    ``segment_id`` (``"SE"``) and ``element`` (``"SE01"``); ``detail`` is the message without them.
    """

    def __init__(
        self,
        detail: str,
        *,
        segment_index: int | None = None,
        segment_id: str | None = None,
        element: str | None = None,
        ak5_code: str | None = None,
    ) -> None:
        self.detail = detail
        self.ak5_code = ak5_code
        self.segment_index = segment_index
        self.segment_id = segment_id
        self.element = element
        super().__init__(_where(segment_index, segment_id, element) + detail)


@dataclass(frozen=True)
class X12Warning:
    """Something tolerated while reading; ``str()`` names where, like ``X12Error``."""

    message: str
    segment_index: int | None = None
    segment_id: str | None = None
    element: str | None = None

    def __str__(self) -> str:
        return _where(self.segment_index, self.segment_id, self.element) + self.message
