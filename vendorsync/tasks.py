"""Celery tasks of the core: thin wrappers that call services and the relay."""

from __future__ import annotations

from celery import shared_task

from vendorsync.outbox import relay_once


@shared_task(name="vendorsync.tasks.relay_outbox", ignore_result=True)
def relay_outbox() -> dict[str, int]:
    return relay_once().as_dict()


@shared_task(name="vendorsync.tasks.ping")
def ping(value: str) -> str:
    """Health check of the broker and a worker: returns what it was given, reversed."""
    return value[::-1]
