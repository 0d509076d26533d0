from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # Registering is importing: the flows and outbox handlers of the order flow; (health) its
        # dashboard figures and integration-audit checks.
        from orders import flows, handlers, health  # noqa: F401
