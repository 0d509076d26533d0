"""``manage.py audit_integration [--json]``: the integration audit (configuration and data gaps).

Prints each check with its count, owner and where to fix it; checks no app provides yet are listed
as not checked. The exit status is 0 either way: gaps are work for people, not a failed command.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from vendorsync.integration_audit import run_audit


class Command(BaseCommand):
    help = "Report configuration and data gaps between Amazon, NetSuite and VendorSync."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the findings as JSON")

    def handle(self, *args: object, **options: object) -> None:
        findings = run_audit()
        if options["json"]:
            self.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2))
            return
        for finding in findings:
            count = (
                "not checked"
                if finding.count is None
                else f"{finding.count} gap{'s' if finding.count != 1 else ''}"
            )
            self.stdout.write(f"{finding.label}: {count} (owner: {finding.owner_label})")
            for example in finding.examples:
                self.stdout.write(f"  - {example}")
            if finding.count and finding.fix:
                self.stdout.write(f"  Fix: {finding.fix}")
            if finding.count and finding.link:
                self.stdout.write(f"  Where: {finding.link}")
            if finding.note:
                self.stdout.write(f"  {finding.note}")
        total = sum(f.count or 0 for f in findings)
        self.stdout.write(f"Total: {total} gap{'s' if total != 1 else ''}.")
