"""``manage.py shortages [--payment NUMBER] [--json]``: judge shortage claims on demand.

The syncs re-judge the last 120 days' claims by themselves (``shortage.services.FOLLOW_DAYS``);
this re-judges every live claim (or one payment's), older ones included, and prints the counts —
or, with ``--json``, one object per claim: document and payment number, invoice, PO, FC, ASN,
verdict, amounts, units and the reason.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reconciliation.models import Remittance, RemittanceStatus
from reconciliation.shortage.services import shortage_refresh
from reconciliation.shortage_models import ShortageClaim


class Command(BaseCommand):
    help = "Judge shortage claims against our own cartons (every live claim, or one payment's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--payment", help="Payment number of the remittance whose claims to judge.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object per claim.")

    def handle(self, *args: Any, **options: Any) -> None:
        remittances: list[Remittance] = []
        if options["payment"]:
            remittances = list(
                Remittance.objects.exclude(status=RemittanceStatus.SUPERSEDED).filter(
                    payment_number=options["payment"]
                )
            )
            if not remittances:
                raise CommandError(f"payment {options['payment']}: no live remittance with that number")
        result = shortage_refresh(remittances=remittances)
        if not options["json"]:
            counts = ", ".join(f"{k} {v}" for k, v in result.as_dict().items())
            self.stdout.write(f"shortage claims: {counts}")
            return
        claims = ShortageClaim.objects.exclude(line__remittance__status=RemittanceStatus.SUPERSEDED)
        if remittances:
            claims = claims.filter(line__remittance__in=remittances)
        rows = [
            {
                "document_number": c.line.document_number,
                "payment_number": c.line.remittance.payment_number,
                "invoice": c.invoice_number,
                "purchase_order": c.purchase_order_number,
                "fc": c.fc,
                "asn": c.shipment.shipment_identifier if c.shipment else None,
                "verdict": c.verdict,
                "claimed_amount": str(c.claimed_amount),
                "claimed_units": c.claimed_units,
                "shipped_units": c.shipped_units,
                "received_units": c.received_units,
                "disputable_units": c.disputable_units,
                "amount_at_risk": str(c.amount_at_risk),
                "reason": c.reason,
            }
            for c in claims.select_related("line__remittance", "shipment").order_by("claim_date", "id")
        ]
        self.stdout.write(json.dumps(rows, indent=2))
