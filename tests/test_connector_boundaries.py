"""The connectors stay connectors: nothing under vendorsync/amazon, vendorsync/netsuite or
vendorsync/edi imports the core's models, services or outbox, the domain apps, or the ORM.

Read from the source (the AST of every file), not from ``sys.modules``, so a lazy import inside a
function counts as much as one at the top, and so does a relative import or an
``importlib.import_module("...")`` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONNECTORS = ("vendorsync/amazon", "vendorsync/netsuite", "vendorsync/edi")
# The only core modules a connector may use: the shared error types and the shared retry code,
# both free of Django. (Connectors may use each other: the EDI 850 reader returns Amazon values.)
ALLOWED_CORE = {"vendorsync.errors", "vendorsync.http_retry"}
CONNECTOR_PACKAGES = {path.replace("/", ".") for path in CONNECTORS}
# Outside vendorsync: the domain apps and the database.
FORBIDDEN_PREFIXES = ("orders", "reconciliation", "django.db", "django.contrib", "django.apps")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, with relative imports resolved.

    ``from a import b`` yields both ``a`` and ``a.b`` (b may be a submodule).
    """
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return found


def violations(source: str, module: str, *, is_package: bool = False) -> list[str]:
    bad = []
    for name in sorted(imported_modules(source, module, is_package=is_package)):
        if name == "vendorsync" or name.startswith("vendorsync."):
            if name == "vendorsync":
                continue  # the package itself (only its Celery app lives there)
            if any(name == ok or name.startswith(ok + ".") for ok in ALLOWED_CORE | CONNECTOR_PACKAGES):
                continue
            bad.append(name)
        elif any(name == prefix or name.startswith(prefix + ".") for prefix in FORBIDDEN_PREFIXES):
            bad.append(name)
    # Report ``a`` once, not also ``a.b`` for ``from a import b``.
    return [name for name in bad if not any(name.startswith(other + ".") for other in bad)]


def connector_files() -> list[Path]:
    return sorted(path for folder in CONNECTORS for path in (ROOT / folder).rglob("*.py"))


def test_there_are_connector_files_to_check() -> None:
    names = {_module_name(p) for p in connector_files()}
    assert {"vendorsync.amazon.client", "vendorsync.netsuite.client", "vendorsync.edi.x12"} <= names


@pytest.mark.parametrize("path", connector_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_connector_module_imports_nothing_from_the_core_or_the_domain(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(source, _module_name(path), is_package=path.name == "__init__.py") == []


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from vendorsync.services import sequence_next", "vendorsync.edi.x", ["vendorsync.services"]),
        ("from vendorsync import models", "vendorsync.amazon.x", ["vendorsync.models"]),
        ("from ... import services", "vendorsync.edi.sub.x", ["vendorsync.services"]),
        (
            "from ..outbox.relay import run",
            "vendorsync.netsuite.x",
            ["vendorsync.outbox.relay"],
        ),
        ("def f():\n    import orders.services\n", "vendorsync.edi.x", ["orders.services"]),
        ("import reconciliation", "vendorsync.edi.x", ["reconciliation"]),
        ("from django.db import transaction", "vendorsync.edi.x", ["django.db"]),
        ("importlib.import_module('vendorsync.models')", "vendorsync.amazon.x", ["vendorsync.models"]),
        ("from vendorsync.errors import RetryableError", "vendorsync.amazon.x", []),
        ("from vendorsync.http_retry import call_retrying", "vendorsync.netsuite.x", []),
        ("from vendorsync.amazon import values", "vendorsync.edi.x", []),
        ("from .errors import X12Error", "vendorsync.edi.x", []),
        ("from django.conf import settings", "vendorsync.amazon.config", []),
    ],
)
def test_the_check_itself_catches_what_it_is_meant_to(source: str, module: str, expected: list[str]) -> None:
    assert violations(source, module) == expected
