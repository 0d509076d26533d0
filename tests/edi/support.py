"""Helpers for the EDI tests: fixtures on disk and pyx12 as an independent envelope checker."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from pyx12.x12file import X12Reader

from vendorsync.edi import ControlNumbers, OutboundEnvelope

FIXTURES = Path(__file__).parent / "fixtures"
AT = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)
TO_AMAZON = OutboundEnvelope(sender_id="VSYNCVENDOR", receiver_id="AMAZON", test=True)
NUMBERS = ControlNumbers(interchange=42, group=43, transaction=7)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def pyx12_check(text: str) -> tuple[list[tuple], list[str]]:
    """(errors, segment ids) as pyx12's X12Reader sees ``text``, including end-of-file checks."""
    errors: list[tuple] = []
    ids: list[str] = []
    with X12Reader(io.StringIO(text)) as reader:
        for segment in reader:
            ids.append(segment.get_seg_id())
            errors.extend(reader.pop_errors())
        reader.cleanup()
        errors.extend(reader.pop_errors())
    return errors, ids


def segments_of(text: str) -> list[str]:
    return [s for s in text.replace("\n", "").split("~") if s]
