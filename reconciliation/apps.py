from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self) -> None:
        # Registers gl-accounts, ar, remittances and remittance-files with the sync-flow registry.
        from reconciliation import flows  # noqa: F401
