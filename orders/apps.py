from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # Registering is importing: the flows and outbox handlers of the order flow.
        from orders import flows, handlers  # noqa: F401
