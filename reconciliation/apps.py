from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def seed_default_tables(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Seed the classification rules and header mappings into EMPTY tables (idempotent).

    Migration 0002 seeds them once; this puts them back after anything that empties whole tables
    (a test database flush emits post_migrate too), and never touches a table an admin has edited.
    """
    from django.apps import apps

    rules = apps.get_model("reconciliation", "ClassificationRule").objects.using(using)
    headers = apps.get_model("reconciliation", "HeaderMapping").objects.using(using)
    if rules.exists() or headers.exists():
        return
    import_module("reconciliation.migrations.0002_seed_rules_and_headers").seed(apps, None)


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self) -> None:
        # Registers gl-accounts, ar, remittances and remittance-files with the sync-flow registry.
        from reconciliation import (
            flows,  # noqa: F401
            health,
            matching_health,
        )

        # Outbox handlers that post approved batches to NetSuite (finance owns them).
        from reconciliation.posting import handlers as posting_handlers  # noqa: F401

        health.register()  # dashboard figures and integration-audit checks
        matching_health.register()  # the dashboard's auto-match rate (issue 10)
        from reconciliation.shortage.services import refresh_after_flow
        from vendorsync.flows import after_flow

        # Shortage evidence follows the syncs that change it: an ASN accepted, an invoice numbered,
        # a received quantity (orders cannot call reconciliation itself), a remittance imported.
        for flow_name in ("shipments", "invoices", "receipts", "remittances", "remittance-files"):
            after_flow(flow_name, refresh_after_flow)

        post_migrate.connect(seed_default_tables, sender=self, dispatch_uid="reconciliation.seed_defaults")
