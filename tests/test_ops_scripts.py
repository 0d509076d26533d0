"""Operational commands and files: seed_demo creates missing demo users only and guards production;
the scripts parse, and the Docker files keep production-only behaviour (see README, "Docker")."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from vendorsync.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD, DEMO_USERS
from vendorsync.roles import ADMIN, FINANCE, FINANCE_APPROVER, OPS

ROOT = Path(__file__).resolve().parent.parent
STRONG = "Stroopwafel-Harbour-4417"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def groups_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture(autouse=True)
def no_password_env(monkeypatch):
    monkeypatch.delenv("VENDORSYNC_DEMO_PASSWORD", raising=False)


# --- seed_demo --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creates_the_four_demo_users_with_their_roles_and_a_usable_password():
    out = seed()

    User = get_user_model()
    assert set(User.objects.values_list("username", flat=True)) >= set(DEMO_USERS)
    assert groups_of("finance") == {FINANCE}
    assert groups_of("approver") == {FINANCE, FINANCE_APPROVER}
    assert groups_of("ops") == {OPS}
    assert groups_of("admin") == {ADMIN}
    for username in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(DEFAULT_DEMO_PASSWORD)
        assert user.is_active and not user.is_staff and not user.is_superuser
    assert "Created demo users: finance, approver, ops, admin" in out
    assert DEFAULT_DEMO_PASSWORD in out


@pytest.mark.django_db
def test_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("VENDORSYNC_DEMO_PASSWORD", STRONG)
    seed()
    assert get_user_model().objects.get(username="ops").check_password(STRONG)


@pytest.mark.django_db
def test_second_run_without_reset_keeps_a_changed_password_and_roles():
    seed()
    User = get_user_model()
    finance = User.objects.get(username="finance")
    finance.set_password(STRONG)
    finance.save()
    finance.groups.clear()

    out = seed()

    finance.refresh_from_db()
    assert finance.check_password(STRONG)
    assert not finance.check_password(DEFAULT_DEMO_PASSWORD)
    assert groups_of("finance") == set()
    assert "Left existing demo users unchanged" in out


@pytest.mark.django_db
def test_second_run_creates_only_the_missing_users():
    seed()
    User = get_user_model()
    User.objects.get(username="ops").delete()
    admin = User.objects.get(username="admin")
    admin.set_password(STRONG)
    admin.save()

    out = seed()

    assert User.objects.get(username="ops").check_password(DEFAULT_DEMO_PASSWORD)
    assert User.objects.get(username="admin").check_password(STRONG)
    assert "Created demo users: ops" in out


@pytest.mark.django_db
def test_reset_restores_the_demo_password_and_roles():
    seed()
    User = get_user_model()
    approver = User.objects.get(username="approver")
    approver.set_password(STRONG)
    approver.is_superuser = True
    approver.is_active = False
    approver.save()
    approver.groups.clear()

    out = seed("--reset")

    approver.refresh_from_db()
    assert approver.check_password(DEFAULT_DEMO_PASSWORD)
    assert approver.is_active and not approver.is_superuser
    assert groups_of("approver") == {FINANCE, FINANCE_APPROVER}
    assert "Reset demo users: finance, approver, ops, admin" in out


@pytest.mark.parametrize(
    ("args", "password"),
    [
        ((), None),
        ((), STRONG),
        (("--allow-production",), None),
        (("--allow-production",), DEFAULT_DEMO_PASSWORD),
        (("--allow-production", "--reset"), DEFAULT_DEMO_PASSWORD),
    ],
    ids=["no-flag-no-password", "no-flag", "flag-no-password", "flag-default-password", "reset-default"],
)
@pytest.mark.django_db
def test_production_refuses_without_the_flag_and_a_non_default_password(
    settings, monkeypatch, args, password
):
    settings.PRODUCTION = True
    if password is not None:
        monkeypatch.setenv("VENDORSYNC_DEMO_PASSWORD", password)

    with pytest.raises(CommandError) as excinfo:
        seed(*args)

    message = str(excinfo.value)
    assert "--allow-production" in message
    assert "VENDORSYNC_DEMO_PASSWORD" in message
    assert not get_user_model().objects.filter(username__in=DEMO_USERS).exists()


@pytest.mark.django_db
def test_production_refuses_a_weak_password(settings, monkeypatch):
    settings.PRODUCTION = True
    monkeypatch.setenv("VENDORSYNC_DEMO_PASSWORD", "12345")

    with pytest.raises(CommandError, match="VENDORSYNC_DEMO_PASSWORD is too weak"):
        seed("--allow-production")
    assert not get_user_model().objects.filter(username__in=DEMO_USERS).exists()


@pytest.mark.django_db
def test_production_seeds_with_the_flag_and_a_real_password_without_printing_it(settings, monkeypatch):
    settings.PRODUCTION = True
    monkeypatch.setenv("VENDORSYNC_DEMO_PASSWORD", STRONG)

    out = seed("--allow-production")

    assert get_user_model().objects.get(username="admin").check_password(STRONG)
    assert groups_of("admin") == {ADMIN}
    assert STRONG not in out


# --- scripts and Docker files -------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", ["scripts/bootstrap.sh", "scripts/run.sh", "scripts/test.sh", ".ci/run"])
def test_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_seeds_only_when_a_demo_password_is_set():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]
    script = web["command"][-1] if isinstance(web["command"], list) else web["command"]
    assert "seed_demo --allow-production" in script
    assert 'if [ -n "$${VENDORSYNC_DEMO_PASSWORD:-}" ]' in script  # $$: left to the container's shell
    assert web["environment"]["VENDORSYNC_DEMO_PASSWORD"] == "${VENDORSYNC_DEMO_PASSWORD:-}"
    assert web["environment"]["VENDORSYNC_ENV"] == "production"


def test_docker_image_collects_static_with_production_settings_and_no_local_state():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "VENDORSYNC_ENV=production" in dockerfile
    assert "VENDORSYNC_ENV=development" not in dockerfile
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", "staticfiles", "*.sqlite3"} <= ignored
