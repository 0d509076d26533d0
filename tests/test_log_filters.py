"""The web log stays readable: a 403 (a role without the page) is one line, not a traceback."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_a_forbidden_page_logs_one_line_without_a_traceback(client, personas, caplog):
    client.force_login(personas["ops"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("reconciliation:remittances"))
    assert response.status_code == 403
    forbidden = [r for r in caplog.records if r.name == "django.request" and "Forbidden" in r.getMessage()]
    assert forbidden and all(r.exc_info is None for r in forbidden)
    assert "Traceback" not in caplog.text


def test_django_records_reach_the_log_once():
    # The root handler writes them; a handler of Django's own on the "django" logger wrote them twice.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate
