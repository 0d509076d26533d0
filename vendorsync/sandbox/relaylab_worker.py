"""Celery entry point for relay rehearsals (``vendorsync.sandbox.relaylab``): the project's app
plus the lab's NetSuite upsert handler, registered once Django is set up."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
django.setup()

from vendorsync.celery import app  # noqa: E402
from vendorsync.sandbox.relaylab import register_lab_handler  # noqa: E402

register_lab_handler()

__all__ = ["app"]
