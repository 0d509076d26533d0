"""VendorSync project package and core app (exceptions, audit, outbox, sync runs)."""

from vendorsync.celery import app as celery_app

__all__ = ["celery_app"]
