from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VendorSyncConfig(AppConfig):
    name = "vendorsync"
    verbose_name = "VendorSync core"

    def ready(self) -> None:
        # Each app registers its outbox handlers here (by importing its handlers module); this is
        # the core's (the test echo handler).
        import vendorsync.outbox.handlers  # noqa: F401
        from vendorsync.roles import sync_roles

        # Roles are data that every database needs (the test database too): keep them in step
        # with the code after each migrate, idempotently.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="vendorsync.sync_roles")

        from vendorsync.integration_audit import register_core_checks

        register_core_checks()
