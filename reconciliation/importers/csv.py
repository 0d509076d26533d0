"""CSV remittances (the Vendor Central payment export and its variants).

Encodings: UTF-8 (with or without BOM), else Windows-1252 (what Excel on Windows saves). A file with
NUL bytes (UTF-16, a binary renamed .csv) is refused rather than decoded into garbage.
Delimiter: comma, semicolon, tab or pipe, sniffed from the first lines.
"""

from __future__ import annotations

import csv as _csv
import io

from reconciliation.importers.base import ImportRefused, ParsedFile, RowError
from reconciliation.importers.tabular import Progress, read_rows


def decode(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise ImportRefused(
            [
                RowError(
                    None,
                    "",
                    "the file is not text in UTF-8 or Windows-1252 (UTF-16 or binary?); save it as CSV UTF-8",
                )
            ],
            code="encoding",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            [
                RowError(
                    None,
                    "",
                    f"the file is neither UTF-8 nor Windows-1252 (byte {exc.start}); save it as CSV UTF-8",
                )
            ],
            code="encoding",
        ) from None


def read(data: bytes, name: str = "", progress: Progress = None) -> ParsedFile:
    text = decode(data)
    sample = text[:8192]
    try:
        dialect: type[_csv.Dialect] | _csv.Dialect = _csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except _csv.Error:
        dialect = _csv.excel
    total = text.count("\n") or None
    reader = _csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return read_rows(
            ((reader.line_num, row) for row in reader), fmt="csv", total_rows=total, progress=progress
        )
    except _csv.Error as exc:
        raise ImportRefused(
            [RowError(reader.line_num, "", f"unreadable CSV: {exc}")], code="bad_rows"
        ) from None
