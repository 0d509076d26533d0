"""The core's own outbox handler, registered by ``VendorSyncConfig.ready()``."""

from __future__ import annotations

from vendorsync.errors import DeliveryResult
from vendorsync.models import OutboxMessage
from vendorsync.outbox.registry import register_handler


@register_handler("test", "echo")
def echo(message: OutboxMessage) -> DeliveryResult:
    """Delivers nothing anywhere; lets an operator check that the relay is alive."""
    return DeliveryResult(remote_id=message.external_key, response_excerpt="echo")
