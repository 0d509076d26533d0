"""Render the operations runbook (vendorsync/runbook.py) to Markdown.

python manage.py runbook            # print it
python manage.py runbook --write    # update docs/operations.md
python manage.py runbook --check    # exit 1 when docs/operations.md is out of date (CI)
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vendorsync.runbook import missing_kinds, render_markdown

DOC_PATH = Path(settings.BASE_DIR) / "docs" / "operations.md"


class Command(BaseCommand):
    help = "Render the operations runbook to Markdown (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--write", action="store_true", help=f"write {DOC_PATH.name}")
        group.add_argument("--check", action="store_true", help="fail when the committed file is stale")

    def handle(self, *args: object, write: bool = False, check: bool = False, **options: object) -> None:
        missing = missing_kinds()
        if missing:
            raise CommandError(f"These exception kinds have no runbook entry: {', '.join(missing)}.")
        text = render_markdown()
        if check:
            current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
            if current != text:
                raise CommandError(f"{DOC_PATH} is out of date; run `python manage.py runbook --write`.")
            self.stdout.write(f"{DOC_PATH.name} is up to date.")
        elif write:
            DOC_PATH.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {DOC_PATH}.")
        else:
            self.stdout.write(text)
