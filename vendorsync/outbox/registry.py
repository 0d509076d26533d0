"""Who delivers each (target, operation), who owns its failures, and how to find its record remotely.

Apps register their handlers in ``AppConfig.ready()`` (by importing their ``handlers.py``), so
the relay knows no business rules. A handler makes at most one remote write per call (clients
built with ``retry_writes=False``); the relay owns retries and the write budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from vendorsync.errors import DeliveryResult
from vendorsync.models import OutboxMessage, Team

Handler = Callable[[OutboxMessage], DeliveryResult]
# Looks the record a message writes up in the remote system by its external id: the result when
# it is there, None when it is not; raises the connector's error when it cannot tell. The relay
# calls it after an ambiguous outcome, before writing again.
Lookup = Callable[[OutboxMessage], DeliveryResult | None]


@dataclass(frozen=True)
class Registration:
    target: str
    operation: str
    deliver: Handler
    owner_team: str
    lookup: Lookup | None


_REGISTRY: dict[tuple[str, str], Registration] = {}


def register_handler(
    target: str, operation: str, *, owner_team: str = Team.OPS, lookup: Lookup | None = None
) -> Callable[[Handler], Handler]:
    """Register the delivery of one operation; ``owner_team`` gets its review cases and may resend it.

    ``lookup`` finds the record by its external id in the remote system (see :data:`Lookup`);
    always give one for a remote write, or an ambiguous outcome has to go to a person.
    """
    if owner_team not in Team.values:
        raise ValueError(f"owner_team must be one of {Team.values}, not {owner_team!r}")

    def decorator(func: Handler) -> Handler:
        _REGISTRY[(target, operation)] = Registration(target, operation, func, owner_team, lookup)
        return func

    return decorator


def unregister_handler(target: str, operation: str) -> None:
    """Forget a registration (tests that register handlers of their own)."""
    _REGISTRY.pop((target, operation), None)


def registration_for(message: OutboxMessage) -> Registration | None:
    return _REGISTRY.get((message.target, message.operation))


def handler_for(message: OutboxMessage) -> Handler | None:
    registration = registration_for(message)
    return registration.deliver if registration else None


def lookup_for(message: OutboxMessage) -> Lookup | None:
    registration = registration_for(message)
    return registration.lookup if registration else None


def owner_of(message: OutboxMessage) -> str:
    """The team that owns a message: its handler's, or ops for an operation nobody registered."""
    registration = registration_for(message)
    return registration.owner_team if registration else Team.OPS


def owned_by(team: str) -> Q:
    """A filter for the messages whose handler ``team`` owns (unregistered operations are ops')."""
    others = [key for key, reg in _REGISTRY.items() if reg.owner_team != team]
    mine = [key for key, reg in _REGISTRY.items() if reg.owner_team == team]
    if team == Team.OPS:
        query = Q()
        for target, operation in others:
            query &= ~Q(target=target, operation=operation)
        return query
    query = Q(pk__in=[])
    for target, operation in mine:
        query |= Q(target=target, operation=operation)
    return query
