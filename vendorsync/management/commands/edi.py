"""``manage.py edi inspect FILE``: print the X12 documents in FILE as JSON.

Amounts are strings (Decimal), dates ISO; an 850 prints as ``EdiPurchaseOrder`` with the Orders
API value under ``order`` and the EDI product ids under ``lines``. The good transaction sets are
always printed; when some sets are damaged their errors (each naming the segment position, id
and element) are listed and the command exits non-zero, so a script notices a partial file.
An unreadable interchange exits non-zero with the ``X12Error`` message and prints nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vendorsync.edi import X12Error, read_documents, to_jsonable


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class Command(BaseCommand):
    help = "Inspect X12 EDI files (850, 820, 855, 856, 810, 997)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        inspect = sub.add_parser("inspect", help="Print the parsed document(s) as JSON.")
        inspect.add_argument("file", help="Path to an X12 file")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "inspect":
            self.inspect(Path(str(options["file"])))

    def inspect(self, path: Path) -> None:
        try:
            text = _read_text(path)
        except OSError as exc:
            raise CommandError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        try:
            result = read_documents(text)
        except X12Error as exc:
            raise CommandError(f"{path}: malformed X12: {exc}") from exc
        payload = [
            {"type": type(document).__name__, "document": to_jsonable(document)} for document in result
        ]
        self.stdout.write(json.dumps(payload, indent=2))
        if result.rejected:
            total = len(result) + len(result.rejected)
            lines = [f"{path}: {len(result.rejected)} of {total} transaction sets rejected:"]
            lines.extend(f"  {rejected}" for rejected in result.rejected)
            raise CommandError("\n".join(lines))
