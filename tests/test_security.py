"""CSRF, login throttling, password change, security headers and the production settings guard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from vendorsync import services

ROOT = Path(__file__).resolve().parent.parent


def test_a_post_without_a_csrf_token_is_refused(personas):
    case, _ = services.exception_raise(kind="sku_asin_gap", dedupe_key="csrf", message="m")
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["ops"])
    response = client.post(reverse("exception_action", args=[case.public_id, "take"]))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "open"


def test_a_post_with_the_htmx_csrf_header_is_accepted(personas):
    case, _ = services.exception_raise(kind="sku_asin_gap", dedupe_key="csrf2", message="m")
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["ops"])
    page = client.get(case.get_absolute_url())
    token = str(page.context["csrf_token"])
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page.content.decode()
    response = client.post(
        reverse("exception_action", args=[case.public_id, "take"]), headers={"X-CSRFToken": token}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress"


def test_repeated_failed_logins_lock_the_account(personas, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "op", "password": "wrong"})
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post(reverse("login"), {"username": "op", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content


def test_login_and_logout(personas):
    client = Client()
    response = client.post(reverse("login"), {"username": "op", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_change(personas):
    client = Client()
    client.force_login(personas["finance"])
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "A-much-longer-pass-42",
            "new_password2": "A-much-longer-pass-42",
        },
    )
    assert response.status_code == 302
    personas["finance"].refresh_from_db()
    assert personas["finance"].check_password("A-much-longer-pass-42")


def test_pages_send_csp_and_frame_headers(personas):
    client = Client()
    client.force_login(personas["admin"])
    response = client.get(reverse("dashboard"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    # htmx comes from our own static files, with the nonce, never from a CDN
    html = response.content.decode()
    assert "/static/django_htmx/htmx" in html and "https://" not in html.split("<body")[0]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in html  # the htmx script carries this response's nonce
    assert "<script>" not in html and " style=" not in html  # no inline script or style


def _check_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "VENDORSYNC_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "vendorsync.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        (
            {
                "VENDORSYNC_ENV": "production",
                "DJANGO_ALLOWED_HOSTS": "x.example",
                "DATABASE_URL": "postgres://u@h/db",
            },
            "DJANGO_SECRET_KEY is required",
        ),
        (
            {
                "VENDORSYNC_ENV": "production",
                "DJANGO_SECRET_KEY": "k" * 60,
                "DATABASE_URL": "postgres://u@h/db",
            },
            "DJANGO_ALLOWED_HOSTS is required",
        ),
        (
            {
                "VENDORSYNC_ENV": "production",
                "DJANGO_SECRET_KEY": "k" * 60,
                "DJANGO_ALLOWED_HOSTS": "x.example",
            },
            "Production needs a real database",
        ),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({"VENDORSYNC_OUTBOX_MAX_ATTEMPTS": "ten"}, "VENDORSYNC_OUTBOX_MAX_ATTEMPTS='ten' is not an integer"),
        ({"VENDORSYNC_HTTP_TIMEOUT_SECONDS": "NaN"}, "is not a finite number"),
        ({"VENDORSYNC_HTTP_TIMEOUT_SECONDS": "-5"}, "must be at least 1"),
    ],
)
def test_settings_fail_fast_on_missing_or_bad_configuration(env, complaint):
    result = _check_settings(env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_settings_start_with_what_they_need():
    result = _check_settings(
        {
            "VENDORSYNC_ENV": "production",
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "x.example",
            "DATABASE_URL": "postgres://u@h/db",
        }
    )
    assert result.returncode == 0, result.stderr
