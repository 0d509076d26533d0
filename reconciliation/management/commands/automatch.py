"""``manage.py automatch [--payment NUMBER] [--json]``: run auto-match on demand.

Without ``--payment`` every live remittance (not superseded, not posted) is matched in one engine
run, so partial payments across remittances settle in payment order. ``--json`` prints one object
per remittance line considered: document and payment number, status (``auto``, ``suggested``,
``unmatched``), the invoices with the amounts applied, rule, confidence and explanation (the
engine's ``line_outcomes``). Lines already matched are not re-run and do not appear.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reconciliation.matching_services import remittance_automatch
from reconciliation.models import Remittance, RemittanceStatus
from reconciliation.shortage.services import shortage_refresh


class Command(BaseCommand):
    help = "Auto-match remittance lines to open invoices (all live remittances, or one payment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--payment", help="Payment number of the remittance to match.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object per line.")

    def handle(self, *args: Any, **options: Any) -> None:
        remittances = Remittance.objects.exclude(status=RemittanceStatus.SUPERSEDED)
        if options["payment"]:
            remittances = remittances.filter(payment_number=options["payment"])
            if not remittances.exists():
                raise CommandError(f"payment {options['payment']}: no live remittance with that number")
            if remittances.filter(status=RemittanceStatus.POSTED).exists():
                raise CommandError(f"payment {options['payment']} is posted; its matches are frozen")
        run = remittance_automatch(remittances=list(remittances), outcomes=options["json"])
        shortage_refresh(remittances=list(remittances))  # verdicts of their shortage claims
        if options["json"]:
            self.stdout.write(json.dumps(run.outcomes, indent=2))
            return
        self.stdout.write(
            f"{run.remittances} remittance(s), {run.lines} line(s): {run.auto} auto-matched,"
            f" {run.suggested} suggestion(s), {run.unmatched} unmatched"
        )
