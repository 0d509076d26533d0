"""``manage.py edi inspect FILE``: print the X12 documents in FILE as JSON.

Amounts are strings (Decimal), dates ISO. Malformed input exits non-zero with the message of the
``X12Error`` (which names the segment position, id and element).
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
            documents = read_documents(text)
        except X12Error as exc:
            raise CommandError(f"{path}: malformed X12: {exc}") from exc
        payload = [
            {"type": type(document).__name__, "document": to_jsonable(document)} for document in documents
        ]
        self.stdout.write(json.dumps(payload, indent=2))
