"""Logging filters: keep the logs readable for whoever looks in ``var/log/`` for real failures."""

from __future__ import annotations

import logging


class QuietForbidden(logging.Filter):
    """A 403 is a refusal by design (a role without the page), not a failure: log the line, not a traceback.

    Django logs ``PermissionDenied`` on ``django.request`` with the exception attached, so every
    page a role may not open printed a full traceback, which hid the tracebacks that matter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
