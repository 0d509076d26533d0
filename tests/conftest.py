"""Shared fixtures: the personas (finance preparer, finance approver, ops, admin, outsider)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"
AMAZON_MODELS_DIR = SHARED_DIR / "reference" / "amazon-models"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    broker = os.environ.get("CELERY_BROKER_URL", "")
    for item in items:
        if "postgres" in item.keywords and not settings.IS_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)"))
        if "redis" in item.keywords and not broker.startswith("redis://"):
            item.add_marker(pytest.mark.skip(reason="needs Redis (set CELERY_BROKER_URL=redis://...)"))


@pytest.fixture
def amazon_models_dir() -> Path:
    """Amazon's published API models from ../shared; tests that need them skip cleanly without."""
    if not AMAZON_MODELS_DIR.is_dir():
        pytest.skip("../shared/reference/amazon-models is not present")
    return AMAZON_MODELS_DIR
