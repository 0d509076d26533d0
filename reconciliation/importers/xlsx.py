"""XLSX remittances, read only after the archive passes a pre-scan.

Before openpyxl sees a byte: the zip's declared sizes must stay under ``XLSX_MAX_UNCOMPRESSED``,
no member may expand more than ``XLSX_MAX_RATIO`` times (zip bombs), members are capped in number,
and a workbook with macros (``vbaProject.bin`` or a macro-enabled content type) is refused. openpyxl
then parses the XML through defusedxml (installed, so openpyxl uses it: no entity expansion) with
``data_only=True``, so formulas are read as their cached values and never evaluated.
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings

from reconciliation.importers.base import ImportRefused, ParsedFile, RowError
from reconciliation.importers.tabular import Progress, read_rows

MAX_MEMBERS = 500


def _refuse(message: str, code: str) -> ImportRefused:
    return ImportRefused([RowError(None, "", message)], code=code)


def prescan(data: bytes, name: str = "") -> None:
    if name.lower().endswith(".xlsm"):
        raise _refuse("macro-enabled workbooks (.xlsm) are refused; save the sheet as .xlsx", "macro")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse("the file is not an XLSX workbook (not a zip archive)", "not_xlsx") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _refuse(f"the workbook has {len(members)} parts (more than {MAX_MEMBERS})", "zip_bomb")
        total = 0
        for member in members:
            lowered = member.filename.lower()
            if lowered.endswith("vbaproject.bin") or lowered.endswith(".bin") and "vba" in lowered:
                raise _refuse(
                    "the workbook contains macros (vbaProject.bin); save it as a plain .xlsx", "macro"
                )
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1_000_000 and ratio > settings.REMITTANCE_XLSX_MAX_RATIO:
                raise _refuse(
                    f"part {member.filename} expands {ratio:.0f}× (limit {settings.REMITTANCE_XLSX_MAX_RATIO}×): "
                    "refused as a possible zip bomb",
                    "zip_bomb",
                )
        if total > settings.REMITTANCE_XLSX_MAX_UNCOMPRESSED:
            raise _refuse(
                f"the workbook expands to {total:,} bytes (limit {settings.REMITTANCE_XLSX_MAX_UNCOMPRESSED:,}): "
                "refused as a possible zip bomb",
                "zip_bomb",
            )
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names:
            raise _refuse("the file is a zip archive but not an XLSX workbook", "not_xlsx")
        content_types = archive.read("[Content_Types].xml")
        if b"macroEnabled" in content_types or b"vbaProject" in content_types:
            raise _refuse("the workbook is macro-enabled; save it as a plain .xlsx", "macro")


def read(data: bytes, name: str = "", progress: Progress = None) -> ParsedFile:
    prescan(data, name)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise _refuse(f"the workbook cannot be read: {type(exc).__name__}: {exc}", "not_xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        total = sheet.max_row if isinstance(sheet.max_row, int) else None
        rows = (
            (number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return read_rows(rows, fmt="xlsx", total_rows=total, progress=progress)
    finally:
        workbook.close()
