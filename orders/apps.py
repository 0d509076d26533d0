from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # Registering is importing: the flows and outbox handlers of the order flow; (health) its
        # dashboard figures and integration-audit checks.
        from orders import flows, handlers, health  # noqa: F401

        # Orders out (issue 8): fulfilments, shipments, invoices, receipts, po-window.
        from orders.outbound import flows as outbound_flows  # noqa: F401
        from orders.outbound import handlers as outbound_handlers  # noqa: F401
        from orders.outbound import views as outbound_views  # noqa: F401  (registers the XLSX exports)
        from orders.outbound.health import register as register_outbound_health

        register_outbound_health()
