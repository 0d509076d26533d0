"""Remittance importers, one per door format; each returns a :class:`ParsedFile` (see ``base``).

``parse(data, name, fmt)`` picks the reader (``auto`` guesses from the name and the first bytes);
``reconciliation.services.remittance_import`` writes the result in one transaction.
"""

from __future__ import annotations

from reconciliation.importers.base import ImportRefused, ParsedFile, ParsedLine, ParsedPayment, RowError

__all__ = ["ImportRefused", "ParsedFile", "ParsedLine", "ParsedPayment", "RowError", "detect_format", "parse"]


def detect_format(data: bytes, name: str) -> str:
    lower = name.lower()
    if data[:3] == b"ISA" or data.lstrip()[:3] == b"ISA" or lower.endswith((".820", ".edi", ".x12")):
        return "edi820"
    if data[:2] == b"PK" or lower.endswith((".xlsx", ".xlsm", ".xls")):
        return "xlsx"
    return "csv"


def parse(data: bytes, name: str, fmt: str = "auto", progress=None) -> ParsedFile:  # noqa: ANN001
    from reconciliation.importers import csv as csv_reader
    from reconciliation.importers import edi820, xlsx

    fmt = detect_format(data, name) if fmt == "auto" else fmt
    if fmt == "csv":
        return csv_reader.read(data, name, progress=progress)
    if fmt == "xlsx":
        return xlsx.read(data, name, progress=progress)
    if fmt == "edi820":
        return edi820.read(data, name)
    raise ImportRefused([RowError(None, "", f"Unknown format {fmt!r}; use auto, csv, xlsx or edi820.")])
