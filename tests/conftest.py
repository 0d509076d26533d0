"""Shared fixtures: the personas (finance preparer, finance approver, ops, admin, outsider)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"
AMAZON_MODELS_DIR = SHARED_DIR / "reference" / "amazon-models"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Real hashing costs ~0.3 s per password; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test run keeps its cache in its own process (the app's default is files under var/, shared by
    # every process of one installation — and by two test runs of one checkout).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    broker = os.environ.get("CELERY_BROKER_URL", "")
    for item in items:
        if "postgres" in item.keywords and not settings.IS_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)"))
        if "redis" in item.keywords and not broker.startswith("redis://"):
            item.add_marker(pytest.mark.skip(reason="needs Redis (set CELERY_BROKER_URL=redis://...)"))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty Django cache (the dashboard keeps metric values there)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def amazon_models_dir() -> Path:
    """Amazon's published API models from ../shared; tests that need them skip cleanly without."""
    if not AMAZON_MODELS_DIR.is_dir():
        pytest.skip("../shared/reference/amazon-models is not present")
    return AMAZON_MODELS_DIR


@pytest.fixture
def make_user(db, django_user_model):
    from django.contrib.auth.models import Group

    from vendorsync.roles import sync_roles

    sync_roles()

    def make(username: str, *roles: str):
        user = django_user_model.objects.create_user(username=username, password="correct-horse-battery")
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def personas(make_user):
    """The five personas of DESIGN.md §7."""
    return {
        "finance": make_user("fin", "finance"),
        "approver": make_user("appr", "finance", "finance_approver"),
        "ops": make_user("op", "ops"),
        "admin": make_user("adm", "admin"),
        "outsider": make_user("nobody"),
    }
