"""``manage.py import_remittance PATH [--format auto|csv|xlsx|edi820] [--revision] [--json]``.

The same import as the upload page and the inbound folder. Prints the summary (``--json``: per
payment its number, date, amount, currency, line count, lines total and drift, plus line counts
by type); a refused file exits non-zero with the reasons, and nothing of it is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reconciliation import services
from reconciliation.models import ImportDoor, ImportStatus


class Command(BaseCommand):
    help = "Import a remittance file (Vendor Central CSV/XLSX export or EDI 820)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--format", default="auto", choices=["auto", "csv", "xlsx", "edi820"])
        parser.add_argument("--revision", action="store_true", help="Replace payments already imported.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if path.stat().st_size > settings.REMITTANCE_MAX_BYTES:
            raise CommandError(
                f"{path}: {path.stat().st_size:,} bytes is over the limit of {settings.REMITTANCE_MAX_BYTES:,}"
            )
        batch = services.remittance_import(
            data=path.read_bytes(),
            name=path.name,
            door=ImportDoor.COMMAND,
            fmt=options["format"],
            revision=options["revision"],
        )
        if batch.status != ImportStatus.IMPORTED:
            reasons = "\n".join(_error_text(e) for e in batch.errors) or batch.get_status_display()
            raise CommandError(f"{path.name} refused:\n{reasons}")
        summary = batch.summary
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "file": path.name,
                        "format": summary.get("format"),
                        "payments": [
                            {
                                k: p[k]
                                for k in (
                                    "payment_number",
                                    "payment_date",
                                    "amount",
                                    "currency",
                                    "line_count",
                                    "lines_total",
                                    "drift",
                                )
                            }
                            for p in summary["payments"]
                        ],
                        "lines_by_type": summary["lines_by_type"],
                        "exceptions": summary.get("exceptions", 0),
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"{path.name}: imported {len(summary['payments'])} payment(s) ({summary.get('format')})"
        )
        for p in summary["payments"]:
            drift = f", DRIFT {p['drift']}" if p["drift"] not in ("0", "0.00") else ""
            self.stdout.write(
                f"  {p['payment_number']}  {p['payment_date']}  {p['amount']} {p['currency']}  "
                f"{p['line_count']} lines = {p['lines_total']}{drift}"
            )
        for line_type, count in summary["lines_by_type"].items():
            self.stdout.write(f"  {line_type}: {count} line(s), {summary['totals_by_type'][line_type]}")
        for warning in summary.get("warnings", []):
            self.stdout.write(f"  warning: {warning}")
        if summary.get("exceptions"):
            self.stdout.write(f"  {summary['exceptions']} exception(s) raised; see the exception queue.")


def _error_text(error: dict[str, Any]) -> str:
    where = []
    if error.get("row") is not None:
        where.append(f"row {error['row']}")
    if error.get("column"):
        where.append(f"column {error['column']!r}")
    return f"  {', '.join(where)}: {error['message']}" if where else f"  {error['message']}"
